"""A run whose numbers stop being finite stops at that generator step: `Diverged` names the step,
the key and the value, and no checkpoint with non-finite weights is ever written."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported where a tensor is read: the command line's errors stay fast
    from torch import Tensor


class Diverged(RuntimeError):
    """Training produced a non-finite loss, penalty, estimate or weight at generator step `g_step`.

    `summary` is the run's summary (with its `diverged` entry) once the run has written it."""

    def __init__(self, g_step: int, key: str, value: float):
        self.g_step, self.key, self.value = g_step, key, value
        self.summary: dict = {}
        super().__init__(f"diverged at g_step {g_step}: {key} = {value}")

    def record(self) -> dict:
        """The `diverged` entry of summary.json (the value as text: JSON has no nan or inf)."""
        return {"g_step": self.g_step, "key": self.key, "value": str(self.value)}


def first_non_finite(values: Mapping[str, Tensor]) -> tuple[str, float] | None:
    """The first (key, value) of scalar `values` that is nan or +-inf, or None; one host sync."""
    import torch

    if not values:
        return None
    stacked = torch.stack([v.detach().float().reshape(()) for v in values.values()])
    if bool(torch.isfinite(stacked).all()):
        return None
    for key, value in zip(values, stacked.tolist()):
        if not math.isfinite(value):
            return key, value
    return None  # unreachable: some value was not finite


def first_non_finite_tensor(tensors: Mapping[str, Tensor]) -> str | None:
    """The name of the first floating-point tensor of `tensors` holding a nan or inf, or None."""
    import torch

    for key, value in tensors.items():
        if torch.is_tensor(value) and value.is_floating_point():
            if not bool(torch.isfinite(value).all()):
                return key
    return None
