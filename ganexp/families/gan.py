"""The GAN family (Goodfellow et al. 2014) with the gan, ns, hinge and lsgan objectives."""

from __future__ import annotations

from torch import Tensor

from ganexp.families.base import AdversarialFamily
from ganexp.losses.adversarial import js_estimate


class GAN(AdversarialFamily):
    """Logs mean D outputs on real and fake and the JS estimate (V^ + log 4) / 2 of the last D step."""

    def critic_metrics(self, d_real: Tensor, d_fake: Tensor, d_loss: Tensor) -> dict[str, Tensor]:
        return {
            "train/d_real": d_real.sigmoid().mean(),
            "train/d_fake": d_fake.sigmoid().mean(),
            "train/js_estimate": js_estimate(d_real, d_fake),
        }
