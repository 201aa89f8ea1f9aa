"""Evaluates the generator every `every_n_g_steps` generator steps and at the end of training, logs
the `val/` metrics, and relates the critic's own estimate to the exact metric it should track."""

from __future__ import annotations

import math

import pytorch_lightning as pl


def spearman(a: list[float], b: list[float]) -> float:
    """Rank correlation of two equally long sequences (nan with fewer than 3 points)."""
    if len(a) < 3:
        return math.nan
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


class Evaluation(pl.Callback):
    """Keeps `results` (the latest metrics) and `history` (g_step, w_estimate, w1) per evaluation.

    `train/w_estimate` is averaged over the generator steps since the previous evaluation, so the
    rank correlation `val/w_estimate_w1_spearman` compares the critic's estimate with exact W1.
    """

    def __init__(self, every_n_g_steps: int = 500, **evaluator_kwargs):
        self.every, self.kwargs = every_n_g_steps, evaluator_kwargs
        self.evaluator = None
        self.results: dict[str, float] = {}
        self.history: list[tuple[int, float, float]] = []
        self._w_sum, self._w_count, self._last = 0.0, 0, -1

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.is_global_zero and self.evaluator is None:
            from ganexp.metrics.evaluate import Evaluator

            self.evaluator = Evaluator(trainer.datamodule, seed=pl_module.seed, **self.kwargs)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        w = pl_module.last_metrics.get("train/w_estimate")
        if w is not None:
            self._w_sum, self._w_count = self._w_sum + w, self._w_count + 1  # a tensor: no sync
        if pl_module.g_step % self.every == 0:
            self._evaluate(trainer, pl_module)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if pl_module.g_step != self._last:
            self._evaluate(trainer, pl_module)
        if self.history and trainer.is_global_zero:
            _, w, w1 = zip(*self.history)
            self.results["val/w_estimate_w1_spearman"] = spearman(list(w), list(w1))
            if trainer.logger is not None:
                trainer.logger.log_metrics(
                    {"val/w_estimate_w1_spearman": self.results["val/w_estimate_w1_spearman"]},
                    step=pl_module.g_step,
                )

    def _evaluate(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self._last = module.g_step
        if not trainer.is_global_zero:
            return
        self.results = self.evaluator(module)
        if self._w_count and "val/w1" in self.results:
            self.history.append(
                (module.g_step, float(self._w_sum) / self._w_count, self.results["val/w1"])
            )
        self._w_sum, self._w_count = 0.0, 0
        if trainer.logger is not None:
            trainer.logger.log_metrics(self.results, step=module.g_step)
