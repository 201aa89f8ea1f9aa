"""`train.snapshot_every_s`: the state every so many seconds of training, on a clock a resumed run
continues (a fake clock here: 0.25 s a generator step)."""

import pytest
import torch

from ganexp import load
from ganexp.callbacks import snapshots as module
from ganexp.callbacks.snapshots import snapshot_seconds, snapshots
from ganexp.errors import ConfigError
from ganexp.evaluate import evaluate_each

RING = ["model=mlp", "dataset=ring8", "loss=ns", "train.snapshot_every_s=1"]


class Clock:
    def __init__(self):
        self.now = 100.0

    def monotonic(self):  # read once as training starts, then once after every step
        now, self.now = self.now, self.now + 0.25
        return now


def test_a_snapshot_holds_the_state_after_the_first_step_past_each_second(
    fit, tmp_path, monkeypatch
):
    monkeypatch.setattr(module, "time", Clock())
    fit([*RING, "train.g_steps=8"])
    monkeypatch.setattr(module, "time", Clock())  # another process: its own clock
    fit([*RING, "train.g_steps=14", f"resume={tmp_path / 'run'}"])
    found = snapshots(tmp_path / "run")
    assert [snapshot_seconds(p) for p in found] == [1.0, 2.0, 3.0]  # 14 steps: 3.5 s
    states = [load(p) for p in found]
    assert [s.g_step for s in states] == [4, 8, 12]
    first, last = (torch.cat([p.flatten() for p in s.parameters()]) for s in states[::2])
    assert not torch.equal(first, last)
    # one evaluator reads them all, each as its own state
    scores = evaluate_each(tmp_path / "run", checkpoints=found)
    assert [s["g_steps"] for s in scores] == [4, 8, 12]
    assert [s["checkpoint"] for s in scores] == [str(p) for p in found]


def test_a_negative_interval_is_refused_before_training(fit):
    with pytest.raises(ConfigError, match=r"train.snapshot_every_s=-1: must be a number >= 0"):
        fit([*RING, "train.g_steps=2", "train.snapshot_every_s=-1"])
