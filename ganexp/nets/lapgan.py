"""LAPGAN (Denton et al. 2015; docs/theory.md section 10): a Laplacian pyramid of generators.

Level 0 generates a small image from noise: a small convolutional pair by default
(`coarsest="conv"`: stride-1 3x3 convolutions around each change of resolution, so the nets are
four layers deep even at 8 px), or fully connected nets (`coarsest="mlp"`, as Denton et al. used
for CIFAR-10's 8x8 level). Each finer level k
takes the upsampled coarser image l_k and a noise plane and generates the high-frequency residual
h_k; the image is l_k + h_k. Level k's discriminator judges the pair (l_k, l_k + h) against real
pyramid pairs. Sampling runs coarse to fine through every level.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganexp.nets.dcgan import DCGANDiscriminator, doublings, init_dcgan
from ganexp.nets.mlp import MLPDiscriminator, MLPGenerator
from ganexp.nets.norm import norm2d, with_spectral_norm


def downsample(x: Tensor) -> Tensor:
    """Half the resolution: the mean of each 2x2 block."""
    return F.avg_pool2d(x, 2)


def upsample(x: Tensor) -> Tensor:
    """Twice the resolution, bilinear."""
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


def gaussian_pyramid(image: Tensor, levels: int) -> list[Tensor]:
    """[I_0, ..., I_{levels-1} = image], coarsest first, each I_{k-1} = downsample(I_k)."""
    images = [image]
    for _ in range(levels - 1):
        images.insert(0, downsample(images[0]))
    return images


def laplacian_pyramid(image: Tensor, levels: int) -> list[Tensor]:
    """[I_0, h_1, ..., h_{levels-1}]: the coarsest image, then each finer level's residual
    h_k = I_k - upsample(I_{k-1})."""
    images = gaussian_pyramid(image, levels)
    return [images[0]] + [fine - upsample(coarse) for coarse, fine in zip(images, images[1:])]


def reconstruct(pyramid: Sequence[Tensor]) -> Tensor:
    """The image a pyramid describes: I_k = upsample(I_{k-1}) + h_k, from I_0 up."""
    image = pyramid[0]
    for residual in pyramid[1:]:
        image = upsample(image) + residual
    return image


def level_sizes(size: int, levels: int) -> list[int]:
    """Image sizes from the coarsest level to the finest (`size`)."""
    return [size // 2 ** (levels - 1 - k) for k in range(levels)]


class ConvGenerator(nn.Module):
    """z -> 4x4 (linear) -> a transposed 4x4 convolution per doubling of the resolution -> two
    3x3 convolutions -> tanh. BatchNorm and ReLU inside. Channels: 4 `width` at 4x4 at 8 px,
    halving with each doubling, down to `width` before the output layer."""

    def __init__(self, z_dim: int, shape: Sequence[int], width: int = 16):
        super().__init__()
        channels, depth = shape[0], doublings(shape[-1])
        ch = width * 2 ** (depth + 1)
        layers: list[nn.Module] = [
            nn.Linear(z_dim, ch * 16),
            nn.Unflatten(1, (ch, 4, 4)),
            nn.BatchNorm2d(ch),
            nn.ReLU(True),
        ]
        for _ in range(depth):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1), nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
            ch //= 2
        layers += [
            nn.Conv2d(ch, ch // 2, 3, 1, 1),
            nn.BatchNorm2d(ch // 2),
            nn.ReLU(True),
            nn.Conv2d(ch // 2, channels, 3, 1, 1),
            nn.Tanh(),
        ]
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class ConvDiscriminator(nn.Module):
    """The generator's mirror: a 3x3 convolution to `width` channels, a strided 4x4 convolution
    per halving down to 4x4 (channels doubling), a 3x3 convolution, one linear logit.
    LeakyReLU(0.2); `norm` between layers (`none` for level 0, see PyramidDiscriminator)."""

    def __init__(self, shape: Sequence[int], width: int = 16, norm: str = "none"):
        super().__init__()
        channels, depth = shape[0], doublings(shape[-1])
        ch = width
        layers: list[nn.Module] = [nn.Conv2d(channels, ch, 3, 1, 1), nn.LeakyReLU(0.2, True)]
        for _ in range(depth):
            layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1), norm2d(norm, ch * 2), nn.LeakyReLU(0.2, True)]
            ch *= 2
        layers += [
            nn.Conv2d(ch, ch * 2, 3, 1, 1),
            norm2d(norm, ch * 2),
            nn.LeakyReLU(0.2, True),
            nn.Flatten(),
            nn.Linear(ch * 2 * 16, 1),
            nn.Flatten(0),
        ]
        self.net = nn.Sequential(*layers)
        if norm == "spectral":
            with_spectral_norm(self)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class ResidualGenerator(nn.Module):
    """G_k(noise plane, l_k) -> h_k: three 3x3 convolutions over [l_k, noise], linear output.

    No BatchNorm: it would rescale the noise plane's features to unit variance whatever their
    size, so every sample would carry loud noise the discriminator sees at once. The output layer
    starts at zero, so training starts from the plain upsampled image (h_k = 0).
    """

    def __init__(self, channels: int, width: int = 16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels + 1, width, 3, 1, 1),
            nn.ReLU(True),
            nn.Conv2d(width, width, 3, 1, 1),
            nn.ReLU(True),
            nn.Conv2d(width, channels, 3, 1, 1),
        )
        init_dcgan(self)
        nn.init.zeros_(self.net[-1].weight)

    def forward(self, noise: Tensor, coarse: Tensor) -> Tensor:
        return self.net(torch.cat([coarse, noise], dim=1))


class PyramidGenerator(nn.Module):
    """All levels' generators; `forward(z)` samples through the pyramid. z holds the coarsest
    level's `z_dim` values, then one noise plane per finer level (`noise_dim` values in all)."""

    def __init__(
        self,
        z_dim: int,
        shape: Sequence[int],
        levels: int = 3,
        coarsest: str = "conv",
        hidden: Sequence[int] = (512, 512),
        width: int = 16,
        residual_width: int = 16,
    ):
        super().__init__()
        channels, self.sizes = shape[0], level_sizes(shape[-1], levels)
        self.z_dim = z_dim
        small = (channels, self.sizes[0], self.sizes[0])
        if coarsest == "mlp":  # BatchNorm and ReLU inside, tanh out, like the DCGAN
            level0 = MLPGenerator(z_dim, small, hidden, tanh=True, norm="batch")
        else:
            level0 = ConvGenerator(z_dim, small, width)
        self.levels = nn.ModuleList(
            [level0] + [ResidualGenerator(channels, residual_width) for _ in self.sizes[1:]]
        )
        self.noise_dim = z_dim + sum(s * s for s in self.sizes[1:])

    def split(self, z: Tensor) -> list[Tensor]:
        """z -> [z_0, noise plane of level 1, ...]."""
        parts = z.split([self.z_dim] + [s * s for s in self.sizes[1:]], dim=1)
        return [parts[0]] + [p.view(-1, 1, s, s) for p, s in zip(parts[1:], self.sizes[1:])]

    def refine(self, k: int, noise: Tensor, coarse: Tensor) -> Tensor:
        """Level k's image l_k + G_k(noise, l_k), kept in the data's range [-1, 1] like level 0's
        tanh output (training and sampling both go through here)."""
        return (coarse + self.levels[k](noise, coarse)).clamp(-1, 1)

    def pyramid(self, z: Tensor) -> list[Tensor]:
        """Every level's image from z, coarsest first; the last is the sample."""
        noise = self.split(z)
        images = [self.levels[0](noise[0])]
        for k, plane in enumerate(noise[1:], start=1):
            images.append(self.refine(k, plane, upsample(images[-1])))
        return images

    def forward(self, z: Tensor) -> Tensor:
        return self.pyramid(z)[-1]


class PyramidDiscriminator(nn.Module):
    """All levels' discriminators: level 0 judges small images (a convolutional critic of `width`,
    or an MLP critic of `hidden` units), level k the pair (l_k, image) (a DCGAN critic of
    `residual_width` over both as channels)."""

    def __init__(
        self,
        shape: Sequence[int],
        levels: int = 3,
        coarsest: str = "conv",
        hidden: Sequence[int] = (512, 512),
        width: int = 16,
        residual_width: int = 32,
        norm: str = "batch",
    ):
        super().__init__()
        channels, sizes = shape[0], level_sizes(shape[-1], levels)
        small = (channels, sizes[0], sizes[0])
        # no BatchNorm at level 0: over a batch of fakes only, it normalises away any feature
        # that every fake shares, so the critic could not see an artefact common to all samples
        norm0 = "none" if norm == "batch" else norm
        if coarsest == "mlp":
            level0 = MLPDiscriminator(small, hidden, norm0)
        else:
            level0 = ConvDiscriminator(small, width, norm0)
        self.levels = nn.ModuleList(
            [level0]
            + [DCGANDiscriminator((2 * channels, s, s), residual_width, norm) for s in sizes[1:]]
        )
