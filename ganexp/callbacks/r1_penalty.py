"""R1 regularisation, a critic penalty beside WGAN-GP's: (gamma / 2) E_data ||grad D(x)||^2,
added to the critic's own loss (one backward, DDP-safe), logged as `train/r1` (unweighted)."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

from ganexp.callbacks.penalty import CriticPenalty
from ganexp.losses.adversarial import r1_penalty
from ganexp.replicas import lead_dims


class R1Penalty(CriticPenalty):
    name = "r1"
    needs_input_gradients = True
    supports_replicas = True

    def __init__(self, gamma: float = 10.0, every: int = 1):
        self.gamma, self.every = gamma, every
        self.weight = gamma / 2

    def critic_penalty(
        self, critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor, rng
    ) -> Tensor:
        return r1_penalty(critic, real, lead_dims(rng))
