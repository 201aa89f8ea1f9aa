"""Faults that must not cost a user their run: divergence, preemption, a failing logger."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.loggers import CSVLogger
from test_resume import assert_same_state

from ganexp import load
from ganexp.divergence import Diverged

# plain SGD on the least-squares loss at a learning rate of 1e4 (sweeps add 1e-3 as a stable one)
DIVERGING = ["model=mlp", "dataset=ring8", "loss=lsgan", "optimizer=sgd"]


class Poison(pl.Callback):
    """Puts a nan into D's first weight after generator step `at` (finite losses up to there)."""

    def __init__(self, at: int):
        self.at = at

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        if module.g_step == self.at:
            with torch.no_grad():
                next(module.discriminator.parameters()).view(-1)[0] = float("nan")


def test_a_nan_loss_stops_the_run_at_that_step(fit, tmp_path):
    overrides = ["model=mlp", "dataset=ring8", "loss=ns", "train.g_steps=50"]
    overrides += ["train.checkpoint_every=5", "eval.every_n_g_steps=5"]
    with pytest.raises(Diverged) as caught:
        fit(overrides, callbacks=[Poison(at=7)])
    err = caught.value
    assert (err.g_step, err.key) == (8, "train/d_loss")  # the first step that used the weight
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["diverged"] == {"g_step": 8, "key": "train/d_loss", "value": "nan"}
    assert summary["interrupted"] is False
    assert "train/d_loss" not in summary  # no numbers from a dead generator
    assert [r["g_step"] for r in summary["history"]] == [5]  # no evaluation after step 7
    kept = load(tmp_path / "run")
    assert kept.g_step == 5  # the last finite checkpoint, not overwritten
    assert all(torch.isfinite(p).all() for p in kept.parameters())


def test_a_checkpoint_with_non_finite_weights_is_never_written(fit, tmp_path):
    # the nan enters at step 10, exactly when a checkpoint is due: the save itself refuses it
    overrides = ["model=mlp", "dataset=ring8", "loss=ns", "train.g_steps=50"]
    overrides += ["train.checkpoint_every=5", "eval.every_n_g_steps=100"]
    with pytest.raises(Diverged, match="discriminator"):
        fit(overrides, callbacks=[Poison(at=10)])
    assert load(tmp_path / "run").g_step == 5


def test_divergence_from_the_command_line_exits_non_zero_with_one_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "ganexp", *DIVERGING, "optimizer.d.lr=1e4", "logger=none",
         "train.g_steps=200",
         "trainer.enable_progress_bar=false", "eval.inception=false",
         f"hydra.run.dir={tmp_path}"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    (line,) = [ln for ln in proc.stderr.splitlines() if ln.startswith("ganexp:")]
    assert "diverged at g_step" in line and "= nan" in line or "= inf" in line
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["diverged"]["g_step"] >= 1


def test_a_diverged_job_does_not_stop_the_sweep(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "ganexp", "-m", *DIVERGING, "optimizer.d.lr=1e-3,1e4",
         "logger=none", "train.g_steps=60", "trainer.enable_progress_bar=false",
         "eval.inception=false", "eval.every_n_g_steps=60", f"hydra.sweep.dir={tmp_path}"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    fine, bad = (json.loads((tmp_path / j / "summary.json").read_text()) for j in ("0", "1"))
    assert fine["diverged"] is None and fine["g_steps"] == 60
    assert bad["diverged"] is not None


def test_an_optuna_study_sees_a_diverged_trial_as_failed(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "ganexp", "-m", "hydra/sweeper=optuna", *DIVERGING,
         "optimizer.d.lr=choice(1e-3,1e4)", "hydra.sweeper.n_trials=6",
         "hydra.sweeper.sampler.seed=0",
         "hydra.sweeper.max_failure_rate=1.0", "logger=none",
         "metric=val/hq_fraction", "hydra.sweeper.direction=maximize",
         "train.g_steps=40", "trainer.enable_progress_bar=false", "eval.inception=false",
         "eval.every_n_g_steps=40", f"hydra.sweep.dir={tmp_path}"],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summaries = [json.loads(p.read_text()) for p in tmp_path.glob("*/summary.json")]
    assert len(summaries) == 6
    assert any(s["diverged"] for s in summaries) and not all(s["diverged"] for s in summaries)
    assert "Failed experiment: diverged at g_step" in proc.stdout + proc.stderr


class Signal(pl.Callback):
    """Sends `signum` to this process during generator step `at` (before its last hooks)."""

    def __init__(self, signum: int, at: int):
        self.signum, self.at = signum, at

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        if module.g_step == self.at:
            os.kill(os.getpid(), self.signum)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_saves_the_last_whole_step_and_resume_is_exact(fit, tmp_path, signum):
    overrides = ["model=mlp", "dataset=ring8", "loss=wgan_gp", "train.lr_schedule=linear"]
    steps = ["train.g_steps=12", "train.checkpoint_every=100", "eval.every_n_g_steps=3"]
    whole = fit([*overrides, *steps], run="whole")
    handler = signal.getsignal(signal.SIGINT)  # Python's default, or SIG_IGN under `cmd &`

    stopped = fit([*overrides, *steps], run="stopped", callbacks=[Signal(signum, at=7)])
    name = signal.Signals(signum).name
    assert stopped["interrupted"] is True and stopped["stopped_by"] == name
    # SIGTERM ends fit at the step it arrived in; SIGINT lets the next step's hooks see it
    at = 7 if signum == signal.SIGTERM else 8
    assert stopped["g_steps"] == at == load(tmp_path / "stopped").g_step
    assert signal.getsignal(signal.SIGINT) is handler  # the caller's handler restored

    resumed = fit([f"resume={tmp_path / 'stopped'}", steps[-1]], run="resumed")
    assert resumed["g_steps"] == 12 and resumed["interrupted"] is False
    assert_same_state(load(whole["run_dir"]), load(resumed["run_dir"]))


def test_sigterm_from_outside_stops_the_command_promptly(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "ganexp", "model=mlp", "dataset=ring8", "loss=ns", "logger=none",
         "train.g_steps=1000000", "eval.inception=false", "trainer.enable_progress_bar=false",
         f"hydra.run.dir={tmp_path}"],
        stderr=subprocess.PIPE, text=True,
    )
    ckpt = tmp_path / "checkpoints" / "last.ckpt"
    deadline = time.time() + 120
    while not ckpt.exists() and time.time() < deadline:  # first periodic checkpoint: running
        time.sleep(0.5)
    sent = time.time()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert time.time() - sent < 20
    assert proc.returncode == 128 + signal.SIGTERM, err[-2000:]
    assert "stopped by SIGTERM" in err and "Traceback" not in err
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["interrupted"] is True and summary["stopped_by"] == "SIGTERM"
    assert load(tmp_path).g_step == summary["g_steps"] > 500


class FailingLogger(CSVLogger):
    """A CSV logger whose log_metrics breaks from its third call on."""

    calls = 0

    def log_metrics(self, metrics, step=None):
        FailingLogger.calls += 1
        if FailingLogger.calls >= 3:
            raise OSError("No space left on device")
        super().log_metrics(metrics, step)


def test_a_failing_logger_is_reported_once_and_training_goes_on(fit, tmp_path):
    FailingLogger.calls = 0
    with pytest.warns(UserWarning, match="No space left on device") as caught:
        summary = fit(
            ["model=mlp", "dataset=ring8", "loss=ns", "train.g_steps=60", "logger=csv",
             "logger._target_=test_failures.FailingLogger", "trainer.log_every_n_steps=5"]
        )
    assert summary["g_steps"] == 60 and summary["interrupted"] is False
    assert sum("failed in log_metrics" in str(w.message) for w in caught) == 1
    assert FailingLogger.calls == 3  # not called again after failing


def test_wandb_online_without_a_key_falls_back_to_offline(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB")}
    env |= {"HOME": str(tmp_path), "WANDB_SILENT": "true", "WANDB_BASE_URL": "http://127.0.0.1:9"}
    env["PYTHONWARNINGS"] = "ignore"  # as on many clusters: the notice is no warning, so it stays
    proc = subprocess.run(
        [sys.executable, "-m", "ganexp", "model=mlp", "dataset=ring8", "loss=ns",
         "logger=wandb", "logger.offline=false", "train.g_steps=20", "eval.inception=false",
         "trainer.enable_progress_bar=false", f"hydra.run.dir={tmp_path / 'run'}"],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr.count("ganexp: logger.offline=false: no W&B API key") == 1
    assert list((tmp_path / "run" / "wandb").glob("offline-run-*"))
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["g_steps"] == 20
