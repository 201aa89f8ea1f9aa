"""LeCam regularisation (Tseng et al. 2021), a critic penalty for small data:

    R = E[relu(D(x) - a_F)^2] + E[relu(a_R - D(G(z)))^2],

where a_R and a_F are exponential moving averages of D's mean output on real and on generated
samples. It keeps D's scores of reals from running away from what it gives fakes (and back), which
bounds the LeCam divergence the game then minimises. It reads the scores D already gave in the
critic step (no second forward pass), is added with `weight` to the critic's loss from generator
step `start` on, and is logged as `train/lecam` (unweighted). The averages are saved in
checkpoints, so a resumed run is the same run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from ganexp.callbacks.penalty import CriticPenalty
from ganexp.replicas import lead_dims


class LeCam(CriticPenalty):
    name = "lecam"
    reads_scores = True  # the family passes (D(real), D(fake)) of the step
    supports_replicas = True

    def __init__(self, weight: float = 0.3, decay: float = 0.99, start: int = 0):
        self.weight, self.decay, self.start = weight, decay, start
        self.n_critic = 1
        self.averages: Tensor | None = None  # (a_R, a_F), shape (2,) or (2, K)

    def setup(self, trainer, pl_module, stage: str) -> None:
        self.n_critic = pl_module.n_critic
        self.reduce = lambda t: trainer.strategy.reduce(t, reduce_op="mean")  # over DDP ranks

    def applies_at(self, critic_step: int) -> bool:
        return critic_step >= self.start * self.n_critic

    def critic_penalty(
        self,
        critic: Callable[[Tensor], Tensor],
        real: Tensor,
        fake: Tensor,
        rng,
        scores: tuple[Tensor, Tensor] | None = None,
    ) -> Tensor:
        d_real, d_fake = scores if scores is not None else (critic(real), critic(fake))
        head = d_real.shape[: lead_dims(rng) - 1]  # () or (K,)
        d_real, d_fake = d_real.reshape(*head, -1), d_fake.reshape(*head, -1)  # (n,) or (K, n)
        means = torch.stack([d_real.detach().mean(-1), d_fake.detach().mean(-1)])
        means = getattr(self, "reduce", lambda t: t)(means)
        self.averages = update(self.averages, means, self.decay)
        a_real, a_fake = self.averages[0], self.averages[1]
        return lecam(d_real, d_fake, a_real.to(d_real.dtype), a_fake.to(d_real.dtype))

    def state_dict(self) -> dict[str, Any]:
        return {"averages": self.averages}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.averages = state_dict["averages"]


def update(averages: Tensor | None, means: Tensor, decay: float) -> Tensor:
    """The moving averages after one step's means (the first step's means start them)."""
    means = means.detach().double()
    return means if averages is None else decay * averages.to(means) + (1 - decay) * means


def lecam(d_real: Tensor, d_fake: Tensor, a_real: Tensor, a_fake: Tensor) -> Tensor:
    """E[relu(D(x) - a_F)^2] + E[relu(a_R - D(G(z)))^2] over the last axis (one per replica)."""
    a_real, a_fake = a_real[..., None], a_fake[..., None]
    return (torch.relu(d_real - a_fake) ** 2).mean(-1) + (torch.relu(a_real - d_fake) ** 2).mean(-1)
