"""A run's evaluation: generate a fixed number of samples from fixed noise and compare them with the
data: exact metrics where the distribution is known, feature-space metrics for images."""

from __future__ import annotations

from pathlib import Path

import torch

from ganexp.data.stream import EVAL_STREAM, step_key


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
    ):
        self.dm, self.num_samples, self.seed = datamodule, num_samples, seed
        self.images = None
        if len(datamodule.shape) == 3:
            from ganexp.metrics.images import ImageMetrics

            c, h, w = datamodule.shape
            name = f"{type(datamodule).__name__}_{getattr(datamodule, 'name', '')}_{c}x{h}x{w}"
            real = datamodule.sample(num_samples, torch.Generator().manual_seed(seed))
            self.images = ImageMetrics(
                real,
                getattr(datamodule, "data", None),
                getattr(datamodule, "labels", None),
                Path(cache_dir).expanduser() / f"classifier_{name.lower()}.pt",
                inception,
                inception_weights,
                nearest_k,
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
        fake, labels = self.samples(module)
        metrics = self.dm.exact_metrics(fake)
        if labels is not None and hasattr(self.dm, "label_accuracy"):
            metrics["val/label_accuracy"] = self.dm.label_accuracy(fake, labels)
        if self.images is not None:
            metrics |= self.images(fake, labels)
        return metrics
