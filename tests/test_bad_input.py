"""A config that cannot work stops at start-up: non-zero exit, one message naming the key and the
allowed values, no traceback."""

import subprocess
import sys

import pytest
from cli import Commands

CASES = [
    (["model=foo"], ["model", "dcgan", "mlp"]),
    (["optimizer.d.lr=0"], ["optimizer.d.lr=0", "> 0"]),
    (["optimizer.g.lr=-1e-4"], ["optimizer.g.lr", "> 0"]),
    (["loss=wgan", "loss.clip=0"], ["loss.clip=0", "> 0"]),
    (["loss.n_critic=0"], ["loss.n_critic=0", ">= 1"]),
    (["model.d_norm=batch"], ["model.d_norm=batch", "loss=wgan_gp", "'layer'", "'none'"]),
    (["model.d_norm=group"], ["model.d_norm=group", "'batch'", "'layer'"]),
    (["dataset=ring8"], ["model=dcgan", "dataset=ring8", "digits", "mnist"]),
    (["dataset.image_size=28"], ["dataset.image_size=28", "16", "32", "64"]),
    (["dataset=image_folder", "dataset.root=/no/such/folder"], ["dataset.root=/no/such/folder"]),
    (["dataset=mnist", "dataset.root=/no/such/folder"], ["dataset=mnist", "dataset.download=true"]),
    (["loss.objective=foo"], ["loss.objective=foo", "hinge", "wgan"]),
    (["model.prior=laplace"], ["model.prior=laplace", "normal", "uniform"]),
    (["train.lr_schedule=cosine"], ["train.lr_schedule=cosine", "constant", "linear"]),
    (["metric=hq_fraction"], ["metric=hq_fraction", "val/"]),
    (["loss=fgan", "loss.divergence=tv"], ["loss.divergence=tv", "reverse_kl", "hellinger"]),
    (["loss=fgan", "loss.g_objective=max"], ["loss.g_objective=max", "bound", "ns"]),
    (["model=gaussian", "dataset=ring8"], ["model.z_dim=1", "data's dimension", "[2]"]),
    (["callbacks=foo"], ["callbacks/foo", "ema", "instance_noise", "r1"]),
    (["callbacks=[ema,foo]"], ["callbacks=[ema,foo]", "'foo'", "ema, instance_noise, lecam, r1"]),
    (["-m", "callbacks=[ema],[r1,x]"], ["callbacks=[ema],[r1,x]", "'x'", "instance_noise"]),
    (["trainer.max_time=5min"], ["trainer.max_time=5min", "DD:HH:MM:SS"]),
    (
        ["dataset=ring8", "model=mlp", "augment=diffaugment"],
        ["augment=diffaugment", "point data", "[none]"],
    ),
    (
        ["augment=diffaugment", "augment.policy=[color,rotate]"],
        ["augment.policy", "['rotate']", "translation"],
    ),
    (["dataset.subset=5000"], ["dataset.subset=5000", "1438 images"]),
    (["train.progress_every_s=0"], ["train.progress_every_s=0", "> 0"]),
    (
        ["experiment=toy_rign8"],
        ["experiment=toy_rign8", "'toy_rign8'", "lapgan_digits", "toy_ring8"],
    ),
    (["-m", "experiment=toy_ring8,toy_gird25"], ["'toy_gird25'", "toy_grid25"]),
    (["callbacks=ema", "callbacks.ema.decay=1.5"], ["callbacks.ema.decay=1.5", "(0, 1)"]),
    (["experiment=toy_grid25", "callbacks=[]"], ["callbacks.ema._target_", "~callbacks.ema"]),
    (["callbacks=r1", "callbacks.r1.gamma=-1"], ["callbacks.r1.gamma=-1", ">= 0"]),
    (["callbacks=instance_noise", "callbacks.instance_noise.std=-0.1"], ["instance_noise.std"]),
    (["model.d_norm=batch", "loss=ns", "callbacks=r1"], ["callbacks=r1", "'spectral'"]),
    (
        ["model=mlp", "model.conditional=true", "dataset=swissroll"],
        ["model.conditional=true", "swissroll", "ring8", "digits", "mnist"],
    ),
    (["model=gaussian", "dataset=gauss1d", "+model.conditional=true"], ["model=gaussian", "mlp"]),
    (["model.conditional=yes"], ["model.conditional=yes", "true", "false"]),
    (["loss=vae", "model.prior=uniform"], ["model.prior=uniform", "loss=vae", "normal"]),
    (["loss=vae", "callbacks=r1"], ["callbacks=['r1']", "loss=vae", "ema"]),
    (["loss=vae", "loss.family.decoder_std=0"], ["loss.family.decoder_std=0", "> 0"]),
    (["model=lapgan", "model.levels=3"], ["model.levels=3", "dataset.image_size=16", "8, 16"]),
    (["model=lapgan", "loss=wgan_gp"], ["model=lapgan", "loss=wgan_gp", "hinge"]),
    (["model.pack=0"], ["model.pack=0", ">= 1"]),
    (["model=mlp", "dataset=ring8", "loss=vae", "model.pack=2"], ["model.pack=2", "[1]"]),
    (["model=lapgan", "loss=ns", "+model.pack=2"], ["model.pack=2", "model=lapgan", "[1]"]),
    (["model.codes=-1"], ["model.codes=-1", ">= 0"]),
    (["model=mlp", "dataset=ring8", "loss=vae", "model.codes=8"], ["model.codes=8", "[0]"]),
    (["model.code_scale=0"], ["model.code_scale=0", "> 0"]),
    (["model=mlp", "model.code_scale=2"], ["model.code_scale=2", "model.codes=0", "model.codes=K"]),
    (["model=lapgan", "loss=ns", "+model.codes=8"], ["model.codes=8", "model=lapgan", "[0]"]),
    (["model=mlp", "model.generator.norm=group"], ["model.generator.norm=group", "'batch'"]),
    (["model=mlp", "model.discriminator.maxout=0"], ["model.discriminator.maxout=0", ">= 1"]),
    # wrong types and out-of-range values
    (["train.g_steps=1.5"], ["train.g_steps=1.5", "integer >= 1"]),
    (["train.batch_size=abc"], ["train.batch_size=abc", "integer >= 1"]),
    (["train.seed=-3"], ["train.seed=-3", "integer >= 0"]),
    (["eval.num_samples=0"], ["eval.num_samples=0", "integer >= 1"]),
    (["model.z_dim=0"], ["model.z_dim=0", "integer >= 1"]),
    (["optimizer.g.betas=[1.5,0.9]"], ["optimizer.g.betas=[1.5, 0.9]", "[0, 1)"]),
    (["optimizer.d.betas=[0.5]"], ["optimizer.d.betas=[0.5]", "two numbers"]),
    (["optimizer=rmsprop", "optimizer.d.weight_decay=-1"], ["optimizer.d.weight_decay=-1"]),
    (["sampling.rejection=yes"], ["sampling.rejection=yes", "true, false"]),
    (
        ["sampling.rejection=true"],
        ["sampling.rejection=true", "loss=wgan_gp", "sampling.calibrate_steps", ">= 1"],
    ),
    (["sampling.calibrate_steps=-1"], ["sampling.calibrate_steps=-1", "integer >= 0"]),
    (
        ["loss=vae", "model=mlp", "sampling.rejection=true", "sampling.calibrate_steps=5"],
        ["sampling.rejection=true", "loss=vae", "adversarial losses"],
    ),
    (["model=lapgan", "loss=ns", "model.coarsest=dcgan"], ["model.coarsest=dcgan", "conv", "mlp"]),
    # paths that are not what they should be
    (["resume=/no/such/run"], ["resume=/no/such/run", "last.ckpt"]),
    (["eval.inception_weights=/no/such.pth"], ["eval.inception_weights=/no/such.pth", "null"]),
    # devices and Lightning settings (Lightning's own sentence, with the keys)
    (["trainer.accelerator=gpu"], ["trainer.accelerator=gpu", "gpu"]),
    (["trainer.precision=17"], ["trainer.precision=17", "'32-true'"]),
    (["trainer.strategy=nope"], ["trainer.strategy=nope", "ddp"]),
    (["trainer.devices=0"], ["trainer.devices=0"]),
    # keys and options that do not exist (Hydra's own message)
    (["train.no_such_key=1"], ["train.no_such_key", "+train.no_such_key=1"]),
    (["optimizer=adamw"], ["optimizer/adamw", "adam", "rmsprop", "sgd"]),
    (["train.freeze_generator=yes"], ["train.freeze_generator=yes", "true, false"]),
    (["model=lapgan", "loss=ns", "train.freeze_generator=true"], ["freeze_generator", "[false]"]),
    (["train.init_generator=/no/such/run"], ["train.init_generator=/no/such/run", "checkpoints"]),
    (["callbacks=diagnostics", "callbacks.diagnostics.every=0"], ["diagnostics.every=0", ">= 1"]),
    (
        ["callbacks=diagnostics", "callbacks.diagnostics.g_objectives=[ns,foo]"],
        ["g_objectives=['ns', 'foo']", "['foo']", "'gan', 'ns', 'hinge'"],
    ),
    (
        ["model=gaussian", "dataset=gauss1d", "model.generator.sigma=0"],
        ["model.generator.sigma=0", "> 0"],
    ),
    (["train.replicas=0"], ["train.replicas=0: must be an integer >= 1"]),
    (
        ["experiment=toy_ring8", "optimizer=sgd"],
        ["optimizer.g.betas=[0.8, 0.999]: torch.optim.SGD takes no betas", "~optimizer.g.betas"],
    ),
    (
        ["model=gaussian", "dataset=gauss1d", "model.generator.mu=[1,2]"],
        ["model.generator.mu=[1, 2]", "must be one number"],
    ),
]


@pytest.fixture(scope="module")
def ganexp_command():
    """`python -m ganexp` as the command line runs it, without paying its start-up per case."""
    commands = Commands()
    yield commands.run
    commands.close()


@pytest.mark.parametrize("overrides,words", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_config_stops_with_a_clear_message(ganexp_command, tmp_path, overrides, words):
    proc = ganexp_command(
        [*overrides, "logger=none", f"hydra.run.dir={tmp_path}"], tmp_path / "console.txt"
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in proc.stderr, proc.stderr
    assert not (tmp_path / "checkpoints").exists()


def test_adam_with_weight_clipping_warns(fit):
    with pytest.warns(UserWarning, match="Adam with weight clipping: .*optimizer=rmsprop"):
        fit(["model=mlp", "dataset=ring8", "loss=wgan", "optimizer=adam", "train.g_steps=1"])


def test_python_api_names_the_options_of_a_list_override():
    from ganexp.errors import ConfigError
    from ganexp.train import compose

    with pytest.raises(
        ConfigError,
        match=r"unknown \['foo'\]; the options of 'callbacks' are consistency, diagnostics, ema",
    ):
        compose(["loss=ns", "callbacks=[r1,foo]"])


def test_a_metric_the_run_does_not_report_ends_with_one_line(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "ganexp",
            "model=mlp",
            "dataset=ring8",
            "loss=ns",
            "metric=val/no_such",
            "train.g_steps=3",
            "logger=none",
            "eval.inception=false",
            "trainer.enable_progress_bar=false",
            f"hydra.run.dir={tmp_path}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert (
        "metric=val/no_such: this run reports" in proc.stderr and "val/hq_fraction" in proc.stderr
    )


def test_a_run_directory_holding_another_run_is_refused(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "summary.json").write_text("{}")
    proc = subprocess.run(
        [sys.executable, "-m", "ganexp", "logger=none", f"hydra.run.dir={tmp_path}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (
        f"ganexp: hydra.run.dir={tmp_path} already holds a run (checkpoints, summary.json): "
        f"continue it with resume={tmp_path}, or name a new directory"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoints", "summary.json"]
