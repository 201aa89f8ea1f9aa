"""Start-up cost: from the composed config to the end of the first generator step."""

from __future__ import annotations

import time

import pytorch_lightning as pl


class StartupClock(pl.Callback):
    """`results["time_to_first_step_s"]`: seconds from `started` to the end of the first step."""

    def __init__(self, started: float):
        self.started = started
        self.results: dict[str, float] = {}

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if not self.results:
            self.results["time_to_first_step_s"] = time.perf_counter() - self.started
