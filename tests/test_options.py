"""Speed options give the same training as the plain settings: compile, channels_last, bf16-mixed."""

import math
import os

import pytest
import pytorch_lightning as pl
import torch

from ganexp import load
from ganexp.errors import ConfigError
from ganexp.options import options
from ganexp.train import compose, run

STEPS = ["train.g_steps=3", "train.batch_size=16"]


def parameters(run_dir):
    return dict(load(run_dir).state_dict())


def assert_close(a, b, atol):
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], atol=atol, rtol=1e-3, msg=key)


@pytest.mark.parametrize("loss", ["ns", "wgan_gp"])
def test_compiled_nets_train_like_eager_ones(fit, loss):
    base = ["model=mlp", "dataset=ring8", f"loss={loss}", *STEPS]
    eager = fit(base, run="eager")
    compiled = fit([*base, "compile=true"], run="compiled")
    m = load(compiled["run_dir"])
    assert m.generator._compiled_call_impl is not None  # the generator really is compiled
    assert_close(parameters(eager["run_dir"]), parameters(compiled["run_dir"]), atol=1e-5)


def test_channels_last_trains_like_contiguous(fit):
    base = ["model=dcgan", "dataset=digits", "loss=wgan_gp", *STEPS]
    plain = fit(base, run="plain")
    fast = fit([*base, "channels_last=true"], run="channels_last")
    m = load(fast["run_dir"])
    conv = next(p for p in m.discriminator.parameters() if p.dim() == 4)
    assert conv.is_contiguous(memory_format=torch.channels_last) and conv.stride()[1] == 1
    assert_close(parameters(plain["run_dir"]), parameters(fast["run_dir"]), atol=1e-4)


def test_bf16_mixed_precision_trains_with_float32_weights(fit):
    s = fit(
        ["model=dcgan", "dataset=digits", "loss=wgan_gp", "trainer.precision=bf16-mixed", *STEPS]
    )
    assert s["g_steps"] == 3
    assert all(math.isfinite(s[k]) for k in ("train/d_loss", "train/g_loss", "train/gp"))
    m = load(s["run_dir"])
    assert all(p.dtype == torch.float32 for p in m.parameters())  # master weights stay fp32


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["compile=yes"], "compile=yes: allowed values are \\[true, false\\]"),
        (["dataset=ring8", "model=mlp", "channels_last=true"], "channels_last=true needs images"),
    ],
)
def test_bad_speed_options_are_refused(tmp_path, overrides, message):
    with pytest.raises(ConfigError, match=message):
        run(compose(overrides), tmp_path)


def test_linear_lr_schedule_decays_both_learning_rates_to_zero(fit):
    seen = []

    class Probe(pl.Callback):
        def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
            seen.append([o.param_groups[0]["lr"] for o in trainer.optimizers])

    steps = 8
    fit(
        [
            "model=mlp",
            "dataset=ring8",
            "loss=wgan_gp",
            f"train.g_steps={steps}",
            "train.lr_schedule=linear",
            "optimizer.g.lr=1e-3",
            "optimizer.d.lr=4e-4",
        ],
        callbacks=[Probe()],
    )
    for k, (lr_g, lr_d) in enumerate(seen, start=1):  # after generator step k
        assert lr_g == pytest.approx(1e-3 * (1 - k / steps))
        assert lr_d == pytest.approx(4e-4 * (1 - k / steps))
    assert seen[-1] == [0.0, 0.0]


@pytest.mark.parametrize("schedule", ["constant", "linear"])
def test_generator_warmup_ramps_only_the_generators_learning_rate(fit, schedule):
    seen = []

    class Probe(pl.Callback):
        def on_train_batch_start(self, trainer, module, batch, batch_idx):
            seen.append([o.param_groups[0]["lr"] for o in trainer.optimizers])

    steps, warmup = 8, 4
    fit(
        [
            "model=mlp",
            "dataset=ring8",
            "loss=ns",
            f"train.g_steps={steps}",
            f"train.lr_schedule={schedule}",
            f"train.g_warmup={warmup}",
            "optimizer.g.lr=1e-3",
            "optimizer.d.lr=4e-4",
        ],
        callbacks=[Probe()],
    )
    assert len(seen) == steps
    for k, (lr_g, lr_d) in enumerate(seen):  # during generator step k
        decay = 1 - k / steps if schedule == "linear" else 1.0
        assert lr_d == pytest.approx(4e-4 * decay)
        assert lr_g == pytest.approx(1e-3 * decay * min(1.0, (k + 1) / warmup))
    assert seen[0][0] == pytest.approx(1e-3 / warmup)  # G starts at a quarter of its rate


def test_negative_generator_warmup_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="train.g_warmup=-1: must be an integer >= 0"):
        run(compose(["model=mlp", "dataset=ring8", "train.g_warmup=-1"]), tmp_path)


@pytest.mark.parametrize("name", options("experiment"))
def test_every_preset_composes_and_validates(name):
    """Each preset's keys exist and pass start-up validation (a typo in a preset fails here)."""
    from omegaconf import open_dict

    from ganexp.config import make_plan

    cfg = compose([f"experiment={name}"])
    with open_dict(cfg):
        cfg.pop("hydra")
    make_plan(cfg)
    if name == "toy_ring8":
        assert (cfg.loss.name, cfg.model.pack, cfg.model.discriminator.maxout) == ("ns", 2, 5)
    if name == "lapgan_digits":
        assert (cfg.model.name, cfg.model.levels, cfg.dataset.image_size) == ("lapgan", 3, 32)


@pytest.mark.parametrize("gpus, after", [(0, "0"), (1, "1")])
def test_the_nvml_probe_is_off_only_where_no_gpu_is_visible(monkeypatch, gpus, after):
    from ganexp.build import NVML_CHECK, cheap_cuda_check

    monkeypatch.setenv(NVML_CHECK, "1")  # as importing Lightning leaves it
    monkeypatch.setattr(torch.cuda, "device_count", lambda: gpus)
    cheap_cuda_check()
    assert os.environ[NVML_CHECK] == after
