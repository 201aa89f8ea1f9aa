"""A short DDP run that saves every rank's final parameters: `python ddp_probe.py RUN_DIR [overrides]`.

Run by test_ddp.py in a subprocess, because Lightning's DDP launcher starts the other ranks by
running this same command again.
"""

import sys
from pathlib import Path

import pytorch_lightning as pl
import torch

from ganexp import train


def state(module: pl.LightningModule) -> dict:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


class SaveParameters(pl.Callback):
    """Saves each rank's initial and final parameters and its first real batch."""

    def __init__(self, out: Path):
        self.out, self.record = out, {}

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.record["initial"] = state(pl_module)

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.record.setdefault("first_batch", batch.clone())

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.record["final"] = state(pl_module)
        torch.save(self.record, self.out / f"rank{trainer.global_rank}.pt")


if __name__ == "__main__":
    run_dir = Path(sys.argv[1])
    train(sys.argv[2:], run_dir=run_dir, callbacks=[SaveParameters(run_dir)])
