"""Discriminator rejection sampling (Azadi et al. 2019; docs/theory.md section 15).

A discriminator trained by cross-entropy (loss `gan` or `ns`) approaches D*(x) = p(x) / (p(x) +
p_G(x)), whose logit is log p(x) / p_G(x). Drawing x from G and keeping it with probability
exp(logit(x) - M), M the largest logit, keeps samples in proportion to p / p_G: where D is optimal,
what is kept follows the data. With packs of m samples (PacGAN) the optimal logit is the sum of
the m samples' log ratios, so keeping whole packs keeps m independent samples of the data.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor


def rejection_sample(
    draw: Callable[[int], Tensor],
    logit: Callable[[Tensor], Tensor],
    n: int,
    pack: int = 1,
    generator: torch.Generator | None = None,
    burn_in: int = 10_000,
) -> Tensor:
    """`n` samples of `draw(k)` (k samples, k a multiple of `pack`) kept in whole packs of `pack`
    with probability exp(logit(packs) - M).

    Candidates come in rounds of at least `burn_in` packs; M is the largest logit seen so far,
    raised when a round exceeds it (Azadi et al.), so every round keeps at least one pack.
    """
    kept: list[Tensor] = []
    count, bound = 0, -torch.inf
    while count < n:
        x = draw(max(burn_in, n // pack + 1) * pack)
        packs = x.reshape(len(x) // pack, pack, *x.shape[1:])
        scores = logit(x).reshape(len(packs)).float()
        bound = max(bound, scores.max().item())
        if not math.isfinite(bound):
            raise ValueError(
                f"rejection sampling: the discriminator's largest logit is {bound}; it needs "
                "finite logits (sampling.rejection=false samples without it)"
            )
        u = torch.rand(len(packs), generator=generator, device=x.device)
        keep = packs[u < (scores - bound).exp()].flatten(0, 1)
        kept.append(keep)
        count += len(keep)
    return torch.cat(kept)[:n]
