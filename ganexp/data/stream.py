"""Training batches keyed by step: batch `k` is a pure function of (seed, rank, k).

That is what makes a resumed run bit-identical to an uninterrupted one (no sampler state to save,
prefetching cannot skip a batch) and gives every DDP rank its own data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch

_MASK = 2**63 - 1
# the independent random streams of a run, one id each
DATA_STREAM = 0  # training batches
NOISE_STREAM = 1  # the noise of training steps (and penalties' interpolation weights)
SAMPLE_STREAM = 2  # the fixed noise of the sample pictures
EVAL_STREAM = 3  # the samples of every evaluation
CALIBRATION_STREAM = 4  # the data and noise that calibrate a critic for rejection sampling
DIAGNOSTICS_STREAM = 5  # the noise of training diagnostics (callbacks/diagnostics.py)


def step_key(seed: int, stream: int, rank: int, step: int) -> int:
    """A 63-bit seed unique to (seed, stream, rank, step)."""
    key = seed
    for part in (stream, rank, step):
        key = (key * 0x9E3779B97F4A7C15 + part + 1) & _MASK
    return key


class StepStream:
    """An endless iterable: `draw(generator)` with a generator seeded for each step from `start` on.

    With `replicas` = K > 1 each step yields the draws of seeds `seed`, ..., `seed + K - 1`
    stacked along a new first axis (a pair of tensors is stacked member by member): replica k
    gets the batches of the run of seed `seed + k`."""

    def __init__(
        self,
        draw: Callable[[torch.Generator], Any],
        seed: int,
        rank: int,
        start: int,
        replicas: int = 1,
    ):
        self.draw, self.seed, self.rank, self.start = draw, seed, rank, start
        self.replicas = replicas

    def __iter__(self) -> Iterator[Any]:
        gen = torch.Generator()
        step = self.start
        while True:
            draws = []
            for k in range(self.replicas):
                gen.manual_seed(step_key(self.seed + k, DATA_STREAM, self.rank, step))
                draws.append(self.draw(gen))
            yield draws[0] if self.replicas == 1 else stack(draws)
            step += 1


def stack(draws: list) -> Any:
    """Draws (tensors, or tuples of tensors) stacked along a new first axis."""
    if isinstance(draws[0], (tuple, list)):
        return tuple(torch.stack(parts) for parts in zip(*draws))
    return torch.stack(draws)
