"""One-sided label smoothing (Salimans et al. 2016): D's targets for real samples are
`real_label` (e.g. 0.9) instead of 1, which keeps it from growing over-confident; G plays the
non-saturating game. A built-in family reads the logits as always (GAN: `train/js_estimate`)."""

import torch.nn.functional as F
from torch import Tensor

from ganexp.contracts import Objective


def smoothed_ns(real_label: float = 0.9) -> Objective:
    def d_loss(real: Tensor, fake: Tensor) -> Tensor:
        real_loss = F.binary_cross_entropy_with_logits(real, real.new_full(real.shape, real_label))
        return real_loss + F.softplus(fake).mean()  # -log(1 - D(fake))

    def g_loss(fake: Tensor) -> Tensor:
        return F.softplus(-fake).mean()  # -log D(fake)

    return Objective(d_loss, g_loss)
