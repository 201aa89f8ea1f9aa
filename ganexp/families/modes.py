"""Small helpers every family uses: nets in eval mode for a block, metrics as Python floats."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn


@contextmanager
def eval_mode(*nets: nn.Module) -> Iterator[None]:
    """`nets` in eval mode for the block (no BatchNorm statistics or power iterations change)."""
    modes = [net.training for net in nets]
    for net in nets:
        net.eval()
    try:
        yield
    finally:
        for net, mode in zip(nets, modes):
            net.train(mode)


def to_floats(metrics: dict[str, Tensor]) -> dict[str, float]:
    """Scalar tensors as Python floats, copied to the host together (one sync, not one per key)."""
    if not metrics:
        return {}
    values = torch.stack([v.detach().double() for v in metrics.values()]).tolist()
    return dict(zip(metrics, values))
