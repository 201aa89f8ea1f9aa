"""A run's evaluation: generate a fixed number of samples from fixed noise and compare them with the
data: exact metrics where the distribution is known, feature-space metrics for images."""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from ganexp.data.stream import EVAL_STREAM, step_key

ALONE = "val/generator/"  # the generator's own metrics where a sampler is on


def fingerprint(data: torch.Tensor, labels: torch.Tensor | None) -> str:
    """A short digest of a labelled image set (which images a cached classifier learned)."""
    digest = hashlib.sha1(data.detach().cpu().float().contiguous().numpy().tobytes())
    if labels is not None:
        digest.update(labels.cpu().numpy().tobytes())
    return digest.hexdigest()[:10]


class Evaluator:
    """Built once per run (the real reference set and the classifier are prepared here)."""

    def __init__(
        self,
        datamodule,
        num_samples: int = 2500,
        seed: int = 0,
        cache_dir: str = "data/classifiers",
        inception: bool = True,
        inception_weights: str | None = None,
        nearest_k: int = 5,
        quiet: bool = False,
    ):
        """`quiet`: one of several evaluators of a run (replicas), which leaves notices to the first."""
        self.dm, self.num_samples, self.seed = datamodule, num_samples, seed
        self.images = None
        self.reference = datamodule.reference_note()  # what generated samples are compared with
        self.heldout = datamodule.heldout(num_samples)
        if len(datamodule.shape) == 3:
            from ganexp.metrics.images import ImageMetrics

            c, h, w = datamodule.shape
            name = f"{type(datamodule).__name__}_{getattr(datamodule, 'name', '')}_{c}x{h}x{w}"
            if self.heldout is not None:
                real = self.heldout[0]
            else:
                real = datamodule.sample(num_samples, torch.Generator().manual_seed(seed))
            # the classifier learns the whole training split (never the held-out images); its
            # cache is named by those images, so a different split trains a new one
            data = getattr(datamodule, "pool_data", None)
            labels = getattr(datamodule, "pool_labels", None)
            if data is None:
                data, labels = (
                    getattr(datamodule, "data", None),
                    getattr(datamodule, "labels", None),
                )
            if data is not None:
                name += "_" + fingerprint(data, labels)
            self.images = ImageMetrics(
                real,
                data,
                labels,
                Path(cache_dir).expanduser() / f"classifier_{name.lower()}.pt",
                inception,
                inception_weights,
                nearest_k,
                quiet,
            )

    @torch.no_grad()
    def samples(self, module) -> tuple[torch.Tensor, torch.Tensor | None]:
        """`num_samples` generated samples from noise that is the same at every evaluation, and
        the labels they were asked for (every class in turn; None unless conditional)."""
        gen = torch.Generator(device=module.device)
        gen.manual_seed(step_key(self.seed, EVAL_STREAM, 0, 0))
        labels = module.balanced_labels(self.num_samples)
        parts = []
        for start in range(0, self.num_samples, 500):
            y = None if labels is None else labels[start : start + 500]
            parts.append(module.sample(min(500, self.num_samples - start), gen, y).float().cpu())
        return torch.cat(parts), None if labels is None else labels.cpu()

    def __call__(self, module) -> dict[str, float]:
        """The `val/` metrics of the samples the run gives. With a sampler on
        (`sampling.rejection`), the generator alone is measured first, on the same noise, and
        reported as `val/generator/...` before them: what the sampler adds is the difference."""
        metrics = {}
        if getattr(module, "rejection", False):
            module.rejection = False
            try:
                alone = self.measure(module)
            finally:
                module.rejection = True
            metrics = {k.replace("val/", ALONE, 1): v for k, v in alone.items()}
        return metrics | self.measure(module) | self.real_accuracy(module)

    def measure(self, module) -> dict[str, float]:
        """The `val/` metrics of `num_samples` samples from the module as it samples now."""
        fake, labels = self.samples(module)
        metrics = self.dm.exact_metrics(fake)
        if labels is not None and hasattr(self.dm, "label_accuracy"):
            metrics["val/label_accuracy"] = self.dm.label_accuracy(fake, labels)
        if self.images is not None:
            metrics |= self.images(fake, labels)
        return metrics

    @torch.no_grad()
    def real_accuracy(self, module) -> dict[str, float]:
        """D's accuracy on training images and on held-out ones (the fraction it calls real): the
        gap between the two is how far D has learned the training set by heart. Empty without a
        held-out split or for a family with no single D(x)."""
        if self.heldout is None or not hasattr(module, "real_accuracy"):
            return {}
        held, held_labels = self.heldout
        n = min(len(held), 500)
        gen = torch.Generator().manual_seed(step_key(self.seed, EVAL_STREAM, 1, 0))
        if held_labels is not None and getattr(self.dm, "labelled", False):
            train, train_labels = self.dm.sample_labelled(n, gen)
        else:
            train, train_labels = self.dm.sample(n, gen), None
        train_acc = module.real_accuracy(train, train_labels)
        held_acc = module.real_accuracy(held[:n], None if held_labels is None else held_labels[:n])
        if train_acc is None:
            return {}
        return {
            "val/d_accuracy_train": train_acc,
            "val/d_accuracy_heldout": held_acc,
            "val/d_overfit": train_acc - held_acc,
        }
