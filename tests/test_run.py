"""What a user sees: the run directory, summary.json, sample pictures, load(), the W&B run, --help."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganexp import load


def test_run_directory_and_summary(fit, tmp_path):
    s = fit(
        [
            "model=mlp",
            "dataset=ring8",
            "loss=wgan_gp",
            "train.g_steps=6",
            "train.sample_every=3",
            "train.checkpoint_every=3",
        ]
    )
    run = Path(s["run_dir"])
    on_disk = json.loads((run / "summary.json").read_text())
    assert on_disk == json.loads(json.dumps(s))
    assert {"g_steps", "d_steps", "wall_time_s", "g_steps_per_s", "config"} <= on_disk.keys()
    assert on_disk["g_steps"] == 6 and on_disk["d_steps"] == 30
    assert 0 < on_disk["time_to_first_step_s"] < 60
    assert on_disk["train/w_estimate"] == -on_disk["train/critic_loss"]
    assert on_disk["config"]["loss"]["name"] == "wgan_gp"
    assert (run / ".hydra" / "config.yaml").is_file()
    assert (run / "checkpoints" / "last.ckpt").is_file()
    names = sorted(p.name for p in (run / "samples").glob("*.png"))
    assert names == ["final.png", "g_step_000003.png", "g_step_000006.png"]


def test_image_samples_are_a_grid(fit):
    s = fit(["model=dcgan", "dataset=digits", "loss=ns", "train.g_steps=2"])
    grid = Image.open(Path(s["run_dir"]) / "samples" / "final.png")
    # 64 images of 16 px, each pixel shown as a 3 x 3 block (48 px), in an 8 x 8 grid with
    # torchvision's 2 px padding
    assert grid.size == (8 * 50 + 2, 8 * 50 + 2)
    tile = torch.as_tensor(np.asarray(grid.convert("L")))[2:50, 2:50].float()
    blocks = tile.unfold(0, 3, 3).unfold(1, 3, 3)  # (16, 16, 3, 3): one block per pixel
    assert torch.equal(blocks, blocks[..., :1, :1].expand_as(blocks))  # no smoothing
    assert blocks[..., 0, 0].std() > 0  # and not one flat colour


def test_load_rebuilds_the_trained_generator(fit):
    s = fit(["model=mlp", "dataset=grid25", "loss=ns", "train.g_steps=3"])
    m = load(s["run_dir"])
    ckpt = torch.load(Path(s["run_dir"]) / "checkpoints" / "last.ckpt", weights_only=True)
    for k, v in m.state_dict().items():
        assert torch.equal(v, ckpt["state_dict"][k])
    x = m.sample(100)
    assert x.shape == (100, 2) and not x.requires_grad
    assert m.g_step == 3
    g = torch.Generator().manual_seed(1)
    assert torch.equal(m.sample(5, g), m.sample(5, torch.Generator().manual_seed(1)))


def test_wandb_offline_run_records_the_critic_loss(fit, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    s = fit(
        [
            "model=mlp",
            "dataset=ring8",
            "loss=wgan",
            "train.g_steps=20",
            "logger=wandb",
            "trainer.log_every_n_steps=5",
        ]
    )
    (path,) = Path(s["run_dir"]).glob("wandb/offline-run-*/run-*.wandb")
    records = path.read_bytes()  # protobuf records: metric names are stored as plain UTF-8
    for key in ["train/critic_loss", "train/w_estimate", "train/g_loss"]:
        assert key.encode() in records, key
    assert list(Path(s["run_dir"]).glob("wandb/offline-run-*/files/media/images/samples_*.png"))


def test_train_metrics_reach_the_logger_every_n_generator_steps(fit):
    s = fit(
        [
            "model=mlp",
            "dataset=ring8",
            "loss=wgan",
            "train.g_steps=12",
            "logger=csv",
            "trainer.log_every_n_steps=4",
        ]
    )
    (path,) = Path(s["run_dir"]).glob("csv/*/metrics.csv")
    rows = [r for r in csv.DictReader(path.open()) if r.get("train/critic_loss")]
    assert [int(r["step"]) for r in rows] == [4, 8, 12]  # generator steps, not optimizer steps
    last = rows[-1]  # step 12 is the last step, whose metrics the summary also reports
    for key in ["train/critic_loss", "train/w_estimate", "train/g_loss", "train/d_loss"]:
        assert float(last[key]) == pytest.approx(s[key], rel=1e-6), key


def test_help_lists_every_group():
    out = subprocess.run(
        [sys.executable, "-m", "ganexp", "--help"], capture_output=True, text=True
    ).stdout
    for line in [
        "augment: ada, diffaugment, none",
        "callbacks: consistency, diagnostics, ema, instance_noise, lecam, r1",
        "loss: fgan, gan, hinge, lsgan, ns, vae, wgan, wgan_gp",
        "model: dcgan, gaussian, lapgan, mlp",
        "optimizer: adam",
    ]:
        assert line in out


def test_max_time_is_a_wall_clock_budget(fit):
    s = fit(
        [
            "model=mlp",
            "dataset=ring8",
            "loss=ns",
            "train.g_steps=10000000",
            "trainer.max_time=00:00:00:02",
            "eval.every_n_g_steps=10000000",
        ]
    )
    assert 0 < s["g_steps"] < 10000000 and s["interrupted"] is False
    assert 1.5 < s["wall_time_s"] < 10  # setup and the final evaluation are outside the budget
    assert "val/hq_fraction" in s  # the run still ends with its evaluation
    assert (Path(s["run_dir"]) / "checkpoints" / "last.ckpt").is_file()
