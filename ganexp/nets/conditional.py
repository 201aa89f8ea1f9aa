"""Conditional nets (Mirza and Osindero 2014): G(z, y) and D(x, y) around any unconditional pair.

The generator sees a learned embedding of the label beside the noise; the discriminator sees the
label as one-hot channels beside the image (or one-hot features beside a point), so it judges
whether x is a real sample *of class y*. Both wrap nets built for the wider input.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class ConditionalGenerator(nn.Module):
    """G(z, y) = net([z, embed(y)]), `net` built for z_dim + embed_dim inputs."""

    def __init__(self, net: nn.Module, num_classes: int, embed_dim: int):
        super().__init__()
        self.embed = nn.Embedding(num_classes, embed_dim)
        self.net = net

    def forward(self, z: Tensor, y: Tensor) -> Tensor:
        return self.net(torch.cat([z, self.embed(y)], dim=1))


class ConditionalDiscriminator(nn.Module):
    """D(x, y) = net([x, one_hot(y)]) along the channel (or feature) axis, `net` built for
    num_classes more channels."""

    def __init__(self, net: nn.Module, num_classes: int):
        super().__init__()
        self.net, self.num_classes = net, num_classes

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        """`y` holds one label per sample, or (n, m) labels for packs of m samples (PacGAN), whose
        one-hot codes are joined like the packed samples."""
        onehot = F.one_hot(y, self.num_classes).flatten(1).to(x.dtype)
        if x.dim() == 4:
            onehot = onehot[:, :, None, None].expand(-1, -1, *x.shape[2:])
        return self.net(torch.cat([x, onehot], dim=1))
