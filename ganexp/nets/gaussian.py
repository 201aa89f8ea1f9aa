"""The parametric generator p(x; theta) of maximum likelihood (docs/theory.md section 12):
x = mu + sigma * z, z ~ N(0, I).

Two learnable parameters per data dimension (mu and log sigma), so what a divergence makes the
generator do (cover both modes, or pick one) can be read off the parameters and compared with the
Gaussian that minimises the divergence exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn


class GaussianGenerator(nn.Module):
    def __init__(
        self,
        z_dim: int,
        shape: Sequence[int],
        mu: float | Sequence[float] = 0.0,
        sigma: float | Sequence[float] = 1.0,
    ):
        """`mu` and `sigma` are one number for every dimension, or one per dimension."""
        super().__init__()
        self.shape = tuple(shape)
        dim = math.prod(self.shape)
        if z_dim != dim:
            raise ValueError(f"model.z_dim={z_dim}: x = mu + sigma * z needs z_dim = {dim}")
        mu, sigma = (torch.as_tensor(v, dtype=torch.float32).expand(dim) for v in (mu, sigma))
        self.mu = nn.Parameter(mu.clone())
        self.log_sigma = nn.Parameter(sigma.log())

    @property
    def sigma(self) -> Tensor:
        return self.log_sigma.exp()

    def forward(self, z: Tensor) -> Tensor:
        return (self.mu + self.sigma * z).view(-1, *self.shape)
