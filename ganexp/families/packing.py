"""PacGAN packing (`model.pack` = m > 1, Lin et al. 2018): D judges m samples at once.

Every minibatch holds m * batch_size samples; `pack` joins each run of m consecutive samples along
the feature (or channel) axis, so a real pack holds only real samples and a fake pack only
generated ones. Labels are packed alongside, and penalties see packs (the gradient penalty
interpolates whole packs).
"""

from __future__ import annotations

from torch import Tensor


def pack(x: Tensor, m: int, lead: int = 1) -> Tensor:
    """Runs of `m` consecutive samples as one: (n, c, ...) -> (n / m, m * c, ...), labels
    (n,) -> (n / m, m). `m` = 1 returns `x` itself. `lead` = 2: K replicas' batches (K, n, ...),
    each packed on its own."""
    if m == 1:
        return x
    head = x.shape[: lead - 1]
    if x.dim() == lead:
        return x.view(*head, -1, m)
    n, c = x.shape[lead - 1], x.shape[lead]
    return x.reshape(*head, n // m, m * c, *x.shape[lead + 1 :])
