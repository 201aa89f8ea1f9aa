"""Exact divergences between discrete distributions and 1-D Wasserstein distances.

Natural logarithms throughout; KL follows 0 log 0 = 0 and is infinite where p > 0 = q.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def kl(p: Tensor, q: Tensor) -> float:
    """KL(p || q) = sum p log(p / q) for two probability vectors."""
    p, q = p.double(), q.double()
    support = p > 0
    if (q[support] == 0).any():
        return math.inf
    return (p[support] * (p[support] / q[support]).log()).sum().item()


def js(p: Tensor, q: Tensor) -> float:
    """JS(p || q) = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2; in [0, log 2]."""
    m = (p.double() + q.double()) / 2
    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def w1_samples(x: Tensor, y: Tensor) -> float:
    """W1 between two empirical 1-D distributions (scipy's exact CDF-area computation)."""
    from scipy.stats import wasserstein_distance

    return float(wasserstein_distance(x.flatten().double().numpy(), y.flatten().double().numpy()))


def w1_to_cdf(x: Tensor, cdf, lo: float, hi: float, points: int = 20001) -> float:
    """W1 = integral |F(t) - F_n(t)| dt between a known CDF `cdf` and the sample `x` (1-D).

    The integral runs over [min(lo, x), max(hi, x)] on `points` grid points (trapezoid rule);
    `lo` and `hi` should bound the data's mass.
    """
    x = x.flatten().double()
    t = torch.linspace(
        min(lo, x.min().item()), max(hi, x.max().item()), points, dtype=torch.float64
    )
    empirical = torch.searchsorted(x.sort().values, t, right=True).double() / len(x)
    return torch.trapezoid((cdf(t) - empirical).abs(), t).item()
