"""Normalisation by name (`ganexp.names.NORMS`). Gradient penalties are per sample, so their
critics use `layer`, `none` or `spectral`. `spectral` (Miyato et al. 2018) adds no layer: it
divides every weight by its largest singular value, estimated by one power iteration per forward
pass (`spectral_norm`)."""

from __future__ import annotations

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


def with_spectral_norm(net: nn.Module) -> nn.Module:
    """`net` with every linear and convolution weight spectrally normalised (in place)."""
    for m in list(net.modules()):
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            spectral_norm(m)
    return net


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
