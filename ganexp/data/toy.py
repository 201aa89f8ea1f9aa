"""Toy distributions with known densities, sampled fresh at every step.

2-D mixtures follow the VEEGAN / PacGAN protocol (ring of 8 and grid of 25 Gaussians); the 1-D
sets and the 45-ball distribution of docs/theory.md section 12 have exact divergences to compare against.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from ganexp.data.base import GANDataModule
from ganexp.metrics.truth import continuous_metrics, discrete_metrics, mode_metrics


class GaussianMixture(GANDataModule):
    """Isotropic Gaussian mixture with `means` (k, d), common `std`, mixture `weights`; a sample's
    label is its component."""

    has_labels = True

    def __init__(self, means: Tensor, std: float, weights: Sequence[float] | None = None, **kw):
        super().__init__(**kw)
        self.means = torch.as_tensor(means, dtype=torch.float32)
        self.std = float(std)
        k = len(self.means)
        w = torch.ones(k) if weights is None else torch.as_tensor(weights, dtype=torch.float32)
        if len(w) != k:
            raise ValueError(f"weights has {len(w)} entries for {k} mixture components")
        self.weights = w / w.sum()
        self.shape = (self.means.shape[1],)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return self.sample_labelled(n, generator)[0]

    @property
    def num_classes(self) -> int:
        """The labels are the mixture components."""
        return len(self.means)

    def sample_labelled(
        self, n: int, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        idx = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        noise = torch.randn(n, self.shape[0], generator=generator)
        return self.means[idx] + self.std * noise, idx

    def label_accuracy(self, x: Tensor, labels: Tensor) -> float:
        """Fraction of samples nearest to the component they were asked for."""
        nearest = torch.cdist(x.double(), self.means.double()).argmin(dim=1)
        return (nearest == labels).double().mean().item()

    def cdf(self, t: Tensor) -> Tensor:
        """P(X <= t) for a 1-D mixture, in closed form."""
        means, w = self.means[:, 0].to(t.dtype), self.weights.to(t.dtype)
        return (w * torch.special.ndtr((t[..., None] - means) / self.std)).sum(-1)

    def exact_metrics(self, x: Tensor) -> dict[str, float]:
        if self.shape[0] == 1:
            lo, hi = self.means.min().item() - 6 * self.std, self.means.max().item() + 6 * self.std
            return continuous_metrics(x, self.cdf, lo, hi)
        return mode_metrics(x, self.means, self.std, self.weights)

    def log_density(self, x: Tensor) -> Tensor:
        """log p_data(x) in closed form, shape (n,)."""
        d = self.shape[0]
        sq = ((x[:, None, :] - self.means[None]) ** 2).sum(-1)
        log_norm = -0.5 * d * math.log(2 * math.pi * self.std**2)
        return torch.logsumexp(self.weights.log() + log_norm - sq / (2 * self.std**2), dim=1)


class Ring(GaussianMixture):
    """`modes` Gaussians evenly spaced on a circle of `radius` (ring8: 8, radius 2, std 0.02)."""

    def __init__(self, modes: int = 8, radius: float = 2.0, std: float = 0.02, **kw):
        angles = torch.arange(modes) * 2 * math.pi / modes
        super().__init__(radius * torch.stack([angles.cos(), angles.sin()], 1), std, **kw)


class Grid(GaussianMixture):
    """A `side` x `side` grid of Gaussians `spacing` apart, centred (grid25: 5x5, 2 apart, std 0.05)."""

    def __init__(self, side: int = 5, spacing: float = 2.0, std: float = 0.05, **kw):
        axis = (torch.arange(side) - (side - 1) / 2) * spacing
        super().__init__(torch.cartesian_prod(axis, axis), std, **kw)


class Mixture1D(GaussianMixture):
    """A 1-D Gaussian mixture (gauss1d is the one-component case)."""

    def __init__(
        self, means: Sequence[float], std: float, weights: Sequence[float] | None = None, **kw
    ):
        super().__init__(
            torch.tensor(list(means), dtype=torch.float32)[:, None], std, weights, **kw
        )


class SwissRoll(GANDataModule):
    """The 2-D swiss roll: t ~ U[1.5 pi, 4.5 pi], x = (t cos t, t sin t) / `scale` + N(0, noise^2)."""

    shape = (2,)

    def __init__(self, noise: float = 0.25, scale: float = 5.0, **kw):
        super().__init__(**kw)
        self.noise, self.scale = noise, scale

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=generator))
        x = torch.stack([t * t.cos(), t * t.sin()], 1) / self.scale
        return x + self.noise / self.scale * torch.randn(n, 2, generator=generator)


class Segment(GANDataModule):
    """WGAN's Example 1: the vertical unit segment {offset} x [0, 1] in the plane, x = (offset, u)
    with u ~ U[0, 1]. A generator of the segment at another offset theta has a support disjoint
    from it: JS is log 2 and KL infinite for every theta != 0, while W1 = |theta - offset|."""

    shape = (2,)

    def __init__(self, offset: float = 0.0, **kw):
        super().__init__(**kw)
        self.offset = float(offset)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        u = torch.rand(n, generator=generator)
        return torch.stack([torch.full_like(u, self.offset), u], 1)


class Balls45(GANDataModule):
    """docs/theory.md section 12: 45 balls numbered 1..9 with counts (2, 4, 6, 8, 9, 7, 5, 3, 1)."""

    shape = (1,)
    counts = (2, 4, 6, 8, 9, 7, 5, 3, 1)

    def __init__(self, **kw):
        super().__init__(**kw)
        self.values = torch.arange(1, 10, dtype=torch.float32)
        self.probs = torch.tensor(self.counts, dtype=torch.float64) / sum(self.counts)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        idx = torch.multinomial(self.probs, n, replacement=True, generator=generator)
        return self.values[idx][:, None]

    def exact_metrics(self, x: Tensor) -> dict[str, float]:
        return discrete_metrics(x, self.values, self.probs)
