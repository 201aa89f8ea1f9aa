"""On a CUDA device: `pytest -m gpu` (a few minutes; skipped where there is none).

The main job, bf16-mixed precision, compiled nets, a replicated run (`train.replicas`),
checkpoints that move between the GPU and the CPU, and DDP on one device. `GANEXP_TEST_ACCELERATOR=cpu pytest -m gpu` runs the same tests on
the CPU, which checks the tests themselves on a machine without a GPU."""

import math
import os
from pathlib import Path

import pytest
import torch

ACCELERATOR = os.environ.get("GANEXP_TEST_ACCELERATOR", "gpu")
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        ACCELERATOR == "gpu" and not torch.cuda.is_available(), reason="needs a CUDA device"
    ),
]
ON = [f"trainer.accelerator={ACCELERATOR}"]
TOY = ["model=mlp", "dataset=ring8", "loss=wgan_gp"]


def finite(summary: dict, key: str = "train/w_estimate") -> bool:
    return summary["diverged"] is None and math.isfinite(summary[key])


def test_the_main_job_trains_on_the_device(fit):
    s = fit([*ON, "train.g_steps=20"])  # DCGAN, WGAN-GP, the digits
    assert s["g_steps"] == 20 and finite(s)
    assert s["config"]["trainer"]["accelerator"] == ACCELERATOR


def test_bf16_mixed_precision_trains(fit):
    s = fit([*ON, "train.g_steps=20", "trainer.precision=bf16-mixed"])
    assert s["g_steps"] == 20 and finite(s)


def test_compiled_nets_train(fit):
    s = fit([*ON, *TOY, "train.g_steps=20", "compile=true"])
    assert s["g_steps"] == 20 and finite(s)


@pytest.mark.parametrize("first,then", [(ACCELERATOR, "cpu"), ("cpu", ACCELERATOR)])
def test_a_checkpoint_resumes_on_the_other_device(fit, first, then):
    common = [*TOY, "train.checkpoint_every=5"]
    s = fit([*common, f"trainer.accelerator={first}", "train.g_steps=10"], run="first")
    ckpt = Path(s["run_dir"]) / "checkpoints" / "last.ckpt"
    moved = fit(
        [*common, f"trainer.accelerator={then}", f"resume={ckpt}", "train.g_steps=20"], run="then"
    )
    assert moved["g_steps"] == 20 and finite(moved)


def test_ddp_on_one_device(fit):
    s = fit([*ON, *TOY, "trainer=ddp", "trainer.devices=1", "train.g_steps=10"])
    assert s["g_steps"] == 10 and finite(s)


def test_a_replicated_run_trains_on_the_device_and_loads_on_the_cpu(fit):
    from ganexp import load

    s = fit([*ON, *TOY, "train.replicas=4", "train.g_steps=20"])
    assert s["g_steps"] == 20 and finite(s)
    assert [row["seed"] for row in s["replicas"]] == [0, 1, 2, 3]
    assert all(row["diverged"] is None for row in s["replicas"])
    module = load(s["run_dir"], replica=3)  # replica 3, as the separate run of seed 3 on the CPU
    assert module.seed == 3 and module.sample(10).device.type == "cpu"
