"""f-divergences and the f-GAN objective (Nowozin, Cseke, Tomioka 2016; docs/theory.md section 5).

`D_f(P || Q) = E_Q f(p/q) >= sup_T E_P[T] - E_Q[f*(T)]`. The critic outputs an unbounded `v`; the
output activation `g_f` maps it into the domain of `f*`, so `T = g_f(v)`. Every divergence carries
`f*(g_f(v))` written out in closed form, which is exact where the composition would overflow or
take the log of 0. With the table's `f`, `js` is 2 JS(P, Q) and `gan` is 2 JS(P, Q) - log 4.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import torch.nn.functional as F
from torch import Tensor

from ganexp.losses import Objective
from ganexp.names import F_G_OBJECTIVES

LOG2 = math.log(2.0)


class Divergence(NamedTuple):
    """f, its Fenchel conjugate f*, the output activation g_f, and f*(g_f(v)) in closed form."""

    f: Callable[[Tensor], Tensor]
    conjugate: Callable[[Tensor], Tensor]
    activation: Callable[[Tensor], Tensor]
    conjugate_of_activation: Callable[[Tensor], Tensor]


DIVERGENCES: dict[str, Divergence] = {
    "kl": Divergence(
        lambda u: u * u.log(),
        lambda t: (t - 1).exp(),
        lambda v: v,
        lambda v: (v - 1).exp(),
    ),
    "reverse_kl": Divergence(
        lambda u: -u.log(),
        lambda t: -1 - (-t).log(),
        lambda v: -(-v).exp(),
        lambda v: v - 1,
    ),
    "pearson": Divergence(
        lambda u: (u - 1) ** 2,
        lambda t: t**2 / 4 + t,
        lambda v: v,
        lambda v: v**2 / 4 + v,
    ),
    "neyman": Divergence(
        lambda u: (1 - u) ** 2 / u,
        lambda t: 2 - 2 * (1 - t).sqrt(),
        lambda v: 1 - (-v).exp(),
        lambda v: 2 - 2 * (-v / 2).exp(),
    ),
    "hellinger": Divergence(
        lambda u: (u.sqrt() - 1) ** 2,
        lambda t: t / (1 - t),
        lambda v: 1 - (-v).exp(),
        lambda v: v.exp() - 1,
    ),
    "js": Divergence(
        lambda u: -(u + 1) * ((1 + u) / 2).log() + u * u.log(),
        lambda t: -(2 - t.exp()).log(),
        lambda v: LOG2 - F.softplus(-v),
        lambda v: F.softplus(v) - LOG2,
    ),
    "gan": Divergence(
        lambda u: u * u.log() - (u + 1) * (u + 1).log(),
        lambda t: -(1 - t.exp()).log(),
        lambda v: -F.softplus(-v),
        lambda v: F.softplus(v),
    ),
}

G_OBJECTIVES = F_G_OBJECTIVES


def f_estimate(divergence: str, real: Tensor, fake: Tensor) -> Tensor:
    """The variational bound E_P[g_f(v)] - E_Q[f*(g_f(v))]: an estimate of D_f(P || Q) from below."""
    d = DIVERGENCES[divergence]
    return d.activation(real).mean() - d.conjugate_of_activation(fake).mean()


def f_objective(divergence: str, g_objective: str = "bound") -> Objective:
    """The critic ascends the bound. `bound`: the generator descends it (at the optimal critic its
    gradient is the gradient of D_f itself); `ns`: the generator ascends E_Q[g_f(v)], the paper's
    practical alternative (the non-saturating trick for the GAN divergence)."""
    d = DIVERGENCES[divergence]

    def d_loss(real: Tensor, fake: Tensor) -> Tensor:
        return -f_estimate(divergence, real, fake)

    def g_loss(fake: Tensor) -> Tensor:
        if g_objective == "ns":
            return -d.activation(fake).mean()
        return -d.conjugate_of_activation(fake).mean()

    return Objective(d_loss, g_loss)


def exact_divergence(divergence: str, p: Tensor, q: Tensor) -> Tensor:
    """D_f(P || Q) = sum_x q(x) f(p(x) / q(x)) for discrete P, Q with full support."""
    return (q * DIVERGENCES[divergence].f(p / q)).sum()
