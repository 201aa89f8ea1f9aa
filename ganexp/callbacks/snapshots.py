"""Snapshots by the clock: `checkpoints/snapshots/<seconds>s.ckpt`, the state after the first
whole generator step past every `every_s` seconds of training (`train.snapshot_every_s`), each
a whole checkpoint (`ganexp.load` and `ganexp.evaluate checkpoint=PATH` read it).

A run's score against its training time (the pyramid's claim compares models at equal time) is
read from these after the run, so no evaluation spends the time being measured. The clock starts
when training does, as Lightning's `trainer.max_time` does, and a resumed run continues it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytorch_lightning as pl


def snapshot_seconds(path: str | Path) -> float:
    """The training seconds a snapshot was taken at, from its name."""
    return float(Path(path).name.removesuffix("s.ckpt"))


def snapshots(run_dir: str | Path) -> list[Path]:
    """A run's snapshots, oldest first."""
    found = (Path(run_dir) / "checkpoints" / "snapshots").glob("*s.ckpt")
    return sorted(found, key=snapshot_seconds)


class Snapshots(pl.Callback):
    def __init__(self, dirpath: str | Path, every_s: float):
        self.dirpath, self.every_s = Path(dirpath), every_s
        self.seconds = 0.0  # trained, as of the last whole step (a resumed run: before it too)
        self.taken = 0  # snapshots taken
        self._started = 0.0

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._started = time.monotonic() - self.seconds

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self.seconds = seconds = time.monotonic() - self._started
        # every rank saves together (under DDP a save is collective), when rank 0's clock says so
        if trainer.strategy.broadcast(seconds >= (self.taken + 1) * self.every_s):
            self.taken = int(seconds // self.every_s)
            trainer.save_checkpoint(self.dirpath / f"{seconds:08.2f}s.ckpt", weights_only=False)

    def state_dict(self) -> dict:
        return {"seconds": self.seconds, "taken": self.taken}

    def load_state_dict(self, state: dict) -> None:
        self.seconds, self.taken = state["seconds"], state["taken"]
