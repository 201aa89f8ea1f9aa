"""The nets' contract (contracts.Generator, contracts.Discriminator), checked once at start-up on
a tiny batch, in eval mode and with their own noise: nothing of the run's state changes."""

from __future__ import annotations

import torch
from torch import Tensor

from ganexp.errors import ConfigError
from ganexp.families.modes import eval_mode
from ganexp.families.packing import pack


class NetContract:
    """Part of a family: a user's G and D keep their contract, or one line names the net."""

    def check_nets(self, shape: tuple[int, ...]) -> None:
        """G draws the data's shape; D gives one score per sample (or pack)."""
        if self.replicas > 1:  # every replica has the same architecture
            return self.replica_views()[0].check_nets(shape)
        n, labels = 2 * self.pack, self.balanced_labels(2 * self.pack)
        x = self.check_generator(shape, n, labels)
        with torch.no_grad(), eval_mode(self.discriminator):
            scores = self.critic(labels)(pack(x, self.pack))
        if tuple(scores.shape) not in ((n // self.pack,), (n // self.pack, 1)):
            raise ConfigError(
                f"model.discriminator: D(x) for x of shape {tuple(pack(x, self.pack).shape)} has "
                f"shape {tuple(scores.shape)}; it must give one score per "
                f"{'pack' if self.pack > 1 else 'sample'}: {(n // self.pack,)} or "
                f"{(n // self.pack, 1)}"
            )

    def check_generator(self, shape: tuple[int, ...], n: int, labels: Tensor | None) -> Tensor:
        """G's output for `n` noise vectors has the data's shape; returns it."""
        z = torch.randn(n, self.z_dim, generator=torch.Generator().manual_seed(0))
        with torch.no_grad(), eval_mode(self.generator):
            x = self.generate(z.to(self.device), labels)
        if tuple(x.shape) != (n, *shape):
            raise ConfigError(
                f"model.generator: G(z) for z of shape {(n, self.z_dim)} has shape "
                f"{tuple(x.shape)}; the data's samples have shape {(n, *shape)}"
            )
        return x
