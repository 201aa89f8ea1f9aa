"""Lightning's ModelCheckpoint and EarlyStopping, checked after every evaluation.

Lightning checks them at the end of a validation loop or of an epoch; a GAN run has neither (one
endless epoch, evaluated by the Evaluation callback every `eval.every_n_g_steps` generator steps
and at the end). These subclasses keep Lightning's own logic (top-k bookkeeping, patience,
thresholds, messages) and only move the moment of the check to right after each evaluation.
"""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.callbacks import EarlyStopping, ModelCheckpoint

from ganexp.callbacks.evaluation import Evaluation
from ganexp.errors import ConfigError
from ganexp.metrics.evaluator import ALONE

# which way is better for ganexp's own metrics (a user metric names its mode itself)
HIGHER_IS_BETTER = (
    "val/hq_fraction", "val/modes_covered", "val/classes_covered", "val/classifier_accuracy",
    "val/label_accuracy", "val/precision", "val/recall", "val/density", "val/coverage", "val/is",
    "val/mode_spread",  # the failure it reads is a shrunk mode (the data: 0.974)
)  # fmt: skip


def direction(metric: str, mode: str = "auto") -> str:
    """'max' or 'min' for `metric`; `mode` 'auto' knows ganexp's metrics (distances: 'min')."""
    if mode != "auto":
        return mode
    base = metric.replace(ALONE, "val/", 1)  # the generator alone, where a sampler is on
    return "max" if base in HIGHER_IS_BETTER or base.endswith(("_spearman", "_pearson")) else "min"


def _require(metric: str, key: str, metrics: dict) -> None:
    if metric not in metrics:
        known = sorted(k for k in metrics if k.startswith("val/"))
        raise ConfigError(f"{key}={metric}: this run's evaluation reports {known}")


def _just_evaluated(trainer: pl.Trainer, pl_module: pl.LightningModule) -> bool:
    evaluation = next(cb for cb in trainer.callbacks if isinstance(cb, Evaluation))
    return evaluation.last_g_step == pl_module.g_step


class BestCheckpoint(ModelCheckpoint):
    """Keeps `<dirpath>/best.ckpt`: the state at the evaluation where `monitor` was best, and
    reports it in the run's summary (`results["best"]`: the metric, its value and the step)."""

    def __init__(self, dirpath: str | Path, monitor: str, mode: str = "auto"):
        super().__init__(
            dirpath=dirpath,
            filename="best",
            monitor=monitor,
            mode=direction(monitor, mode),
            save_top_k=1,
            save_last=False,
            auto_insert_metric_name=False,
            enable_version_counter=False,
            save_on_train_epoch_end=False,
        )
        self._checked = -1
        self.results: dict = {}

    def _check(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if _just_evaluated(trainer, pl_module) and self._checked != pl_module.g_step:
            self._checked = pl_module.g_step
            candidates = self._monitor_candidates(trainer)
            _require(self.monitor, "train.keep_best", candidates)
            before = self.best_model_score
            self._save_topk_checkpoint(trainer, candidates)
            if self.best_model_score is not before:  # this evaluation is the best so far
                value = float(self.best_model_score)
                self.results = {
                    "best": {"metric": self.monitor, "value": value, "g_step": pl_module.g_step}
                }

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        self._check(trainer, pl_module)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._check(trainer, pl_module)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        pass

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        pass


class EarlyStop(EarlyStopping):
    """Stops the run when `monitor` has not improved by `min_delta` for `patience` evaluations."""

    def __init__(self, monitor: str, patience: int = 3, min_delta: float = 0.0, mode: str = "auto"):
        super().__init__(
            monitor=monitor,
            patience=patience,
            min_delta=min_delta,
            mode=direction(monitor, mode),
            check_on_train_epoch_end=False,
            # an infinite distance (a KL with a mode missing) is a measurement, not a failure:
            # it never counts as an improvement, but it does not end the run by itself
            check_finite=False,
        )
        self._checked = -1

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if _just_evaluated(trainer, pl_module) and self._checked != pl_module.g_step:
            self._checked = pl_module.g_step
            going = not trainer.should_stop
            _require(self.monitor, "train.early_stopping.metric", trainer.callback_metrics)
            self._run_early_stopping_check(trainer)
            if going and trainer.should_stop:
                pl_module.stopped_early = self.stopping_reason_message or self.monitor

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        pass
