"""SIGTERM (how clusters preempt a job) and SIGINT (Ctrl+C) stop a run between generator steps,
with a checkpoint of the last whole step, so `resume=` continues exactly.

SIGTERM is Lightning's: its handler (which also reaches the other DDP ranks) sets
`trainer.received_sigterm`, and Lightning ends `fit` with `SIGTERMException` at the next step
boundary; this callback saves the checkpoint when that exception passes. SIGINT gets a handler
here, for the length of `fit`, that only records the request; the run saves and stops after the
step in progress. A second Ctrl+C interrupts at once, as without this callback.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.utilities.exceptions import SIGTERMException


class Preemption(pl.Callback):
    """Saves `checkpoint` at the step boundary where a stop was asked for, and records the
    signal's name in `pl_module.stopped_by`."""

    def __init__(self, checkpoint: str | Path):
        self.checkpoint = Path(checkpoint)
        self.sigint = False
        self._previous = None

    def _on_sigint(self, signum, frame) -> None:
        if self.sigint:  # asked twice: stop now
            signal.signal(signal.SIGINT, signal.default_int_handler)
            raise KeyboardInterrupt
        self.sigint = True

    def _stop(self, trainer: pl.Trainer, pl_module: pl.LightningModule, name: str) -> None:
        pl_module.stopped_by = name
        trainer.save_checkpoint(self.checkpoint, weights_only=False)

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if threading.current_thread() is threading.main_thread():  # signals reach only the main one
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        asked = self.sigint
        if trainer.world_size > 1:  # every rank stops at the same step (and saves together)
            asked = trainer.strategy.reduce_boolean_decision(asked, all=False)
        if asked:
            self._stop(trainer, pl_module, "SIGINT")
            trainer.should_stop = True

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception) -> None:
        # Lightning raises this only between steps, so the module holds a whole generator step
        if isinstance(exception, SIGTERMException) and pl_module.stopped_by is None:
            self._stop(trainer, pl_module, "SIGTERM")

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
        self.sigint = False
