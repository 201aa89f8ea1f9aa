"""Evaluation metrics reach Lightning: callback_metrics, the best checkpoint, early stopping."""

import json
import subprocess
import sys

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint

from ganexp import load
from ganexp.callbacks.best import direction
from ganexp.errors import ConfigError

RING = ["model=mlp", "dataset=ring8", "loss=ns", "train.batch_size=64", "eval.every_n_g_steps=10"]


class Seen(pl.Callback):
    """What Lightning holds in callback_metrics after every generator step."""

    def __init__(self):
        self.rows = []

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        self.rows.append((module.g_step, dict(trainer.callback_metrics)))


def test_every_evaluation_reaches_lightnings_callback_metrics(fit):
    seen = Seen()
    s = fit([*RING, "train.g_steps=25"], callbacks=[seen])
    by_step = dict(seen.rows)
    assert "val/hq_fraction" not in by_step[9]  # nothing before the first evaluation
    for row in s["history"]:
        if row["g_step"] in by_step:
            got = by_step[row["g_step"]]
            assert float(got["val/hq_fraction"]) == pytest.approx(row["val/hq_fraction"])
            assert float(got["val/modes_covered"]) == row["val/modes_covered"]
    assert [r["g_step"] for r in s["history"]] == [10, 20, 25]  # the last one at the budget


def test_a_plain_lightning_modelcheckpoint_can_monitor_a_val_metric(fit, tmp_path):
    plain = ModelCheckpoint(
        dirpath=tmp_path / "plain", monitor="val/hq_fraction", mode="max", save_top_k=1,
        every_n_train_steps=10 * 2,  # Lightning counts both optimizers' steps: 2 per g_step
    )
    fit([*RING, "train.g_steps=30"], callbacks=[plain])
    assert plain.best_model_path and plain.best_model_score is not None


def test_keep_best_keeps_the_checkpoint_of_the_best_evaluation(fit, tmp_path):
    s = fit([*RING, "train.g_steps=60", "train.keep_best=val/hq_fraction"])
    history = s["history"]
    scores = [r["val/hq_fraction"] for r in history]
    best_step = history[scores.index(max(scores))]["g_step"]  # the first of equal bests
    best = load(tmp_path / "run", which="best")
    assert best.g_step == best_step
    top = {"metric": "val/hq_fraction", "value": pytest.approx(max(scores)), "g_step": best_step}
    assert s["best"] == top
    assert load(tmp_path / "run").g_step == 60
    if best_step != 60:
        last = load(tmp_path / "run")
        assert any(not torch.equal(a, b) for a, b in zip(best.parameters(), last.parameters()))
    assert direction("val/hq_fraction") == "max" and direction("val/fid_classifier") == "min"
    assert direction("val/mode_spread") == "max"  # shrunk modes are the failure, not wide ones
    assert direction("val/generator/hq_fraction") == "max"  # the generator alone, beside a sampler
    assert direction("val/generator/w1") == "min"


def test_evaluate_reads_the_best_checkpoint(fit, tmp_path):
    fit([*RING, "train.g_steps=30", "train.keep_best=val/hq_fraction"])
    proc = subprocess.run(
        [sys.executable, "-m", "ganexp.evaluate", str(tmp_path / "run"), "which=best",
         "num_samples=500"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert result["checkpoint"].endswith("best.ckpt")
    assert result["g_steps"] == load(tmp_path / "run", which="best").g_step


def test_early_stopping_ends_the_run_before_its_budget(fit):
    # an improvement of 10 in a fraction never comes: it stops at the second evaluation
    s = fit([*RING, "train.g_steps=500", "train.early_stopping.metric=val/hq_fraction",
             "train.early_stopping.patience=1", "train.early_stopping.min_delta=10"])
    assert s["g_steps"] == 20
    assert "val/hq_fraction" in s["stopped_early"] and s["interrupted"] is False
    assert [r["g_step"] for r in s["history"]] == [10, 20]


def test_a_metric_the_run_does_not_report_is_named_with_the_ones_it_does(fit):
    with pytest.raises(ConfigError, match=r"train.keep_best=val/fid: .*'val/hq_fraction'"):
        fit([*RING, "train.g_steps=10", "train.keep_best=val/fid"])
    with pytest.raises(ConfigError, match="train.keep_best=fid: allowed values are null or a val/"):
        fit([*RING, "train.g_steps=10", "train.keep_best=fid"], run="another")


def test_without_a_best_checkpoint_load_says_how_to_keep_one(fit, tmp_path):
    fit([*RING, "train.g_steps=5"])
    with pytest.raises(ConfigError, match="train.keep_best"):
        load(tmp_path / "run", which="best")


def test_an_infinite_distance_is_a_value_not_a_failure(fit, tmp_path):
    # early on a mode is missing and the mode KL is infinite: still a metric Lightning can compare
    s = fit([*RING, "train.g_steps=30", "train.keep_best=val/mode_kl",
             "train.early_stopping.metric=val/mode_kl", "train.early_stopping.patience=10"])
    assert any(r["val/mode_kl"] == float("inf") for r in s["history"])
    assert s["g_steps"] == 30 and s["stopped_early"] is None
    assert (tmp_path / "run" / "checkpoints" / "best.ckpt").is_file()
