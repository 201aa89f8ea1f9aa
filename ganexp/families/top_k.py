"""Top-k generator updates (Sinha et al. 2020): G steps only from the fakes its discriminator
rates most real.

The fakes D rates worst are the ones furthest from any mode; their gradient pulls G towards
wherever D happens to be least sure, which on a mixture is often between the modes. Keeping the
k best-rated fakes of each batch drops that pull. k starts at the whole batch, while D's ratings
mean little, and shrinks geometrically to its floor: `train.top_k` is the floor (a share of the
batch; 1 keeps every fake), `train.top_k_decay` the factor per generator step.
"""

from __future__ import annotations

import math

from torch import Tensor


def kept_share(g_step: int, least: float, decay: float) -> float:
    """The share of a batch that updates G at generator step `g_step`: decay^g_step, not below
    `least`."""
    return max(least, decay**g_step)


def top_k(scores: Tensor, share: float, axis: int = 0) -> Tensor:
    """The ceil(share * n) highest of `n` scores along `axis` (each replica's batch on its own
    when `axis` is 1); all of them, untouched, when that is every score."""
    n = scores.shape[axis]
    k = max(1, math.ceil(share * n - 1e-9))
    return scores if k >= n else scores.topk(k, dim=axis).values
