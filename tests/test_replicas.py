"""`train.replicas=K`: K seeds trained together as one vectorised model.

Exactness is checked in float64 (`trainer.precision=64-true`): batched matrix products round
differently from single ones, and Adam turns a rounding difference in a near-zero gradient into a
whole step of size lr, so in float32 two implementations of the same run drift apart within tens of
steps (a separate run against itself on 1 and 2 threads does too). In float64 replica k matches
the separate run of seed k to about 1e-13 over these short runs.
"""

import csv
import json
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from conftest import FAST

from ganexp import load, train
from ganexp.checkpoints import read_checkpoint
from ganexp.data.stream import StepStream
from ganexp.errors import ConfigError
from ganexp.families.packing import pack
from ganexp.replicas import Replicated, replica_state

F64 = ["trainer.precision=64-true"]
TOY = [
    "model=mlp",
    "dataset=ring8",
    "model.generator.hidden=[32,32]",
    "model.discriminator.hidden=[32,32]",
]
SETUPS = {
    "mlp_gradient_penalty": [*TOY, "loss=wgan_gp", "callbacks=[ema]"],
    "pacgan_batchnorm_generator": [
        "experiment=toy_ring8",
        "model.generator.hidden=[32,32]",
        "model.discriminator.hidden=[32,32]",
        "train.batch_size=32",
    ],
    # ADA (each replica its own p and draws) and LeCam (each its own moving averages)
    "dcgan_digits_ada_lecam": [
        "model=dcgan",
        "dataset=digits",
        "loss=wgan_gp",
        "train.batch_size=8",
        "augment=ada",
        "augment.speed=500",
        "augment.interval=1",
        "callbacks=[lecam]",
    ],
    "conditional_clipping_noise_r1": [
        *TOY,
        "dataset=digits",
        "model.conditional=true",
        "loss=wgan",
        "callbacks=[instance_noise,r1]",
        "train.lr_schedule=linear",
    ],
}


def checkpoint_tensors(run_dir, replica=None) -> dict:
    """The weights and buffers of the run's last checkpoint, and its EMA generator's (replica k's
    alone for a replicated run)."""
    ckpt = read_checkpoint(run_dir)
    tensors = dict(ckpt["state_dict"])
    ema = ckpt.get("callbacks", {}).get("GeneratorEMA", {}).get("average", {})
    tensors |= {f"ema.{k}": v for k, v in ema.items()}
    return tensors if replica is None else replica_state(tensors, replica)


def assert_close(a: dict, b: dict, rtol: float) -> None:
    assert a.keys() == b.keys()
    for name in b:
        if b[name].is_floating_point():
            scale = b[name].abs().max().clamp(min=1e-12)
            assert float((a[name] - b[name]).abs().max() / scale) < rtol, name
        else:
            assert torch.equal(a[name], b[name]), name


@pytest.mark.parametrize("setup", SETUPS)
def test_replica_k_is_the_separate_run_of_seed_k(tmp_path, setup):
    steps = 3 if setup.startswith("dcgan_digits") else 10
    common = [*FAST, *F64, *SETUPS[setup], f"train.g_steps={steps}", "train.seed=3"]
    train([*common, "train.replicas=2"], run_dir=tmp_path / "together")
    for k in range(2):
        train([*common, f"train.seed={3 + k}"], run_dir=tmp_path / f"seed{3 + k}")
        separate = checkpoint_tensors(tmp_path / f"seed{3 + k}")
        replica = checkpoint_tensors(tmp_path / "together", k)
        assert_close(replica, separate, rtol=1e-9)
    # the replicas are different runs, not copies
    first, second = (checkpoint_tensors(tmp_path / "together", k) for k in (0, 1))
    weight = next(k for k in first if k.startswith("generator.") and k.endswith("weight"))
    assert not torch.allclose(first[weight], second[weight])


@pytest.mark.slow
@pytest.mark.parametrize(
    "setup,steps",
    [
        ("mlp_gradient_penalty", 200),
        ("pacgan_batchnorm_generator", 200),
        ("dcgan_digits_ada_lecam", 40),
    ],
)
def test_replicas_match_separate_runs_over_long_runs_with_sgd(tmp_path, setup, steps):
    """SGD: no normalisation by the gradient's size, so the toy nets' rounding stays rounding over
    200 steps. The DCGAN's game amplifies rounding even under SGD (1e-13 after 20 steps, 1e-9
    after 50, 1e-3 after 100; a separate run nudged by one rounding step does the same:
    benchmarks/replicas_exactness.py), so it is held to 40 steps."""
    sgd = ["optimizer=sgd", "optimizer.g.lr=1e-3", "optimizer.d.lr=1e-3"]
    if setup == "pacgan_batchnorm_generator":  # the preset sets Adam's betas
        sgd += ["~optimizer.g.betas", "~optimizer.d.betas"]
    common = [*FAST, *F64, *SETUPS[setup], *sgd, f"train.g_steps={steps}"]
    train([*common, "train.replicas=2"], run_dir=tmp_path / "together")
    for k in range(2):
        train([*common, f"train.seed={k}"], run_dir=tmp_path / f"seed{k}")
        assert_close(
            checkpoint_tensors(tmp_path / "together", k),
            checkpoint_tensors(tmp_path / f"seed{k}"),
            rtol=1e-7,
        )


class PoisonReplica(pl.Callback):
    """Sets one replica's critic weights to nan before generator step `at`."""

    def __init__(self, replica: int, at: int):
        self.replica, self.at = replica, at

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if pl_module.g_step == self.at:
            with torch.no_grad():
                for p in pl_module.discriminator.stacked.parameters():
                    p[self.replica] = float("nan")


def test_a_diverged_replica_stops_alone(tmp_path):
    common = [*FAST, *F64, *TOY, "loss=wgan_gp", "train.g_steps=12", "eval.every_n_g_steps=6"]
    summary = train(
        [*common, "train.replicas=3"],
        run_dir=tmp_path / "together",
        callbacks=[PoisonReplica(1, 4)],
    )
    assert summary["g_steps"] == 12 and summary["diverged"] is None
    rows = summary["replicas"]
    assert rows[1]["diverged"]["g_step"] == 5  # the step that read the nan weights
    assert rows[0]["diverged"] is None and rows[2]["diverged"] is None
    assert summary["replicas_diverged"] == 1
    assert summary["replica_stats"]["val/hq_fraction"]["n"] == 2
    # the others went on exactly as their separate runs
    for k in (0, 2):
        train([*common, f"train.seed={k}"], run_dir=tmp_path / f"seed{k}")
        assert_close(
            checkpoint_tensors(tmp_path / "together", k),
            checkpoint_tensors(tmp_path / f"seed{k}"),
            rtol=1e-9,
        )
    with pytest.raises(ConfigError, match="replica=1: it diverged at g_step 5"):
        load(tmp_path / "together", replica=1)


def test_a_replica_with_non_finite_weights_is_dropped_from_the_checkpoint(tmp_path):
    """Finite losses can leave a non-finite buffer (here a BatchNorm running variance, which
    training in train mode never reads): the checkpoint drops that replica, not the run."""

    class PoisonStatistics(pl.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
            if pl_module.g_step == 6:
                buffers = dict(pl_module.generator.stacked.named_buffers())
                buffers["net-1-running_var"][0, 0] = float("inf")

    overrides = [*FAST, *TOY, "loss=ns", "model.generator.norm=batch", "train.g_steps=6"]
    summary = train(
        [*overrides, "train.replicas=2"], run_dir=tmp_path, callbacks=[PoisonStatistics()]
    )
    assert summary["replicas"][0]["diverged"]["key"] == "generator.stacked.net-1-running_var"
    assert summary["replicas"][1]["diverged"] is None
    state = read_checkpoint(tmp_path)["state_dict"]
    assert all(bool(torch.isfinite(v).all()) for v in state.values() if v.is_floating_point())
    assert load(tmp_path, replica=1).sample(4).isfinite().all()


def test_every_replica_diverging_stops_the_run(tmp_path):
    from ganexp.divergence import Diverged

    class PoisonAll(PoisonReplica):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
            for self.replica in range(2):
                super().on_train_batch_start(trainer, pl_module, batch, batch_idx)

    with pytest.raises(Diverged, match="every replica"):
        train(
            [*FAST, *TOY, "loss=wgan_gp", "train.g_steps=6", "train.replicas=2"],
            run_dir=tmp_path / "r",
            callbacks=[PoisonAll(0, 2)],
        )


def test_resuming_a_replicated_run_is_bit_identical(tmp_path):
    common = [*FAST, *TOY, "loss=wgan_gp", "callbacks=[ema]", "train.replicas=2"]
    common += ["eval.every_n_g_steps=4", "train.checkpoint_every=4"]
    train([*common, "train.g_steps=8"], run_dir=tmp_path / "straight")
    train([*common, "train.g_steps=4"], run_dir=tmp_path / "stopped")
    resumed = train(
        [f"resume={tmp_path / 'stopped'}", "train.g_steps=8"], run_dir=tmp_path / "resumed"
    )
    straight = json.loads((tmp_path / "straight" / "summary.json").read_text())
    a, b = checkpoint_tensors(tmp_path / "straight"), checkpoint_tensors(tmp_path / "resumed")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    for k in range(2):
        assert resumed["replicas"][k]["history"] == straight["replicas"][k]["history"]


def test_a_resumed_run_keeps_its_replicas(tmp_path):
    train(
        [*FAST, *TOY, "loss=wgan_gp", "train.g_steps=2", "train.replicas=2"], run_dir=tmp_path / "a"
    )
    with pytest.raises(ConfigError, match=r"train.replicas=3: .* trained 2.*allowed value: 2"):
        train([f"resume={tmp_path / 'a'}", "train.replicas=3"], run_dir=tmp_path / "b")
    assert not (tmp_path / "b" / "checkpoints").exists()


def test_per_replica_metrics_are_those_of_the_separate_runs(tmp_path):
    """Each replica's row holds what `ganexp.evaluate` measures on the separate run of its seed,
    and `replica_stats` summarises the rows."""
    from ganexp.evaluate import evaluate_run

    common = [*FAST, *F64, *TOY, "loss=ns", "train.g_steps=30", "sampling.rejection=true"]
    summary = train([*common, "train.replicas=2"], run_dir=tmp_path / "together")
    for k in range(2):
        train([*common, f"train.seed={k}"], run_dir=tmp_path / f"seed{k}")
        separate = evaluate_run(tmp_path / f"seed{k}")
        again = evaluate_run(tmp_path / "together", [f"replica={k}"])
        row = summary["replicas"][k]
        assert row["seed"] == again["seed"] == k
        for key in ("val/hq_fraction", "val/modes_covered", "val/mode_kl"):
            assert row[key] == pytest.approx(separate[key], rel=1e-6, abs=1e-9), key
            assert again[key] == pytest.approx(separate[key], rel=1e-6, abs=1e-9), key
    js = [r["train/js_estimate"] for r in summary["replicas"]]
    assert js[0] != js[1]
    stats = summary["replica_stats"]["train/js_estimate"]
    assert stats["mean"] == pytest.approx(sum(js) / 2)
    assert (stats["min"], stats["max"]) == (min(js), max(js))
    assert stats["std"] == pytest.approx(abs(js[0] - js[1]) / 2**0.5)
    assert summary["train/js_estimate"] == pytest.approx(stats["mean"])
    # one picture per replica, the one its separate run draws
    for k in range(2):
        assert (tmp_path / "together" / "samples" / f"replica_{k}" / "final.png").exists()


def test_the_report_counts_replicas_as_seeds(tmp_path):
    from ganexp.report import report

    train(
        [*FAST, *TOY, "loss=wgan_gp", "train.g_steps=4", "train.replicas=3"], run_dir=tmp_path / "0"
    )
    result = report(tmp_path)
    (row,) = result["rows"]
    assert row["n"] == 3
    lines = (tmp_path / "report.csv").read_text().splitlines()
    assert len(lines) == 4 and lines[0].startswith("train.seed")


def test_load_needs_a_replica_of_a_replicated_run(tmp_path):
    train([*FAST, *TOY, "loss=wgan_gp", "train.g_steps=2", "train.replicas=2"], run_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"replica=None: .* holds 2 replicas"):
        load(tmp_path)
    with pytest.raises(ConfigError, match=r"allowed values are \[0, 1\]"):
        load(tmp_path, replica=2)
    module = load(tmp_path, replica=1)
    assert module.replicas == 1 and module.seed == 1
    assert module.sample(5).shape == (5, 2)


def test_replicated_batches_are_each_seeds_batches():
    draw = lambda g: torch.randn(4, 2, generator=g)  # noqa: E731
    together = iter(StepStream(draw, seed=5, rank=0, start=7, replicas=3))
    for _ in range(2):
        batch = next(together)
        assert batch.shape == (3, 4, 2)
    for k in range(3):
        alone = iter(StepStream(draw, seed=5 + k, rank=0, start=7))
        next(alone)
        assert torch.equal(next(alone), batch[k])


def test_packing_replicated_batches_packs_each_replica():
    x, y = torch.randn(3, 8, 2, 4, 4), torch.arange(24).view(3, 8)
    for k in range(3):
        assert torch.equal(pack(x, 2, lead=2)[k], pack(x[k], 2))
        assert torch.equal(pack(y, 4, lead=2)[k], pack(y[k], 4))


def test_replicated_net_runs_each_replica_on_its_own_batch():
    torch.manual_seed(0)
    nets = [
        torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.BatchNorm1d(5), torch.nn.Linear(5, 1))
        for _ in range(3)
    ]
    together = Replicated(nets)
    x = torch.randn(3, 7, 3)
    out = together(x)
    for k, net in enumerate(nets):
        assert torch.allclose(out[k], net(x[k]), atol=1e-6)
        # BatchNorm's running statistics are each replica's own
        assert torch.allclose(together.replica(k)[1].running_mean, net[1].running_mean)


BAD = [
    (["train.replicas=0"], "train.replicas=0: must be an integer >= 1"),
    (["train.replicas=1.5"], "train.replicas=1.5: must be an integer >= 1"),
    (["train.replicas=two"], "train.replicas=two: must be an integer >= 1"),
    (["train.replicas=3", "model=lapgan"], "train.replicas=3: the LAPGAN family"),
    (["train.replicas=3", "loss=vae", "model=mlp"], "train.replicas=3: the VAE family"),
    (["train.replicas=3", "callbacks=[diagnostics]"], "the callback Diagnostics"),
    (["train.replicas=3", "train.keep_best=val/fid_classifier"], "train.keep_best=val/fid"),
    (["train.replicas=3", "model.d_norm=spectral", "loss=ns"], "model.d_norm=spectral"),
]


@pytest.mark.parametrize("overrides,words", BAD, ids=[" ".join(b[0]) for b in BAD])
def test_bad_replicas_stop_with_one_line(overrides, words):
    from ganexp.config import make_plan
    from ganexp.train import compose

    cfg = compose(overrides)
    with pytest.raises(ConfigError) as err:
        make_plan(cfg)
    assert words in str(err.value) and "\n" not in str(err.value)


def test_the_logger_gets_each_replica_and_their_mean(fit):
    overrides = [*TOY, "loss=wgan", "train.g_steps=4", "logger=csv", "train.replicas=3"]
    s = fit([*overrides, "trainer.log_every_n_steps=2"])
    (path,) = Path(s["run_dir"]).glob("csv/*/metrics.csv")
    last = [r for r in csv.DictReader(path.open()) if r.get("train/w_estimate")][-1]
    each = [float(last[f"train/w_estimate/replica_{k}"]) for k in range(3)]
    assert len(set(each)) == 3
    assert float(last["train/w_estimate"]) == pytest.approx(sum(each) / 3, rel=1e-6)
    assert each == pytest.approx([row["train/w_estimate"] for row in s["replicas"]], rel=1e-6)
