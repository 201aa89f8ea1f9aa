"""DCGAN (Radford et al. 2016): strided convolutions, no pooling, no hidden fully connected layers.

The generator projects z to 4x4 and doubles the resolution with transposed convolutions up to
`size` (16, 32 or 64 px): BatchNorm and ReLU inside, tanh out. The discriminator mirrors it with
strided convolutions and LeakyReLU(0.2), and ends in one logit per image.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import Tensor, nn

from ganexp.nets.norm import norm2d, with_spectral_norm


def doublings(size: int) -> int:
    """Number of stride-2 layers between 4x4 and `size` px (8, 16, 32 or 64)."""
    if size not in (8, 16, 32, 64):
        raise ValueError(f"DCGAN image size {size}: allowed values are 8, 16, 32, 64")
    return int(math.log2(size // 4))


def init_dcgan(module: nn.Module) -> None:
    """Weights N(0, 0.02); normalisation scales N(1, 0.02); biases zero."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class DCGANGenerator(nn.Module):
    def __init__(self, z_dim: int, shape: Sequence[int], width: int = 64):
        super().__init__()
        channels, depth = shape[0], doublings(shape[-1])
        ch = width * 2 ** (depth - 1)
        layers: list[nn.Module] = [
            nn.Unflatten(1, (z_dim, 1, 1)),
            nn.ConvTranspose2d(z_dim, ch, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ch),
            nn.ReLU(True),
        ]
        for _ in range(depth - 1):
            layers += [
                nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ch // 2),
                nn.ReLU(True),
            ]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        init_dcgan(self)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class DCGANDiscriminator(nn.Module):
    def __init__(
        self, shape: Sequence[int], width: int = 64, norm: str = "batch", out_features: int = 1
    ):
        super().__init__()
        channels, depth = shape[0], doublings(shape[-1])
        ch = width
        layers: list[nn.Module] = [nn.Conv2d(channels, ch, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        for _ in range(depth - 1):
            layers += [
                nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=norm in ("none", "spectral")),
                norm2d(norm, ch * 2),
                nn.LeakyReLU(0.2, True),
            ]
            ch *= 2
        # one logit per image (or `out_features` outputs, as a VAE's encoder)
        layers += [nn.Conv2d(ch, out_features, 4, 1, 0), nn.Flatten(0 if out_features == 1 else 1)]
        self.net = nn.Sequential(*layers)
        init_dcgan(self)
        if norm == "spectral":
            with_spectral_norm(self)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)
