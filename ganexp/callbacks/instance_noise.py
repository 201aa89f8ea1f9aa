"""Instance noise (docs/theory.md section 8): Gaussian noise on every input of the discriminator, real and
generated alike, so the two distributions overlap and JS stops saturating. Its standard deviation
falls linearly from `std` to 0 at generator step `anneal_g_steps`; logged as
`train/instance_noise_std`. The noise comes from the run's keyed generator, so a resumed run draws
the same noise."""

from __future__ import annotations

import pytorch_lightning as pl
import torch

from ganexp.replicas import lead_dims, randn


class InstanceNoise(pl.Callback):
    supports_replicas = True

    def __init__(self, std: float = 0.1, anneal_g_steps: int = 2000):
        self.std, self.anneal = std, anneal_g_steps
        self.current = std
        self._handle = None

    def std_at(self, g_step: int) -> float:
        """The noise's standard deviation during generator step `g_step` (counted from 0)."""
        return self.std * max(0.0, 1.0 - g_step / self.anneal)

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        def add_noise(net: torch.nn.Module, args: tuple) -> tuple | None:
            if not net.training or self.current == 0:
                return None
            x, rng = args[0], pl_module.rng
            shape = x.shape[lead_dims(rng) - 1 :]  # one replica's batch (replicas draw their own)
            noise = randn(rng, *shape, device=x.device, dtype=x.dtype)
            return (x + self.current * noise, *args[1:])

        self._handle = pl_module.discriminator.register_forward_pre_hook(add_noise)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.current = self.std_at(pl_module.g_step)

    def train_metrics(self) -> dict[str, float]:
        return {"train/instance_noise_std": self.current}

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
