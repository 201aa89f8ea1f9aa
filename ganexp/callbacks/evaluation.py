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


def correlations(history: list[dict[str, float]]) -> dict[str, float]:
    """The critic's estimate against the exact W1 over a run's evaluation rows (none without)."""
    rows = [r for r in history if "train/w_estimate" in r and "val/w1" in r]
    if not rows:
        return {}
    estimate = [r["train/w_estimate"] for r in rows]
    w1 = [r.get("val/w1_unrounded", r["val/w1"]) for r in rows]
    return {
        "val/w_estimate_w1_spearman": spearman(estimate, w1),
        "val/w_estimate_w1_pearson": pearson(estimate, w1),
    }


def mean_rows(rows: list[dict[str, float]]) -> dict[str, float]:
    """The mean of each key over the rows that have it (nan values left out)."""
    keys = dict.fromkeys(k for row in rows for k in row)
    out = {}
    for key in keys:
        values = [row[key] for row in rows if key in row and not math.isnan(row[key])]
        out[key] = float(np.mean(values)) if values else math.nan
    return out


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

    A replicated run (`train.replicas` = K) evaluates every live replica as the separate run of
    its seed would be evaluated (its own evaluator, seeded with it): `replica_results` and
    `replica_history` hold each replica's rows, `results` and `history` their means.
    """

    def __init__(self, every_n_g_steps: int = 500, **evaluator_kwargs):
        self.every, self.kwargs = every_n_g_steps, evaluator_kwargs
        self.evaluator = None
        self.results: dict[str, float] = {}
        self.history: list[dict[str, float]] = []
        self._sums: dict[str, Any] = {}
        self._counts: dict[str, int] = {}  # the steps that reported each key
        self.last_g_step = -1
        self.evaluators: list = []  # one per replica (the first is `evaluator`)
        self.replica_results: list[dict[str, float]] = []
        self.replica_history: list[list[dict[str, float]]] = []
        self._replica_sums: dict[str, Any] = {}  # per-replica train/ sums, tensors of shape (K,)

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        # before training starts, so that `trainer.max_time` counts training only (the first run
        # of a data set trains its evaluation classifier here)
        if stage == "fit" and trainer.is_global_zero and self.evaluator is None:
            from ganexp.metrics.evaluator import Evaluator

            seeds = [pl_module.seed + k for k in range(pl_module.replicas)]
            self.evaluators = [
                Evaluator(trainer.datamodule, seed=s, quiet=k > 0, **self.kwargs)
                for k, s in enumerate(seeds)
            ]
            self.evaluator = self.evaluators[0]

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        for key, value in pl_module.last_metrics.items():  # some (diagnostics) not every step
            self._sums[key] = self._sums.get(key, 0.0) + value
            self._counts[key] = self._counts.get(key, 0) + 1
        for key, value in pl_module.replica_metrics.items():
            self._replica_sums[key] = self._replica_sums.get(key, 0.0) + value
        if pl_module.g_step % self.every == 0 or pl_module.g_step >= pl_module.budget:
            self._evaluate(trainer, pl_module)
            pl_module.log_dict(self._values(), on_step=True, on_epoch=False, logger=False)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if pl_module.g_step != self.last_g_step:  # stopped early, between evaluations
            self._evaluate(trainer, pl_module)
            # Lightning takes no self.log here; its metric dict is updated as self.log would
            trainer.callback_metrics.update({k: torch.tensor(v) for k, v in self._values().items()})
        if not trainer.is_global_zero:
            return
        found = correlations(self.history)
        for k, history in enumerate(self.replica_history):
            if k < len(self.replica_results) and self.replica_results[k]:
                self.replica_results[k] |= correlations(history)
        if self.replica_history:  # the replicas' mean, as every other metric of the run
            found = mean_rows([correlations(h) for h in self.replica_history if h])
        if found:
            self.results |= found
            if trainer.logger is not None:
                trainer.logger.log_metrics(found, step=pl_module.g_step)

    def _values(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.results.items()}

    def _evaluate(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self.last_g_step = module.g_step
        means = {k: float(v) / self._counts[k] for k, v in self._sums.items()}
        if module.replicas > 1:
            return self._evaluate_replicas(trainer, module, means)
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

    def _evaluate_replicas(self, trainer: pl.Trainer, module, means: dict[str, float]) -> None:
        """Every live replica evaluated on its own (a diverged one keeps an empty row)."""
        count = {k: self._counts[k] for k in self._replica_sums}
        per = {k: (v / count[k]).tolist() for k, v in self._replica_sums.items()}
        self._sums, self._counts, self._replica_sums = {}, {}, {}
        rows = None
        if trainer.is_global_zero:
            views = module.replica_views()
            rows = [
                {} if k in module.diverged else evaluator(views[k])
                for k, evaluator in enumerate(self.evaluators)
            ]
        if trainer.world_size > 1:
            rows = trainer.strategy.broadcast(rows, src=0)
        self.replica_results = rows
        self.results = mean_rows([r for r in rows if r])
        if not trainer.is_global_zero:
            return
        if not self.replica_history:
            self.replica_history = [[] for _ in rows]
        for k, row in enumerate(rows):
            if row:
                train = {key: values[k] for key, values in per.items()}
                self.replica_history[k].append({"g_step": module.g_step, **train, **row})
        self.history.append({"g_step": module.g_step, **means, **self.results})
        if trainer.logger is not None:
            each = {f"{key}/replica_{k}": v for k, row in enumerate(rows) for key, v in row.items()}
            trainer.logger.log_metrics(self.results | each, step=module.g_step)

    def state_dict(self) -> dict[str, Any]:
        return {
            "history": self.history,
            "sums": dict(self._sums),
            "counts": dict(self._counts),
            "replica_history": self.replica_history,
            "replica_sums": dict(self._replica_sums),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.history = list(state_dict["history"])
        self.replica_history = [list(h) for h in state_dict.get("replica_history", [])]
        self._replica_sums = dict(state_dict.get("replica_sums", {}))
        self._sums = dict(state_dict["sums"])
        if "counts" in state_dict:
            self._counts = dict(state_dict["counts"])
        else:  # a checkpoint from before per-key counts: every key on every step
            self._counts = {k: state_dict["count"] for k in self._sums}
