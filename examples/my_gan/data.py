"""Three Gaussians at the corners of a triangle: a 2-D mixture with a known density, so ganexp's
exact metrics (modes covered, high-quality fraction) work without any code here."""

import math

import torch

from ganexp.contracts import GaussianMixture


class Triangle(GaussianMixture):
    def __init__(self, radius: float = 1.5, std: float = 0.05, **kw):
        angles = torch.tensor([90.0, 210.0, 330.0]) * math.pi / 180
        super().__init__(radius * torch.stack([angles.cos(), angles.sin()], 1), std, **kw)
