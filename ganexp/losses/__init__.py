"""Objectives: the pairs (discriminator loss, generator loss) a GAN family can play."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from torch import Tensor

from ganexp.losses import adversarial as A


class Objective(NamedTuple):
    """A discriminator loss of (real logits, fake logits) and a generator loss of fake logits;
    D calls a sample real when its score is above `real_above` (its accuracy on reals)."""

    d_loss: Callable[[Tensor, Tensor], Tensor]
    g_loss: Callable[[Tensor], Tensor]
    real_above: float = 0.0


OBJECTIVES: dict[str, Objective] = {
    "gan": Objective(A.d_bce, A.g_minimax),
    "ns": Objective(A.d_bce, A.g_non_saturating),
    "hinge": Objective(A.d_hinge, A.g_hinge),
    "lsgan": Objective(A.d_least_squares, A.g_least_squares, 0.5),  # targets 1 and 0
    "wgan": Objective(A.critic_wasserstein, A.g_wasserstein),
}


def make_objective(
    name: str, divergence: str | None = None, g_objective: str | None = None
) -> Objective | None:
    """The objective called `name`; `fgan` plays the f-divergence `divergence` (losses/fdivergence.py);
    `elbo` is the VAE's, which is not a game (None: losses/vae.py, used by its family)."""
    if name == "elbo":
        return None
    if name == "fgan":
        from ganexp.losses.fdivergence import f_objective

        return f_objective(divergence or "kl", g_objective or "bound")
    return OBJECTIVES[name]
