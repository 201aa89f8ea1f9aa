"""Evaluates the generator every `every_n_g_steps` generator steps and at the end of training, logs
the `val/` metrics, and relates the critic's own estimate to the exact metric it should track."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch


def spearman(a: list[float], b: list[float]) -> float:
    """Rank correlation of two equally long sequences (nan with fewer than 3 points)."""
    if len(a) < 3:
        return math.nan
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


def pearson(a: list[float], b: list[float]) -> float:
    """Linear correlation of two equally long sequences (nan with fewer than 3 points)."""
    if len(a) < 3 or min(np.ptp(a), np.ptp(b)) == 0:
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


class Evaluation(pl.Callback):
    """Keeps `results` (the latest metrics) and `history`, one row per evaluation: `g_step`, the
    `val/` metrics and every `train/` metric averaged over the generator steps since the previous
    evaluation (accumulated as tensors: no host sync per step).

    `val/w_estimate_w1_spearman` and `val/w_estimate_w1_pearson` are the rank and the linear
    correlation of `train/w_estimate` and the exact W1 over the rows (`val/w1_unrounded` on
    discrete data, the distance the critic estimates). Once training has converged both sides sit
    at their sampling noise, so the rank correlation of a long plateau says little; the linear one
    is carried by the descent. The history is saved in checkpoints, so a resumed run keeps its curve.

    The `val/` metrics also go to Lightning (`trainer.callback_metrics`, on every rank), so
    `ModelCheckpoint(monitor=...)` and early stopping can act on them; `last_g_step` says at which
    generator step they were taken.
    """

    def __init__(self, every_n_g_steps: int = 500, **evaluator_kwargs):
        self.every, self.kwargs = every_n_g_steps, evaluator_kwargs
        self.evaluator = None
        self.results: dict[str, float] = {}
        self.history: list[dict[str, float]] = []
        self._sums: dict[str, Any] = {}
        self._counts: dict[str, int] = {}  # the steps that reported each key
        self.last_g_step = -1

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        # before training starts, so that `trainer.max_time` counts training only (the first run
        # of a data set trains its evaluation classifier here)
        if stage == "fit" and trainer.is_global_zero and self.evaluator is None:
            from ganexp.metrics.evaluator import Evaluator

            self.evaluator = Evaluator(trainer.datamodule, seed=pl_module.seed, **self.kwargs)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        for key, value in pl_module.last_metrics.items():  # some (diagnostics) not every step
            self._sums[key] = self._sums.get(key, 0.0) + value
            self._counts[key] = self._counts.get(key, 0) + 1
        if pl_module.g_step % self.every == 0 or pl_module.g_step >= pl_module.budget:
            self._evaluate(trainer, pl_module)
            pl_module.log_dict(self._values(), on_step=True, on_epoch=False, logger=False)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if pl_module.g_step != self.last_g_step:  # stopped early, between evaluations
            self._evaluate(trainer, pl_module)
            # Lightning takes no self.log here; its metric dict is updated as self.log would
            trainer.callback_metrics.update({k: torch.tensor(v) for k, v in self._values().items()})
        rows = [r for r in self.history if "train/w_estimate" in r and "val/w1" in r]
        if rows and trainer.is_global_zero:
            estimate = [r["train/w_estimate"] for r in rows]
            w1 = [r.get("val/w1_unrounded", r["val/w1"]) for r in rows]
            found = {
                "val/w_estimate_w1_spearman": spearman(estimate, w1),
                "val/w_estimate_w1_pearson": pearson(estimate, w1),
            }
            self.results |= found
            if trainer.logger is not None:
                trainer.logger.log_metrics(found, step=pl_module.g_step)

    def _values(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.results.items()}

    def _evaluate(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self.last_g_step = module.g_step
        means = {k: float(v) / self._counts[k] for k, v in self._sums.items()}
        self._sums, self._counts = {}, {}
        results = self.evaluator(module) if trainer.is_global_zero else None
        if trainer.world_size > 1:  # rank zero evaluates; every rank acts on the result
            results = trainer.strategy.broadcast(results, src=0)
        self.results = results
        if not trainer.is_global_zero:
            return
        self.history.append({"g_step": module.g_step, **means, **self.results})
        if trainer.logger is not None:
            trainer.logger.log_metrics(self.results, step=module.g_step)

    def state_dict(self) -> dict[str, Any]:
        return {"history": self.history, "sums": dict(self._sums), "counts": dict(self._counts)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.history = list(state_dict["history"])
        self._sums = dict(state_dict["sums"])
        if "counts" in state_dict:
            self._counts = dict(state_dict["counts"])
        else:  # a checkpoint from before per-key counts: every key on every step
            self._counts = {k: state_dict["count"] for k in self._sums}
