"""Conditioning (`model.conditional=true`): G(z, y) and D(x, y) see the class label.

Batches are (samples, labels); each critic step generates fakes for its real minibatch's labels
and D judges both with those labels, and the generator's step draws its labels from the last
minibatch, so fakes follow the data's class frequencies. An unconditional family has
`num_classes` None and every method here reduces to the plain G(z) and D(x).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ganexp.families.packing import pack
from ganexp.nets.conditional import ConditionalDiscriminator, ConditionalGenerator


def conditioned(generator: nn.Module, discriminator: nn.Module, num_classes: int, embed_dim: int):
    """G(z, y) and D(x, y) around nets built for the wider inputs (nets/conditional.py)."""
    return (
        ConditionalGenerator(generator, num_classes, embed_dim),
        ConditionalDiscriminator(discriminator, num_classes),
    )


class Conditioning:
    """Part of a family: reads `num_classes`, `pack`, `lead`, `generator`, `discriminator`."""

    num_classes: int | None = None

    def balanced_labels(self, n: int) -> Tensor | None:
        """0, 1, ..., K-1, 0, 1, ... (n labels) for a conditional module; None otherwise."""
        if self.num_classes is None:
            return None
        return torch.arange(n, device=self.device) % self.num_classes

    def generate(self, z: Tensor, labels: Tensor | None, net: nn.Module | None = None) -> Tensor:
        """G(z), or G(z, y) for a conditional module."""
        net = self.generator if net is None else net
        return net(z) if labels is None else net(z, labels)

    def critic(self, labels: Tensor | None):
        """D as a function of (packed) x alone, labels bound for a conditional module: what the
        objective and the penalties see. `labels` are one per sample, packed here."""
        if labels is None:
            return self.discriminator
        labels = pack(labels, self.pack, self.lead)
        return lambda x: self.discriminator(x, labels)
