"""The optional rules beside the game: R1, consistency (bCR), spectral normalisation, the
generator's EMA and instance noise. Closed forms where they exist, invariants of real training runs otherwise."""

import math

import pytest
import pytorch_lightning as pl
import torch

from ganexp.losses.adversarial import r1_penalty

RING = ["model=mlp", "dataset=ring8", "loss=ns"]


# -- R1 ---------------------------------------------------------------------------------------
def test_r1_penalty_closed_forms():
    x = torch.randn(16, 3)
    linear = torch.nn.Linear(3, 1)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor([[1.0, -2.0, 0.5]]))
    # D(x) = w.x + b: the gradient is w everywhere
    assert r1_penalty(lambda v: linear(v).squeeze(1), x).item() == pytest.approx(5.25)
    # D(x) = ||x||^2 / 2: the gradient is x
    penalty = r1_penalty(lambda v: (v**2).sum(1) / 2, x)
    assert penalty.item() == pytest.approx((x**2).sum(1).mean().item(), rel=1e-6)


def test_r1_enters_the_critics_loss_and_flattens_it_on_the_data(fit):
    runs = {}
    for gamma in (0.0, 10.0):
        runs[gamma] = fit(
            [*RING, "callbacks=r1", f"callbacks.r1.gamma={gamma}", "train.g_steps=150"],
            run=f"gamma{gamma}",
        )
    s = runs[10.0]
    # the logged critic loss is the cross-entropy, log 4 - 2 JS^, plus (gamma / 2) R1
    bce = math.log(4) - 2 * s["train/js_estimate"]
    assert s["train/d_loss"] == pytest.approx(bce + 5.0 * s["train/r1"], rel=1e-5)
    assert runs[0.0]["train/d_loss"] == pytest.approx(
        math.log(4) - 2 * runs[0.0]["train/js_estimate"], rel=1e-5
    )
    assert s["train/r1"] < runs[0.0]["train/r1"] / 10


# -- consistency (bCR) ------------------------------------------------------------------------
def test_consistency_is_zero_for_a_critic_blind_to_the_jitter_and_sigma2_d_for_a_linear_one():
    from ganexp.callbacks.consistency import Consistency
    from ganexp.replicas import Generators

    bcr = Consistency(weight=10.0, std=0.01)
    rng = torch.Generator().manual_seed(0)
    centres = torch.randint(-3, 4, (4096, 2)).float()  # points 0.5 away from a rounding boundary
    blind = lambda x: torch.round(x).sum(1)  # noqa: E731 - what jitter of 0.01 cannot move
    assert bcr.critic_penalty(blind, centres, centres + 1, rng).item() == 0.0
    # D(x) = x . 1 moves by std * (e1 + e2) under the jitter: E[...^2] = 2 std^2, on each side
    linear = lambda x: x.sum(-1)  # noqa: E731
    x = torch.randn(200_000, 2)
    penalty = bcr.critic_penalty(linear, x, x, rng)
    assert penalty.item() == pytest.approx(2 * 2 * 0.01**2, rel=0.02)
    # the scores the step already has are used as D(x), and each replica gets its own value
    gens = Generators(seed=0, count=3)
    xs = torch.randn(3, 50_000, 2)
    per_replica = bcr.critic_penalty(linear, xs, xs, gens, (linear(xs), linear(xs)))
    assert per_replica.shape == (3,)
    assert per_replica.tolist() == pytest.approx([4e-4] * 3, rel=0.05)


def test_consistency_enters_the_critics_loss(fit):
    s = fit(
        [*RING, "callbacks=[consistency]", "callbacks.consistency.weight=10", "train.g_steps=5"]
    )
    bce = math.log(4) - 2 * s["train/js_estimate"]
    assert s["train/consistency"] > 0
    assert s["train/d_loss"] == pytest.approx(bce + 10 * s["train/consistency"], rel=1e-5)


# -- lazy penalties -----------------------------------------------------------------------------
class CountingR1(pl.Callback):
    """Counts, per generator step, the critic steps at which the R1 callback computes its penalty."""

    def __init__(self):
        self.calls: list[int] = []

    def on_train_start(self, trainer, module):
        (r1,) = module.regularizers()
        compute = r1.critic_penalty

        def counted(*args):
            self.calls.append(module.g_step)
            return compute(*args)

        r1.critic_penalty = counted


def test_a_lazy_penalty_applies_at_every_kth_critic_step_k_times_heavier(fit):
    """Five critic steps per generator step, every=3: critic steps 0, 3, 6, ... of the run take the
    penalty, so generator steps 0-5 hold 2, 2, 1, 2, 2, 1 of them, and the critic's loss gains
    3 x the weight where the penalty applies, nothing where it does not."""
    counter = CountingR1()
    lazy = [
        *RING,
        "loss.n_critic=5",
        "callbacks=r1",
        "callbacks.r1.gamma=4",
        "callbacks.r1.every=3",
    ]
    fit([*lazy, "train.g_steps=6"], run="six", callbacks=[counter])
    assert counter.calls == [0, 0, 1, 1, 2, 3, 3, 4, 4, 5]
    applied = fit([*lazy, "train.g_steps=2"], run="two")  # its last critic step is number 9
    bce = math.log(4) - 2 * applied["train/js_estimate"]
    assert applied["train/d_loss"] == pytest.approx(bce + 3 * 2.0 * applied["train/r1"], rel=1e-5)
    skipped = fit([*lazy, "train.g_steps=3"], run="three")  # number 14: no penalty
    assert skipped["train/d_loss"] == pytest.approx(
        math.log(4) - 2 * skipped["train/js_estimate"], rel=1e-5
    )
    assert skipped["train/r1"] > 0  # the value from critic step 12, in the same generator step


def test_lazy_gradient_penalty_weighs_the_wgan_critic_the_same_way(fit):
    wgan = ["model=mlp", "dataset=ring8", "loss=wgan_gp", "train.g_steps=2"]
    s = fit([*wgan, "loss.gp_every=2"], run="every2")
    # 5 critic steps per generator step: the last one, number 9, takes no penalty ...
    assert s["train/d_loss"] == pytest.approx(-s["train/w_estimate"], rel=1e-6)
    s = fit([*wgan, "loss.gp_every=3"], run="every3")
    # ... and with every=3 it does, 3 x loss.gp_weight (10)
    assert s["train/d_loss"] == pytest.approx(-s["train/w_estimate"] + 30 * s["train/gp"], rel=1e-5)


@pytest.mark.parametrize("key", ["loss.gp_every=0", "callbacks.r1.every=1.5"])
def test_a_lazy_penalty_needs_a_whole_number_of_steps(key, tmp_path):
    from ganexp.errors import ConfigError
    from ganexp.train import compose, run

    with pytest.raises(ConfigError, match=f"{key}: must be an integer >= 1"):
        run(compose(["model=mlp", "dataset=ring8", "loss=wgan_gp", "callbacks=r1", key]), tmp_path)


# -- spectral normalisation ---------------------------------------------------------------------
def test_spectral_norm_keeps_every_layer_at_unit_spectral_norm(fit, tmp_path):
    fit([*RING, "model.d_norm=spectral", "train.g_steps=100"])
    from ganexp.load import load

    critic = load(tmp_path / "run").discriminator
    linears = [m for m in critic.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 4
    for layer in linears:  # the weight the layer uses, after training moved the raw one
        assert torch.linalg.matrix_norm(layer.weight, ord=2).item() == pytest.approx(1, abs=0.02)
        raw = layer.parametrizations.weight.original
        assert torch.linalg.matrix_norm(raw, ord=2).item() != pytest.approx(1, abs=0.02)
    # a 1-Lipschitz network: LeakyReLU has slope <= 1 and every layer norm 1
    x, y = torch.randn(1000, 2), torch.randn(1000, 2)
    with torch.no_grad():
        ratio = (critic(x) - critic(y)).abs() / (x - y).norm(dim=1)
    assert ratio.max().item() <= 1.02


def test_spectral_norm_in_the_dcgan_critic(fit):
    s = fit(["model=dcgan", "loss=wgan_gp", "model.d_norm=spectral", "train.g_steps=2"])
    assert s["config"]["model"]["d_norm"] == "spectral" and math.isfinite(s["train/gp"])


# -- EMA of the generator ------------------------------------------------------------------------
class Trajectory(pl.Callback):
    """The generator's parameters after every generator step, and the module at the end."""

    def __init__(self):
        self.steps, self.module = [], None

    def on_train_batch_end(self, trainer, module, *args):
        self.steps.append([p.detach().clone() for p in module.generator.parameters()])

    def on_train_end(self, trainer, module):
        self.module = module


def test_ema_is_the_exponential_average_of_the_generator_and_samples_come_from_it(fit, tmp_path):
    decay, trajectory = 0.9, Trajectory()
    fit(
        [*RING, "callbacks=ema", f"callbacks.ema.decay={decay}", "train.g_steps=20"],
        callbacks=[trajectory],
    )
    expected = trajectory.steps[0]  # the first update copies, every later one averages
    for step in trajectory.steps[1:]:
        expected = [decay * e + (1 - decay) * p for e, p in zip(expected, step)]
    module = trajectory.module
    ema = module.samplers["ema"]
    for e, p in zip(expected, ema.parameters()):
        torch.testing.assert_close(p, e, rtol=1e-5, atol=1e-6)
    z = torch.Generator().manual_seed(0)
    samples, noise = module.sample(8, z), module.noise(8, torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(samples, ema(noise))
        assert not torch.allclose(samples, module.generator(noise))
    # the checkpoint keeps the average: a loaded run samples from it too
    from ganexp.load import load

    loaded = load(tmp_path / "run")
    for a, b in zip(loaded.samplers["ema"].parameters(), ema.parameters()):
        torch.testing.assert_close(a, b)


# -- instance noise ---------------------------------------------------------------------------
class InputProbe(pl.Callback):
    """Records the discriminator's input before and after the instance-noise hook, per g-step."""

    def __init__(self):
        self.calls: list[tuple[int, torch.Tensor]] = []
        self._clean = None

    def on_train_start(self, trainer, module):
        def before(net, args):
            self._clean = args[0].detach().clone()

        def after(net, args):
            if net.training:
                self.calls.append((module.g_step, (args[0] - self._clean).detach()))

        module.discriminator.register_forward_pre_hook(before, prepend=True)
        module.discriminator.register_forward_pre_hook(after)


def test_instance_noise_reaches_every_input_of_d_and_anneals_to_zero(fit):
    probe, steps, std = InputProbe(), 10, 0.5
    s = fit(
        [
            *RING,
            "callbacks=instance_noise",
            f"callbacks.instance_noise.std={std}",
            "train.batch_size=1024",
            f"train.g_steps={steps}",
        ],
        callbacks=[probe],
    )
    assert len(probe.calls) == 2 * steps  # D(real, fake) in one pass, D(G(z)) in G's step
    for g_step in range(steps):
        noise = torch.cat([n.flatten() for k, n in probe.calls if k == g_step])
        expected = std * (1 - g_step / steps)
        assert noise.std().item() == pytest.approx(expected, rel=0.05)
        assert noise.mean().item() == pytest.approx(0, abs=0.05 * expected)
    assert s["train/instance_noise_std"] == pytest.approx(std / steps)
