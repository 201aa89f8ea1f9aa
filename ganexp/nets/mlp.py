"""Fully connected generator and discriminator for any data shape (images are flattened)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import Tensor, nn

from ganexp.nets.norm import norm1d, with_spectral_norm


class Maxout(nn.Module):
    """A linear layer with `pieces` outputs per unit, keeping the largest (Goodfellow et al. 2013)."""

    def __init__(self, in_features: int, out_features: int, pieces: int):
        super().__init__()
        self.pieces = pieces
        self.linear = nn.Linear(in_features, out_features * pieces)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x).unflatten(-1, (-1, self.pieces)).amax(-1)


class MLPGenerator(nn.Module):
    """z -> hidden ReLU layers (BatchNorm before each ReLU with `norm="batch"`) -> data of
    `shape`; `tanh` output for images in [-1, 1]."""

    def __init__(
        self,
        z_dim: int,
        shape: Sequence[int],
        hidden: Sequence[int],
        tanh: bool,
        norm: str = "none",
    ):
        super().__init__()
        self.shape = tuple(shape)
        layers: list[nn.Module] = []
        width = z_dim
        for h in hidden:
            layers += [nn.Linear(width, h), norm1d(norm, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, math.prod(self.shape)))
        if tanh:
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z).view(-1, *self.shape)


class MLPDiscriminator(nn.Module):
    """Flattened data -> hidden LeakyReLU(0.2) layers (or maxout layers of `maxout` pieces, as in
    PacGAN's critic) -> one logit per sample (or `out_features` outputs, as a VAE's encoder)."""

    def __init__(
        self,
        shape: Sequence[int],
        hidden: Sequence[int],
        norm: str,
        out_features: int = 1,
        maxout: int = 1,
    ):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        width = math.prod(shape)
        for h in hidden:
            if maxout > 1:
                layers += [Maxout(width, h, maxout), norm1d(norm, h)]
            else:
                layers += [nn.Linear(width, h), norm1d(norm, h), nn.LeakyReLU(0.2)]
            width = h
        layers.append(nn.Linear(width, out_features))
        self.net = nn.Sequential(*layers)
        self.out_features = out_features
        if norm == "spectral":
            with_spectral_norm(self)

    def forward(self, x: Tensor) -> Tensor:
        out = self.net(x)
        return out.squeeze(-1) if self.out_features == 1 else out
