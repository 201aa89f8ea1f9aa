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

from ganexp.errors import ConfigError


class GaussianGenerator(nn.Module):
    def __init__(
        self,
        z_dim: int,
        shape: Sequence[int],
        mu: float | Sequence[float] = 0.0,
        sigma: float | Sequence[float] = 1.0,
    ):
        """`mu` and `sigma` are one number for every dimension, or one per dimension (sigma > 0);
        `z_dim` is the data's dimension. Anything else stops the run with one line (ConfigError)."""
        super().__init__()
        self.shape = tuple(shape)
        dim = math.prod(self.shape)
        for key, value in (("mu", mu), ("sigma", sigma)):
            values = list(value) if isinstance(value, Sequence) else [value]
            ok = len(values) in (1, dim) and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
            )
            if not ok or (key == "sigma" and min(values) <= 0):
                bound = " > 0" if key == "sigma" else ""
                per_dim = f" or {dim} numbers{bound} (one per data dimension)" if dim > 1 else ""
                raise ConfigError(
                    f"model.generator.{key}={value}: must be one number{bound}{per_dim}"
                )
        if z_dim != dim:
            raise ConfigError(
                f"model.z_dim={z_dim}: model=gaussian draws x = mu + sigma * z, so z_dim is the "
                f"data's dimension; allowed values are [{dim}]"
            )
        mu, sigma = (torch.as_tensor(v, dtype=torch.float32).expand(dim) for v in (mu, sigma))
        self.mu = nn.Parameter(mu.clone())
        self.log_sigma = nn.Parameter(sigma.log())

    @property
    def sigma(self) -> Tensor:
        return self.log_sigma.exp()

    def forward(self, z: Tensor) -> Tensor:
        return (self.mu + self.sigma * z).view(-1, *self.shape)
