"""Lightning DDP on CPU (gloo, 2 processes): ranks see different data yet end with identical
parameters, after critic steps with a gradient penalty and with weight clipping."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import FAST

PROBE = Path(__file__).with_name("ddp_probe.py")
DDP = ["trainer=ddp", "trainer.accelerator=cpu", "trainer.devices=2", "model=mlp", "dataset=ring8"]


def ddp_run(run_dir: Path, overrides: list[str]) -> list[dict]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "WANDB_MODE": "disabled"}
    cmd = [sys.executable, str(PROBE), str(run_dir), *FAST, *DDP, *overrides]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [torch.load(run_dir / f"rank{r}.pt") for r in (0, 1)]


@pytest.mark.parametrize("loss", ["wgan_gp", "wgan"], ids=["gradient_penalty", "weight_clipping"])
def test_ranks_end_identical(tmp_path, loss):
    rank0, rank1 = ddp_run(tmp_path, [f"loss={loss}", "train.g_steps=4"])
    assert not torch.equal(rank0["first_batch"], rank1["first_batch"])  # each rank its own data
    final0, final1 = rank0["final"], rank1["final"]
    assert final0.keys() == rank1["initial"].keys() == final1.keys()
    for name in final0:
        assert torch.equal(rank0["initial"][name], rank1["initial"][name]), name
        assert torch.equal(final0[name], final1[name]), name
    moved = [k for k in final0 if not torch.equal(rank0["initial"][k], final0[k])]
    assert any(k.startswith("generator") for k in moved)
    assert any(k.startswith("discriminator") for k in moved)
    if loss == "wgan":
        critic = [v for k, v in final0.items() if k.startswith("discriminator")]
        assert max(v.abs().max().item() for v in critic) <= 0.01

    # rank zero wrote the checkpoint (the same parameters) and the summary
    ckpt = torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=False)
    assert all(torch.equal(ckpt["state_dict"][k], final0[k]) for k in final0)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["g_steps"] == 4 and "val/modes_covered" in summary


def test_replicated_ranks_hold_every_replica_and_end_identical(tmp_path):
    """DDP with train.replicas=2: each rank trains both replicas on its own shard of each seed's
    data; the stacked parameters stay identical across ranks."""
    rank0, rank1 = ddp_run(tmp_path, ["loss=wgan_gp", "train.g_steps=4", "train.replicas=2"])
    first0, first1 = rank0["first_batch"], rank1["first_batch"]
    assert first0.shape[0] == 2 and not torch.equal(first0, first1)
    assert not torch.equal(first0[0], first0[1])  # the two seeds' data differ too
    final0, final1 = rank0["final"], rank1["final"]
    assert final0.keys() == final1.keys()
    for name in final0:
        assert final0[name].shape[0] == 2, name
        assert torch.equal(final0[name], final1[name]), name
        assert not torch.equal(final0[name][0], final0[name][1]), name
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [row["seed"] for row in summary["replicas"]] == [0, 1]
    assert all("val/modes_covered" in row for row in summary["replicas"])
