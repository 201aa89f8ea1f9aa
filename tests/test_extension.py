"""A user's own pieces plug in from outside the package (examples/): a group option, an objective,
a dataset and a critic penalty, through the command line and through `ganexp.train`; a piece that
breaks its contract stops the run at start-up with one line."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from ganexp import load, train
from ganexp.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SHORT = ["train.g_steps=30", "eval.every_n_g_steps=30", "train.batch_size=32", "logger=none",
         "trainer.enable_progress_bar=false", "eval.num_samples=500"]


def ganexp_cli(*args, cwd=EXAMPLES, timeout=300):
    return subprocess.run([sys.executable, "-m", "ganexp", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout)


def test_the_example_runs_from_its_own_folder_with_every_route(tmp_path):
    proc = ganexp_cli("--config-dir", "conf", "experiment=my_study", *SHORT,
                      f"hydra.run.dir={tmp_path / 'run'}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    s = json.loads((tmp_path / "run" / "summary.json").read_text())
    config = s["config"]
    assert config["model"]["name"] == "wide_mlp"  # a group option (extending ganexp's mlp)
    assert config["model"]["generator"]["hidden"] == [512, 512]
    assert config["loss"]["objective"]["_target_"] == "my_gan.losses.smoothed_ns"  # objective
    assert config["dataset"]["datamodule"]["_target_"] == "my_gan.data.Triangle"  # dataset
    assert 0 < s["val/modes_covered"] <= 3  # the exact metrics of the user's mixture
    assert s["train/r2"] > 0  # the user's penalty entered the critic's loss
    assert "train/js_estimate" in s  # a built-in family logs the user's objective as its own


def test_help_lists_the_users_options_under_their_groups():
    proc = ganexp_cli("--config-dir", "conf", "--help")
    assert proc.returncode == 0
    groups = dict(line.split(": ", 1) for line in proc.stdout.splitlines()
                  if ": " in line and not line.startswith(" "))
    assert "r2" in groups["callbacks"] and "ema" in groups["callbacks"]
    assert "triangle" in groups["dataset"] and "smoothed_ns" in groups["loss"]
    assert "my_study" in groups["experiment"] and "wide_mlp" in groups["model"]


def test_option_errors_name_the_users_options_too():
    proc = ganexp_cli("--config-dir", "conf", "callbacks=[r2,foo]", "logger=none")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "unknown ['foo']" in proc.stderr and "r2" in proc.stderr and "r1" in proc.stderr


def test_a_mistyped_preset_stops_naming_the_users_presets_too():
    proc = ganexp_cli("--config-dir", "conf", "experiment=my_stdy", "logger=none")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "unknown ['my_stdy']" in proc.stderr
    assert "my_study" in proc.stderr and "toy_ring8" in proc.stderr


@pytest.fixture
def user_package(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))  # the user's package is importable, as from its folder


def test_the_python_api_takes_the_users_config_folder(user_package, tmp_path):
    s = train(["experiment=my_study", *SHORT], run_dir=tmp_path / "run",
              config_dir=EXAMPLES / "conf")
    module = load(tmp_path / "run")
    assert s["train/r2"] > 0 and s["config"]["dataset"]["name"] == "triangle"
    # each route is the user's own code, not a built-in one of the same shape
    assert module.objective.d_loss.__module__ == "my_gan.losses"
    # the penalty's contract (a gradient on D's input) made `model.d_norm=auto` pick layer norm
    assert any(isinstance(m, nn.LayerNorm) for m in module.discriminator.modules())
    # the run resumes from anywhere: the config folder is in its recorded overrides
    resumed = train([f"resume={tmp_path / 'run'}", "train.g_steps=40", "logger=none"],
                    run_dir=tmp_path / "resumed")
    assert resumed["g_steps"] == 40 and resumed["config"]["loss"]["name"] == "smoothed_ns"


def test_the_users_objective_is_the_one_that_trains(user_package):
    from my_gan.losses import smoothed_ns

    real, fake = torch.zeros(4), torch.zeros(4)
    # at D = 1/2 everywhere: BCE against 0.9 is log 2, plus -log(1 - 1/2) = log 2
    assert smoothed_ns(0.9).d_loss(real, fake).item() == pytest.approx(2 * torch.log(torch.tensor(2.0)).item())
    # with real_label 1 it is the ordinary cross-entropy
    from ganexp.losses.adversarial import d_bce

    r, f = torch.randn(8), torch.randn(8)
    assert torch.allclose(smoothed_ns(1.0).d_loss(r, f), d_bce(r, f))


class WrongShapeGenerator(nn.Module):
    """Draws 3 numbers per sample for 2-D data."""

    def __init__(self, z_dim: int, shape, **kwargs):
        super().__init__()
        self.net = nn.Linear(z_dim, 3)

    def forward(self, z):
        return self.net(z)


class TwoScoreDiscriminator(nn.Module):
    """Gives two scores per sample."""

    def __init__(self, shape, norm="none", **kwargs):
        super().__init__()
        self.net = nn.Linear(shape[0], 2)

    def forward(self, x):
        return self.net(x)


class NotADataModule:
    def __init__(self, **kwargs):
        self.shape = (2,)


def not_an_objective():
    return (lambda r, f: r.mean(), lambda f: f.mean())


BROKEN = [
    (["model.generator._target_=test_extension.WrongShapeGenerator"],
     r"model.generator: G\(z\) for z of shape \(2, 8\) has shape \(2, 3\); the data's samples have shape \(2, 2\)"),
    (["model.discriminator._target_=test_extension.TwoScoreDiscriminator"],
     r"model.discriminator: D\(x\) .* has shape \(2, 2\); it must give one score per sample"),
    (["dataset.datamodule._target_=test_extension.NotADataModule"],
     r"dataset.datamodule \(test_extension.NotADataModule\): must be a ganexp.contracts.GANDataModule"),
    (["~loss.objective", "+loss.objective._target_=test_extension.not_an_objective"],
     r"loss.objective._target_=test_extension.not_an_objective returned tuple"),
]


@pytest.mark.parametrize("overrides,message", BROKEN, ids=["generator", "discriminator", "data", "objective"])
def test_a_piece_that_breaks_its_contract_is_named_at_start_up(tmp_path, overrides, message):
    with pytest.raises(ConfigError, match=message):
        train(["model=mlp", "dataset=ring8", "loss=ns", *SHORT, *overrides], run_dir=tmp_path / "r")
    assert not (tmp_path / "r" / "checkpoints").exists()
