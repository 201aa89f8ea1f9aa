"""WGAN's weight clipping: every critic parameter is clamped to [-clip, clip] after *every* critic
optimizer step (a post-step hook on the critic's optimizer), and once before training starts."""

from __future__ import annotations

import warnings

import pytorch_lightning as pl
import torch

MOMENTUM = (torch.optim.Adam, torch.optim.AdamW, torch.optim.NAdam, torch.optim.RAdam)


class WeightClipping(pl.Callback):
    supports_replicas = True  # every replica's weights, elementwise

    def __init__(self, clip: float = 0.01):
        self.clip = clip
        self._handle = None

    @torch.no_grad()
    def clamp(self, module: torch.nn.Module) -> None:
        for p in module.parameters():
            p.clamp_(-self.clip, self.clip)

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        critic = pl_module.discriminator
        self.clamp(critic)
        optimizer = pl_module.discriminator_optimizer()
        self._handle = optimizer.register_step_post_hook(lambda *_: self.clamp(critic))
        if isinstance(optimizer, MOMENTUM):  # advice, not a refusal
            warnings.warn(
                f"{type(optimizer).__name__} with weight clipping: the WGAN paper reports that "
                "momentum-based optimizers make weight-clipped critics unstable; optimizer=rmsprop "
                "is its choice",
                stacklevel=2,
            )

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
