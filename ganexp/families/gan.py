"""The GAN family (Goodfellow et al. 2014) with the gan, ns, hinge and lsgan objectives."""

from __future__ import annotations

from torch import Tensor

from ganexp.families.base import AdversarialFamily
from ganexp.losses.adversarial import js_estimate


class GAN(AdversarialFamily):
    """Logs, for the last D step: the mean D outputs on real and fake, D's accuracy on each (the
    share of real samples it rates above 1/2, of fakes below), and the JS estimate
    (V^ + log 4) / 2."""

    def critic_metrics(self, d_real: Tensor, d_fake: Tensor, d_loss: Tensor) -> dict[str, Tensor]:
        return {
            "train/d_real": d_real.sigmoid().mean(),
            "train/d_fake": d_fake.sigmoid().mean(),
            "train/d_accuracy_real": (d_real > 0).float().mean(),
            "train/d_accuracy_fake": (d_fake < 0).float().mean(),
            "train/js_estimate": js_estimate(d_real, d_fake),
        }
