"""Statistics of a noisy curve that no single reading can meet.

A claim's check reads a curve of readings (a gradient norm every 10 steps of a fresh
discriminator, a score along a run). The lowest or highest reading is what one lucky reading
gives; these read medians over a stretch of the curve instead, so a check holds only when the
curve itself has the shape.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SHARE = 0.1  # a stretch is a tenth of the readings ...
LEAST = 3  # ... and at least three of them


def stretch(n: int, share: float = SHARE) -> int:
    """How many of `n` readings make one stretch: `share` of them, at least LEAST, at most n."""
    return min(n, max(LEAST, round(n * share)))


def rolling_median(values: Sequence[float], width: int) -> np.ndarray:
    """The median of every `width` consecutive readings (len(values) - width + 1 of them)."""
    v = np.asarray(values, dtype=float)
    return np.median(np.lib.stride_tricks.sliding_window_view(v, width), axis=-1)


def start(values: Sequence[float], share: float = SHARE) -> float:
    """The median of the first stretch of readings."""
    v = np.asarray(values, dtype=float)
    return float(np.median(v[: stretch(len(v), share)]))


def end(values: Sequence[float], share: float = SHARE) -> float:
    """The median of the last stretch of readings."""
    v = np.asarray(values, dtype=float)
    return float(np.median(v[-stretch(len(v), share) :]))


def peak(values: Sequence[float], share: float = SHARE) -> tuple[float, int]:
    """The highest median of a stretch of readings, and the index of that stretch's middle."""
    width = stretch(len(values), share)
    medians = rolling_median(values, width)
    at = int(medians.argmax())
    return float(medians[at]), at + width // 2


def fall(values: Sequence[float], share: float = SHARE) -> float:
    """How many times the curve's end lies below its peak: `peak / end`, both medians of a
    stretch (1 for a curve that never falls)."""
    return peak(values, share)[0] / end(values, share)


def growth(values: Sequence[float], share: float = SHARE) -> float:
    """How many times the curve's end lies above its start: `end / start`, both medians of a
    stretch."""
    return end(values, share) / start(values, share)


def trend_end(t: Sequence[float], values: Sequence[float]) -> float:
    """The value at the last time `t[-1]` of the Theil-Sen line through (t, values): its slope
    the median of the slopes between every two readings, its level through the medians (Sen
    1968). Where a curve still falls, its median lags behind its end; its last reading is one
    reading. The trend's end reads where the whole stretch is heading: one reading of any size
    moves n - 1 of the n (n - 1) / 2 slopes, fewer than half from n = 4 on, so it cannot carry
    their median beyond the slopes it did not touch."""
    t, y = np.asarray(t, dtype=float), np.asarray(values, dtype=float)
    i, j = np.triu_indices(len(t), k=1)
    slope = float(np.median((y[j] - y[i]) / (t[j] - t[i])))
    return float(np.median(y) + slope * (t[-1] - np.median(t)))
