"""Image metrics: FID / KID / IS with Inception-v3 (torchmetrics), the same distances in the feature
space of a classifier trained on the data set itself, its class histogram, and precision / recall
(Kynkaanniemi et al. 2019) with density / coverage (Naeem et al. 2020, the `prdc` package)."""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

import torch
from torch import Tensor

from ganexp.console import notice
from ganexp.metrics.classifier import Features, load_or_train
from ganexp.metrics.divergences import kl


def _to_uint8_rgb(x: Tensor) -> Tensor:
    """[-1, 1] images with 1 or 3 channels -> 3-channel uint8 images (Inception's input)."""
    x = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


def inception_metrics(
    weights: str | None, subset: int, marker: Path | None = None, quiet: bool = False
):
    """torchmetrics' FID, KID and IS, or None when the weights cannot be had, said once on the
    console as ganexp's own notice (`quiet`: by another evaluator of the same run). Without
    `weights` (torchmetrics' download), a failure leaves `marker`, and later runs on this machine
    skip the download, saying so in one line, until the marker is removed or
    `eval.inception_weights` names a file."""
    say = (lambda text: None) if quiet else notice
    if weights is None and marker is not None and marker.is_file():
        say(
            f"val/fid, val/kid and val/is skipped: the Inception-v3 download failed on this "
            f"machine before ({marker.read_text().strip()[:120]}) and is not retried; set "
            f"eval.inception_weights=/path/to/weights-inception-2015-12-05-6726825d.pth, or "
            f"remove {marker} to try the download again"
        )
        return None
    try:
        from torchmetrics.image.fid import FrechetInceptionDistance, NoTrainInceptionV3
        from torchmetrics.image.inception import InceptionScore
        from torchmetrics.image.kid import KernelInceptionDistance

        def net(feature: str) -> NoTrainInceptionV3:
            return NoTrainInceptionV3(
                name="inception-v3-compat",
                features_list=[feature],
                feature_extractor_weights_path=weights,
            )

        return (
            FrechetInceptionDistance(feature=net("2048"), reset_real_features=False),
            KernelInceptionDistance(
                feature=net("2048"), reset_real_features=False, subset_size=subset
            ),
            InceptionScore(feature=net("logits_unbiased")),
        )
    except Exception as err:
        why = f"{type(err).__name__}: {str(err)[:120]}"
        if weights is None and marker is not None:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(why + "\n")
        say(
            f"val/fid, val/kid and val/is skipped: the Inception-v3 weights could not be loaded "
            f"({why}); download weights-inception-2015-12-05-6726825d.pth from the "
            "torch-fidelity releases and set eval.inception_weights=/path/to/it (or "
            "eval.inception=false to stop trying)"
            + (
                f"; the download is not retried on this machine until {marker} is removed"
                if weights is None and marker is not None
                else ""
            )
        )
        return None


class ImageMetrics:
    """Compares generated images with a fixed set of real ones; built once per run."""

    def __init__(
        self,
        real: Tensor,
        data: Tensor,
        labels: Tensor | None,
        cache: Path,
        inception: bool = True,
        inception_weights: str | None = None,
        nearest_k: int = 5,
        quiet: bool = False,
    ):
        """`real`: the reference sample; `data`, `labels`: the labelled set the classifier learns;
        `cache`: the classifier's file (a failed Inception download is remembered beside it);
        `quiet`: another evaluator of the run has said what it could not load."""
        from torchmetrics.image.fid import FrechetInceptionDistance
        from torchmetrics.image.kid import KernelInceptionDistance

        # KID keeps every feature vector: a few thousand small vectors here, as intended
        warnings.filterwarnings(
            "ignore", message=".*will save all extracted features", module="torchmetrics"
        )
        self.nearest_k, self.info = nearest_k, {}
        subset = min(1000, len(real))
        self.classifier = None
        if labels is not None:
            self.classifier, accuracy = load_or_train(data, labels, cache)
            self.info["val/classifier_accuracy"] = accuracy
            feats = Features(self.classifier)
            self.fid_c = FrechetInceptionDistance(feature=feats, reset_real_features=False)
            self.kid_c = KernelInceptionDistance(
                feature=feats, reset_real_features=False, subset_size=subset
            )
            self.data_classes = torch.bincount(labels).double() / len(labels)
        marker = cache.parent / "inception_unavailable.txt"
        self.inception = (
            inception_metrics(inception_weights, subset, marker, quiet) if inception else None
        )
        self.real = real
        self._real_done = False

    @torch.no_grad()
    def __call__(self, fake: Tensor, labels: Tensor | None = None) -> dict[str, float]:
        """The metrics of `fake`; with the `labels` a conditional generator was asked for, also
        `val/label_accuracy`, the fraction the classifier puts in the requested class."""
        out = dict(self.info)
        # KID draws its subsets from the global RNG: seed it here, so a sample set always gets the
        # same KID (a resumed run included) and training's own RNG state is left as it was
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            if self.classifier is not None:
                out |= self._classifier_metrics(fake, labels)
            if self.inception is not None:
                out |= self._inception_metrics(fake)
        self._real_done = True
        return out

    def _classifier_metrics(self, fake: Tensor, labels: Tensor | None) -> dict[str, float]:
        for metric in (self.fid_c, self.kid_c):
            if not self._real_done:
                for chunk in self.real.split(500):
                    metric.update(chunk, real=True)
            metric.reset()
            for chunk in fake.split(500):
                metric.update(chunk, real=False)
        self.kid_c.subset_size = min(1000, len(self.real), len(fake))
        kid_mean, _ = self.kid_c.compute()
        classes = torch.cat([self.classifier(c).argmax(1) for c in fake.split(500)])
        hist = torch.bincount(classes, minlength=len(self.data_classes)).double() / len(classes)
        feats = Features(self.classifier)
        accuracy = (
            {}
            if labels is None
            else {"val/label_accuracy": (classes == labels).double().mean().item()}
        )
        return {
            **accuracy,
            "val/fid_classifier": self.fid_c.compute().item(),
            "val/kid_classifier": kid_mean.item(),
            "val/classes_covered": int((hist >= 0.1 * self.data_classes).sum()),
            "val/class_kl": kl(hist, self.data_classes),
            **prdc(feats(self.real), feats(fake), self.nearest_k),
        }

    def _inception_metrics(self, fake: Tensor) -> dict[str, float]:
        fid, kid, inception_score = self.inception
        for metric in (fid, kid):
            if not self._real_done:
                for chunk in self.real.split(100):
                    metric.update(_to_uint8_rgb(chunk), real=True)
            metric.reset()
            for chunk in fake.split(100):
                metric.update(_to_uint8_rgb(chunk), real=False)
        kid.subset_size = min(1000, len(self.real), len(fake))
        inception_score.reset()
        for chunk in fake.split(100):
            inception_score.update(_to_uint8_rgb(chunk))
        return {
            "val/fid": fid.compute().item(),
            "val/kid": kid.compute()[0].item(),
            "val/is": inception_score.compute()[0].item(),
        }


def prdc(real: Tensor, fake: Tensor, nearest_k: int) -> dict[str, float]:
    """Precision, recall, density and coverage of `fake` against `real` feature vectors."""
    from prdc import compute_prdc

    with contextlib.redirect_stdout(io.StringIO()):  # prdc prints the set sizes
        values = compute_prdc(real.double().numpy(), fake.double().numpy(), nearest_k)
    return {f"val/{k}": float(v) for k, v in values.items()}
