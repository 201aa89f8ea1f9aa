"""scikit-learn's bundled 8x8 handwritten digits (1,797 images): real images with no download."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganexp.data.base import TensorDataModule


class Digits(TensorDataModule):
    """Digits resized to `image_size` px (bilinear, antialiased) and scaled to [-1, 1]."""

    image = True

    def __init__(self, image_size: int = 32, **kw):
        super().__init__(**kw)
        self.image_size = image_size
        self.shape = (1, image_size, image_size)

    def setup(self, stage: str | None = None) -> None:
        if hasattr(self, "data"):
            return
        from sklearn.datasets import load_digits

        digits = load_digits()
        x = torch.tensor(digits.images, dtype=torch.float32)[:, None] / 16.0
        if self.image_size != 8:
            x = F.interpolate(x, size=self.image_size, mode="bilinear", antialias=True)
        self.data = (x.clamp(0, 1) * 2 - 1).contiguous()
        self.labels = torch.tensor(digits.target)
