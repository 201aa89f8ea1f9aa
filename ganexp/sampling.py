"""Discriminator rejection sampling (Azadi et al. 2019; docs/theory.md section 15).

A discriminator trained by cross-entropy (loss `gan` or `ns`) approaches D*(x) = p(x) / (p(x) +
p_G(x)), whose logit is log p(x) / p_G(x). Drawing x from G and keeping it with probability
exp(logit(x) - M), M the largest logit, keeps samples in proportion to p / p_G: where D is optimal,
what is kept follows the data. With packs of m samples (PacGAN) the optimal logit is the sum of
the m samples' log ratios, so keeping whole packs keeps m independent samples of the data.

A critic trained by another loss (WGAN, WGAN-GP, hinge, least squares, f-GAN) does not output that
logit. `calibrate` fine-tunes a copy of it by cross-entropy against the frozen generator
(`sampling.calibrate_steps`): the copy's logit then estimates log p / p_G, whatever loss trained
the original.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganexp.errors import RejectionStalled


def rejection_sample(
    draw: Callable[[int], Tensor],
    logit: Callable[[Tensor], Tensor],
    n: int,
    pack: int = 1,
    generator: torch.Generator | None = None,
    burn_in: int = 10_000,
    min_acceptance: float = 1e-3,
) -> Tensor:
    """`n` samples of `draw(k)` (k samples, k a multiple of `pack`) kept in whole packs of `pack`
    with probability exp(logit(packs) - M).

    Candidates come in rounds of at least `burn_in` packs; M is the largest logit seen so far,
    raised when a round exceeds it (Azadi et al.), so every round keeps at least one pack. When
    fewer than `n` are kept after n / `min_acceptance` candidates, it raises RejectionStalled
    instead of drawing on for ever (a discriminator that rejects nearly everything).
    """
    kept: list[Tensor] = []
    count, drawn, bound = 0, 0, -torch.inf
    while count < n:
        if drawn >= n / min_acceptance:
            raise RejectionStalled(
                f"rejection sampling kept {count} of {drawn} generated samples (acceptance "
                f"{count / drawn:.1e}, below {min_acceptance:g}): the discriminator rejects "
                "nearly everything the generator draws, as early in training; sample without "
                "it: sampling.rejection=false"
            )
        x = draw(max(burn_in, n // pack + 1) * pack)
        drawn += len(x)
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


def calibrate(
    critic: nn.Module,
    real: Callable[[int], Tensor],
    fake: Callable[[int], Tensor],
    steps: int,
    batch: int = 512,
    lr: float = 1e-3,
) -> nn.Module:
    """A copy of `critic` trained by cross-entropy for `steps` steps to tell `real(batch)` from
    `fake(batch)` (both already packed), Adam with `lr` decaying linearly to 0; `critic` itself is
    left as it was. The copy is returned in eval mode."""
    net = copy.deepcopy(critic).train()
    for p in net.parameters():
        p.requires_grad_(True)
    opt = torch.optim.Adam(net.parameters(), lr=lr, betas=(0.5, 0.999))
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - s / steps)
    with torch.enable_grad():
        for _ in range(steps):
            with torch.no_grad():
                x, y = real(batch), fake(batch)
            # separate passes, as in training: BatchNorm never mixes real and fake
            loss = F.softplus(-net(x)).mean() + F.softplus(net(y)).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            schedule.step()
    return net.eval()
