"""Training diagnostics and the probe: gradient norms against hand computations, the clip-face
share, a run with diagnostics trains exactly as one without, and the probe leaves G untouched."""

import math

import pytest
import torch
from conftest import FAST
from omegaconf import open_dict
from torch import nn

from ganexp.build import build_family
from ganexp.callbacks.diagnostics import Diagnostics, clip_fraction, grad_norm, weight_layers
from ganexp.checkpoints import read_checkpoint
from ganexp.config import make_plan
from ganexp.errors import ConfigError
from ganexp.train import compose

TOY = ["model=mlp", "dataset=ring8"]


def test_grad_norm_of_a_quadratic():
    a, b = torch.tensor([3.0, 4.0], requires_grad=True), torch.tensor(2.0, requires_grad=True)
    loss = (a**2).sum() / 2 + 5 * b  # gradient (3, 4) and 5
    assert grad_norm(loss, [a, b]).item() == pytest.approx(math.sqrt(9 + 16 + 25))
    assert a.grad is None and b.grad is None  # nothing left on the parameters


def test_generator_gradient_norm_of_a_gaussian_against_a_linear_critic():
    cfg = compose(["model=gaussian", "dataset=gauss1d", "loss=wgan", "model.generator.sigma=0.5"])
    with open_dict(cfg):
        cfg.pop("hydra")
    module = build_family(make_plan(cfg), (1,))
    module.discriminator = nn.Linear(1, 1)
    with torch.no_grad():
        module.discriminator.weight.fill_(2.0)
        module.discriminator.bias.fill_(0.5)
    diagnostics = Diagnostics(g_objectives=["gan"])
    diagnostics.on_train_start(type("T", (), {"callbacks": []})(), module)
    gen = torch.Generator().manual_seed(3)
    norms = diagnostics.generator_gradients(module, 64, None, gen)
    z = module.noise(64, torch.Generator().manual_seed(3))
    # -E d(mu + sigma z): d/dmu = -2, d/dlog sigma = -2 sigma mean(z)
    expected = 2 * math.sqrt(1 + (0.5 * z.mean().item()) ** 2)
    assert norms["train/g_grad_norm"].item() == pytest.approx(expected, rel=1e-5)
    # the saturating loss E log(1 - D) = -E softplus(d): d/dmu = -2 E sigmoid(d)
    x = 1.0 + 0.5 * z  # mu = 1 (the gaussian model's default), sigma = 0.5
    s = torch.sigmoid(2 * x + 0.5)
    gan = math.hypot(2 * s.mean().item(), 2 * 0.5 * (s * z).mean().item())
    assert norms["train/g_grad_norm/gan"].item() == pytest.approx(gan, rel=1e-5)


def test_clip_fraction_counts_the_weights_at_the_faces():
    at_faces = [torch.tensor([[0.01, -0.01], [0.01, -0.01]]), torch.tensor([-0.01, 0.01])]
    assert clip_fraction(at_faces, 0.01) == 1.0
    mixed = [torch.tensor([0.01, 0.005, -0.0099, 0.0])]
    assert clip_fraction(mixed, 0.01) == 0.5


def state(summary_dir):
    return read_checkpoint(summary_dir)["state_dict"]


@pytest.mark.parametrize(
    "overrides,callbacks",
    [
        (["loss=wgan_gp"], []),
        (["loss=ns", "model.generator.norm=batch", "model.d_norm=spectral"], []),
        (["loss=wgan"], ["instance_noise"]),
    ],
    ids=["penalty", "batchnorm_spectral", "clipping_noise"],
)
def test_a_run_with_diagnostics_trains_exactly_as_one_without(fit, overrides, callbacks):
    watch = ["callbacks.diagnostics.every=1", "callbacks.diagnostics.g_objectives=[gan,ns]"]
    plain = fit([*TOY, *overrides, f"callbacks=[{','.join(callbacks)}]", "train.g_steps=4"], "a")
    watched = fit(
        [
            *TOY,
            *overrides,
            f"callbacks=[{','.join(['diagnostics', *callbacks])}]",
            *watch,
            "train.g_steps=4",
        ],
        "b",
    )
    a, b = state(plain["run_dir"]), state(watched["run_dir"])
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert "train/g_grad_norm" in watched and "train/g_grad_norm/ns" in watched
    assert "train/d_grad_norm/3" in watched and "train/d_grad_norm/4" not in watched
    assert all(watched[f"train/d_input_grad_{k}"] > 0 for k in ("real", "fake", "interp"))
    assert ("train/d_weight_at_clip" in watched) == ("loss=wgan" in overrides)


def test_layer_gradient_norms_are_those_of_the_last_critic_step(fit):
    captured = []

    class Capture(Diagnostics):  # the same hook, keeping every critic step's weight gradients
        def on_before_optimizer_step(self, trainer, pl_module, optimizer):
            super().on_before_optimizer_step(trainer, pl_module, optimizer)
            if optimizer is pl_module.discriminator_optimizer():
                w = weight_layers(pl_module.discriminator)
                captured.append([p.grad.norm().item() for p in w])

    summary = fit([*TOY, "loss=wgan", "train.g_steps=1"], callbacks=[Capture()])
    assert len(captured) == 5  # five critic steps
    logged = [summary[f"train/d_grad_norm/{i}"] for i in range(4)]
    assert logged == pytest.approx(captured[-1], rel=1e-6)
    assert summary["train/d_weight_at_clip"] > 0  # clipped from the start, some at the faces


def test_weights_clipped_at_the_faces_are_counted_in_a_run(fit):
    diagnostics = ["callbacks=[diagnostics]", "callbacks.diagnostics.every=1"]
    summary = fit([*TOY, "loss=wgan", "loss.clip=1e-6", *diagnostics, "train.g_steps=2"])
    assert summary["train/d_weight_at_clip"] == pytest.approx(1.0, abs=0.02)
    assert summary["train/d_weight_abs_max"] <= 1e-6


def test_the_probe_freezes_the_generator_and_trains_a_fresh_discriminator(fit, tmp_path):
    from ganexp.probe import probe

    trained = fit([*TOY, "loss=ns", "callbacks=[ema]", "train.g_steps=5"], run="trained")
    result = probe(
        trained["run_dir"],
        [*FAST, "train.g_steps=6", "callbacks.diagnostics.every=2"],
        tmp_path / "p",
    )
    before, after = state(trained["run_dir"]), state(result["run_dir"])
    generator = [k for k in before if k.startswith("generator.")]
    assert generator and all(torch.equal(before[k], after[k]) for k in generator)
    critic = [k for k in before if k.startswith("discriminator.") and k.endswith("weight")]
    assert any(not torch.equal(before[k], after[k]) for k in critic)
    assert result["g_steps"] == 6 and result["d_steps"] == 6  # one critic step per probe step
    assert result["config"]["train"]["freeze_generator"] is True
    assert result["train/g_grad_norm/gan"] > 0 and result["train/g_grad_norm/ns/std"] >= 0


def test_a_generator_of_another_shape_is_refused(fit, tmp_path):
    trained = fit([*TOY, "loss=ns", "train.g_steps=1"], run="trained")
    with pytest.raises(ConfigError, match="train.init_generator=.*does not fit"):
        fit([*TOY, "loss=ns", "model.z_dim=3", f"train.init_generator={trained['run_dir']}"])


def test_an_evaluation_averages_a_diagnostic_over_the_steps_that_measured_it(fit):
    from ganexp.claims import curves

    watch = ["callbacks=[diagnostics]", "callbacks.diagnostics.every=2", "logger=csv"]
    s = fit(
        [
            *TOY,
            "loss=ns",
            *watch,
            "trainer.log_every_n_steps=1",
            "train.g_steps=4",
            "eval.every_n_g_steps=4",
        ]
    )
    steps, norms = curves(s["run_dir"])["train/g_grad_norm"]
    assert steps.tolist() == [1, 2, 4]  # the first step, then every second
    assert s["history"][0]["train/g_grad_norm"] == pytest.approx(norms.mean(), rel=1e-6)


def test_backprop_norms_of_a_linear_critic():
    from ganexp.callbacks.diagnostics import backprop_norms

    net = nn.Sequential(nn.Linear(2, 3, bias=False), nn.Linear(3, 1, bias=False))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 2.0], [0.0, 1.0], [3.0, 0.0]]))
        net[1].weight.copy_(torch.tensor([[2.0, -1.0, 1.0]]))
    norms = backprop_norms(net, net, torch.randn(5, 2))
    # d D / d h_1 = w2 = (2, -1, 1); d D / d x = W1^T w2 = (5, 3)
    assert [n.item() for n in norms] == pytest.approx([math.sqrt(34), math.sqrt(6)])
