"""WGAN-GP's two-sided gradient penalty, added to the critic's own loss (one backward, DDP-safe)."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

from ganexp.callbacks.penalty import CriticPenalty
from ganexp.losses.adversarial import gradient_penalty
from ganexp.replicas import lead_dims, rand


class GradientPenalty(CriticPenalty):
    """Critic regularizer: `weight` * E[(||grad D(x^)||_2 - 1)^2], logged as `train/gp` (unweighted)."""

    name = "gp"
    needs_input_gradients = True
    supports_replicas = True

    def __init__(self, weight: float = 10.0, one_sided: bool = False, every: int = 1):
        self.weight, self.one_sided, self.every = weight, one_sided, every

    def critic_penalty(
        self, critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor, rng
    ) -> Tensor:
        eps = rand(rng, real.shape[lead_dims(rng) - 1], device=real.device)
        return gradient_penalty(critic, real, fake, eps, self.one_sided)
