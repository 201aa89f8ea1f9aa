"""Checkpoints are read as plain data: a file whose pickle would run code is refused by every
entry point before anything in it runs; a truncated or foreign file gets one line, no traceback."""

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ganexp.errors import ConfigError


class Planted:
    """Unpickling this runs Path.touch on `marker`: what a hostile checkpoint could do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def hostile_checkpoint(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "pwned"
    run = tmp_path / "hostile_run"
    (run / "checkpoints").mkdir(parents=True)
    path = run / "checkpoints" / "last.ckpt"
    torch.save({"ganexp": {"config": Planted(marker)}, "state_dict": {}}, path)
    # only the plain-data reader stands between this file and the code in it
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        torch.load(path, weights_only=True)
    return path, marker


def cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, WANDB_MODE="disabled")
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_load_refuses_a_checkpoint_that_would_run_code(tmp_path):
    from ganexp import load

    path, marker = hostile_checkpoint(tmp_path)
    with pytest.raises(ConfigError, match="refused"):
        load(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    "entry",
    [
        ["-m", "ganexp.evaluate", "{run}"],
        ["-m", "ganexp", "resume={ckpt}", "logger=none"],
    ],
    ids=["evaluate", "resume"],
)
def test_command_lines_refuse_it_with_one_line(tmp_path, entry):
    path, marker = hostile_checkpoint(tmp_path)
    args = [a.format(run=path.parent.parent, ckpt=path) for a in entry]
    result = cli(args, tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert str(path) in result.stderr and "refused" in result.stderr
    assert not marker.exists()


def test_truncated_or_foreign_files_get_one_line(fit, tmp_path):
    fit(["model=mlp", "dataset=ring8", "loss=ns", "train.g_steps=2"], run="good")
    good = (tmp_path / "good" / "checkpoints" / "last.ckpt").read_bytes()
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(good[: len(good) // 2])
    text = tmp_path / "notes.ckpt"
    text.write_text("not a checkpoint\n")
    foreign = tmp_path / "foreign.ckpt"
    torch.save({"state_dict": {"w": torch.zeros(2)}}, foreign)
    for path, words in [
        (truncated, "not a readable checkpoint"),
        (text, "not a readable checkpoint"),
        (foreign, "not a ganexp checkpoint"),
    ]:
        result = cli(["-m", "ganexp", f"resume={path}", "logger=none"], tmp_path)
        assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
        lines = result.stderr.strip().splitlines()
        assert lines[-1].startswith(f"ganexp: {path}: {words}"), result.stderr


def test_plain_pickles_are_refused_too(tmp_path):
    """A checkpoint written by plain pickle (no torch zip container) is no exception."""
    from ganexp.checkpoints import read_checkpoint

    marker = tmp_path / "pwned"
    path = tmp_path / "old.ckpt"
    path.write_bytes(pickle.dumps({"ganexp": Planted(marker)}))
    with pytest.raises(ConfigError, match="refused"):
        read_checkpoint(path)
    assert not marker.exists()
