"""A run stopped part-way and resumed ends bit-identical to an uninterrupted run with the same seed."""

import pytest
import pytorch_lightning as pl
import torch

from ganexp import load


class Crash(pl.Callback):
    def __init__(self, at: int):
        self.at = at

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        if module.g_step == self.at:
            raise RuntimeError("simulated crash")


def assert_same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k


@pytest.mark.parametrize(
    "overrides",
    [
        ["model=mlp", "dataset=ring8", "loss=wgan_gp", "train.lr_schedule=linear"],
        # with ADA's p and LeCam's moving averages, on a subset of the digits
        [
            "model=dcgan",
            "dataset=digits",
            "loss=ns",
            "dataset.subset=180",
            "augment=ada",
            "augment.speed=2000",
            "callbacks=[lecam]",
        ],
        # labels, the averaged generator, noise draws and power-iteration vectors continue too
        [
            "model=dcgan",
            "loss=hinge",
            "model.conditional=true",
            "model.d_norm=spectral",
            "callbacks=[ema,instance_noise,r1]",
        ],
    ],
)
def test_resume_after_a_crash_is_exact(fit, tmp_path, overrides):
    steps = ["train.g_steps=12", "train.checkpoint_every=4", "eval.every_n_g_steps=3"]
    whole = fit([*overrides, *steps], run="whole")

    with pytest.raises(RuntimeError, match="simulated crash"):
        fit([*overrides, *steps], run="crashed", callbacks=[Crash(at=10)])
    assert load(tmp_path / "crashed").g_step == 8  # the last checkpoint before the crash

    # (fit puts the fast defaults first, so the evaluation interval is given again)
    resumed = fit([f"resume={tmp_path / 'crashed'}", steps[-1]], run="resumed")
    assert resumed["g_steps"] == whole["g_steps"] == 12
    assert resumed["d_steps"] == whole["d_steps"]
    finished, continued = load(whole["run_dir"]), load(resumed["run_dir"])
    assert_same_state(finished, continued)
    assert finished.samplers.keys() == continued.samplers.keys()
    for name in finished.samplers:
        assert_same_state(finished.samplers[name], continued.samplers[name])
    assert [r["g_step"] for r in resumed["history"]] == [3, 6, 9, 12]
    for got, want in zip(resumed["history"], whole["history"]):  # the curve survives the crash
        assert got.keys() == want.keys()
        for key in want:
            assert got[key] == want[key], (got["g_step"], key)
    for group in ("model", "loss", "optimizer", "dataset"):  # recomposed from the run's overrides
        assert resumed["config"][group] == whole["config"][group]
    assert resumed["config"]["resume"] == str(tmp_path / "crashed")


def test_resume_can_extend_the_budget(fit, tmp_path):
    base = ["model=mlp", "dataset=gauss1d", "loss=ns"]
    whole = fit([*base, "train.g_steps=10"], run="whole")
    fit([*base, "train.g_steps=6"], run="first")
    resumed = fit([f"resume={tmp_path / 'first'}", "train.g_steps=10"], run="second")
    assert resumed["g_steps"] == 10
    assert_same_state(load(whole["run_dir"]), load(resumed["run_dir"]))
