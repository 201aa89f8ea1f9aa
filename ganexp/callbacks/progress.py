"""One progress bar over the run's budget in generator steps, with its rate, the time left and the
critic's progress metric (Lightning's own bar counts batches of an endless epoch: no total)."""

from __future__ import annotations

import time

import pytorch_lightning as pl
from pytorch_lightning.callbacks import ProgressBar

from ganexp.names import PROGRESS_METRICS


class GeneratorStepProgress(ProgressBar):
    """`g_steps  42%|####      | 840/2000 [00:31<00:43, 26.9 step/s, w_estimate=0.213]`; the
    metric is read at most every `refresh_s` seconds (reading it waits for the device)."""

    def __init__(self, refresh_s: float = 0.5):
        super().__init__()
        self.refresh_s, self._enabled, self._bar, self._shown = refresh_s, True, None, 0.0

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not (self._enabled and trainer.is_global_zero):
            return
        from tqdm.auto import tqdm

        self._bar = tqdm(
            total=pl_module.budget,
            initial=pl_module.g_step,
            desc="g_steps",
            unit="step",
            dynamic_ncols=True,
            smoothing=0.05,
        )

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self._bar is None:
            return
        now = time.monotonic()
        if now - self._shown >= self.refresh_s:
            self._shown = now
            metrics = pl_module.last_metrics
            key = next((k for k in PROGRESS_METRICS if k in metrics), None)
            if key is not None:
                self._bar.set_postfix({key.split("/")[-1]: f"{float(metrics[key]):.4g}"}, False)
        self._bar.update(pl_module.g_step - self._bar.n)

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
