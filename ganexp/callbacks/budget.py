"""Stops training after `g_steps` generator steps, counted by the family itself (Lightning's
`global_step` counts every optimizer's steps, so it is never used as the budget)."""

from __future__ import annotations

import pytorch_lightning as pl


class GeneratorStepBudget(pl.Callback):
    def __init__(self, g_steps: int):
        self.g_steps = g_steps

    def _check(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if pl_module.g_step >= self.g_steps:
            trainer.should_stop = True

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._check(trainer, pl_module)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self._check(trainer, pl_module)
