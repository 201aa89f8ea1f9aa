"""The contract of a critic penalty (WGAN-GP's gradient penalty, R1, or a user's own).

A penalty is a Lightning callback the family receives: at every critic step the family calls
`critic_penalty(critic, real, fake, rng)` and adds `weight` times the result to the critic's loss
before its one backward pass, so the penalty's gradient is averaged across DDP ranks with the
rest. It is logged, unweighted, as `train/<name>`.

Lazy regularisation (Karras et al. 2020, StyleGAN2): with `every` = k > 1 the penalty is computed
only at every k-th critic step of the run (critic steps 0, k, 2k, ...) and added with weight
k * `weight`, so on average the critic feels the same penalty for about 1/k of its cost (a
penalty on input gradients costs a double backward, about half of a WGAN-GP step).
"""

from __future__ import annotations

from collections.abc import Callable

import pytorch_lightning as pl
import torch
from torch import Tensor


class CriticPenalty(pl.Callback):
    """Subclass, set `name` and `weight`, implement `critic_penalty`.

    `critic` maps a (packed) batch x of shape (n, *shape) to scores of shape (n,) or (n, 1) (labels
    already bound for a conditional model); `real` and `fake` are the step's batches (fake is
    detached); `rng` is the step's keyed noise generator (draw from it, never from the global one,
    so a resumed run is exact). Return a scalar tensor.

    `needs_input_gradients = True` for a penalty on D's gradient with respect to its input: such a
    critic must judge every sample on its own (no BatchNorm: `model.d_norm=auto` picks layer norm)
    and needs a double backward (a compiled critic has none).
    """

    name: str = "penalty"
    weight: float = 1.0
    every: int = 1
    needs_input_gradients: bool = False

    def applies_at(self, critic_step: int) -> bool:
        """Whether the critic step numbered `critic_step` (0, 1, ... over the run) takes this
        penalty (every step unless `every` > 1)."""
        return critic_step % self.every == 0

    def critic_penalty(
        self, critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor, rng: torch.Generator
    ) -> Tensor:
        raise NotImplementedError
