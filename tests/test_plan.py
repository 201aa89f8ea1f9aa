"""The plan (ganexp/plan.py): the settings derived from a checked config, resolved once and
read-only; and a checkpoint written before the schema still loads and resumes."""

import dataclasses
import shutil
from pathlib import Path

import pytest
import torch

from ganexp.config import make_plan
from ganexp.train import compose


def plan_of(*overrides: str):
    return make_plan(compose(list(overrides)))


@pytest.mark.parametrize(
    "overrides, norm",
    [
        (["model=dcgan", "loss=wgan_gp"], "layer"),  # a gradient penalty: per-sample critic
        (["model=dcgan", "loss=ns"], "batch"),
        (["model=mlp", "dataset=ring8", "loss=ns"], "none"),
        (["model=mlp", "dataset=ring8", "loss=ns", "callbacks=[r1]"], "layer"),
        (["model=dcgan", "loss=ns", "model.d_norm=spectral"], "spectral"),
    ],
)
def test_auto_norm_is_resolved_by_the_penalty_and_the_nets(overrides, norm):
    assert plan_of(*overrides).d_norm == norm


def test_the_family_that_plays_and_its_objective():
    lap = plan_of("model=lapgan", "loss=ns")
    assert lap.family.target == "ganexp.families.lapgan.LAPGAN"  # the model's own
    assert lap.objective.spec() == {
        "_target_": "ganexp.losses.make_objective",
        "name": "ns",
        "divergence": None,
        "g_objective": None,
    }
    f = plan_of("model=mlp", "dataset=ring8", "loss=fgan", "loss.divergence=js")
    assert f.family.target == "ganexp.families.fgan.FGAN"
    assert (f.objective.spec()["name"], f.objective.spec()["divergence"]) == ("fgan", "js")


def test_callbacks_are_the_losss_then_the_chosen_in_their_order():
    plan = plan_of("model=mlp", "dataset=ring8", "loss=wgan", "callbacks=[r1,ema]")
    names = [node.target.rsplit(".", 1)[-1] for node in plan.callbacks]
    assert names == ["WeightClipping", "R1Penalty", "GeneratorEMA"]
    assert plan.gradient_penalty  # R1's declared capability
    assert not plan_of("model=mlp", "dataset=ring8", "loss=wgan").gradient_penalty


def test_the_plan_is_read_only():
    plan = plan_of()
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.d_norm = "batch"
    with pytest.raises(Exception, match="frozen"):
        plan.run.train.g_steps = 1


def test_each_replica_has_the_plan_of_its_separate_run():
    plan = plan_of("model=mlp", "dataset=ring8", "loss=wgan_gp", "train.seed=3", "train.replicas=3")
    assert [p.run.train.seed for p in plan.singles] == [3, 4, 5]
    assert all(p.run.train.replicas == 1 and p.singles == () for p in plan.singles)
    alone = plan_of("model=mlp", "dataset=ring8", "loss=wgan_gp", "train.seed=4")
    assert plan.singles[1].config == alone.config and plan.singles[1].run == alone.run


def test_builders_read_the_plan_not_the_config():
    from ganexp.build import build_datamodule

    plan = plan_of("model=mlp", "dataset=ring8", "loss=ns", "train.batch_size=16", "model.pack=2")
    plan.config["train"]["batch_size"] = 999  # the raw config, changed after planning
    assert build_datamodule(plan).batch_size == 32  # 16 packs of 2, from the plan


def test_a_checkpoint_written_before_the_schema_loads_and_resumes(tmp_path):
    """tests/data/ring8_before_schema.ckpt: two generator steps of a small MLP with an EMA on
    ring8, written by ganexp before its configuration had a schema."""
    from ganexp import load, train

    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    shutil.copy(
        Path(__file__).parent / "data" / "ring8_before_schema.ckpt",
        run / "checkpoints" / "last.ckpt",
    )
    module = load(run)
    assert module.g_step == 2 and "ema" in module.samplers
    x = module.sample(64, torch.Generator().manual_seed(0))
    assert x.shape == (64, 2) and torch.isfinite(x).all()
    s = train(
        ["logger=none", "trainer.enable_progress_bar=false", f"resume={run}", "train.g_steps=4"],
        run_dir=run,
    )
    assert s["g_steps"] == 4 and s["config"]["model"]["generator"]["hidden"] == [16]
