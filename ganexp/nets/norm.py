"""Normalisation layers by name. Gradient penalties are per sample, so their critics use `layer` or `none`."""

from __future__ import annotations

from torch import nn

NORMS = ("batch", "layer", "none")


def norm1d(name: str, width: int) -> nn.Module:
    """Normalisation for a fully connected layer of `width` features."""
    if name == "batch":
        return nn.BatchNorm1d(width)
    if name == "layer":
        return nn.LayerNorm(width)
    return nn.Identity()


def norm2d(name: str, channels: int) -> nn.Module:
    """Normalisation for a convolution; `layer` normalises each sample over (C, H, W)."""
    if name == "batch":
        return nn.BatchNorm2d(channels)
    if name == "layer":
        return nn.GroupNorm(1, channels)
    return nn.Identity()
