"""Balanced consistency regularisation (bCR, Zhao et al. 2021), a critic penalty:

    R = E[(D(T(x)) - D(x))^2] + E[(D(T(G(z))) - D(G(z)))^2],

D's scores asked not to change under a transformation T that keeps what a sample is, on reals and
on fakes alike (the balance: penalising reals alone lets D learn that T marks a fake). T here is
Gaussian jitter of `std` on every input coordinate, which keeps a sample's meaning where `std` is
well below the data's own scale (a toy mode's spread, a pixel's quantisation). It reads the scores
D already gave in the critic step, so it costs one extra forward pass of each batch; it is added
with `weight` to the critic's loss and logged as `train/consistency` (unweighted). Every draw comes
from the step's keyed generator, so a resumed run and `train.replicas` are exact.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

from ganexp.callbacks.penalty import CriticPenalty
from ganexp.replicas import lead_dims, randn


class Consistency(CriticPenalty):
    name = "consistency"
    reads_scores = True  # the family passes (D(real), D(fake)) of the step
    supports_replicas = True

    def __init__(self, weight: float = 10.0, std: float = 0.01):
        self.weight, self.std = weight, std

    def critic_penalty(
        self,
        critic: Callable[[Tensor], Tensor],
        real: Tensor,
        fake: Tensor,
        rng,
        scores: tuple[Tensor, Tensor] | None = None,
    ) -> Tensor:
        lead = lead_dims(rng)
        d_real, d_fake = scores if scores is not None else (critic(real), critic(fake))
        total = 0
        for x, d in ((real, d_real), (fake, d_fake)):
            moved = x + self.std * randn(rng, *x.shape[lead - 1 :], device=x.device, dtype=x.dtype)
            total = total + consistency(d, critic(moved), lead)
        return total


def consistency(d: Tensor, d_moved: Tensor, lead: int = 1) -> Tensor:
    """E[(D(T(x)) - D(x))^2] over a batch: a scalar, or one per replica (`lead` = 2)."""
    head = d.shape[: lead - 1]
    return ((d_moved - d).reshape(*head, -1) ** 2).mean(-1)
