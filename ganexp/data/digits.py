"""scikit-learn's bundled 8x8 handwritten digits (1,797 images): real images with no download."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganexp.data.base import TensorDataModule, complement, stratified


class Digits(TensorDataModule):
    """Digits resized to `image_size` px (bilinear, antialiased) and scaled to [-1, 1].

    A fraction `holdout` of the images, stratified by class and fixed by `split_seed`, is held out
    (the evaluation's reference; neither the GAN nor the scoring classifier sees it)."""

    image = True

    def __init__(self, image_size: int = 32, holdout: float = 0.2, split_seed: int = 0, **kw):
        super().__init__(**kw)
        self.image_size, self.holdout, self.split_seed = image_size, holdout, split_seed
        self.shape = (1, image_size, image_size)

    def setup(self, stage: str | None = None) -> None:
        if hasattr(self, "data"):
            return
        from sklearn.datasets import load_digits

        digits = load_digits()
        x = torch.tensor(digits.images, dtype=torch.float32)[:, None] / 16.0
        if self.image_size != 8:
            x = F.interpolate(x, size=self.image_size, mode="bilinear", antialias=True)
        x, y = (x.clamp(0, 1) * 2 - 1).contiguous(), torch.tensor(digits.target)
        held = stratified(y, round(self.holdout * len(y)), self.split_seed)
        if not len(held):  # holdout=0: the evaluation compares with the training images
            return self.keep(x, y)
        train = complement(held, len(y))
        self.keep(x[train], y[train], x[held], y[held])

    def reference_note(self) -> str:
        note = super().reference_note()
        if self.heldout_data is None:
            return note
        return f"{note}; {self.holdout:.0%} of the digits, stratified by class, split seed {self.split_seed}"
