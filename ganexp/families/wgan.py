"""The Wasserstein family (Arjovsky et al. 2017; Gulrajani et al. 2017): an unbounded critic."""

from __future__ import annotations

from torch import Tensor

from ganexp.families.base import AdversarialFamily


class WGAN(AdversarialFamily):
    """Logs the critic loss E D(G(z)) - E D(x) and its negation, the Wasserstein estimate.

    Both leave out any penalty term, so `train/w_estimate` is comparable across regularisers;
    `train/d_loss` is what the critic actually descended (penalty included).
    """

    def critic_metrics(self, d_real: Tensor, d_fake: Tensor, d_loss: Tensor) -> dict[str, Tensor]:
        return {"train/critic_loss": d_loss, "train/w_estimate": -d_loss}
