"""Discriminator rejection sampling: what it keeps follows p where the logit is log p / p_G."""

import math

import pytest
import torch

from ganexp.sampling import RejectionStalled, calibrate, rejection_sample


def standard_normal(seed: int):
    gen = torch.Generator().manual_seed(seed)
    return gen, lambda k: torch.randn(k, 1, generator=gen)


def test_kept_samples_follow_the_target_of_an_exact_log_ratio():
    """Proposals N(0, 1), logit log N(x; 1, 1) / N(x; 0, 1) = x - 1/2: kept samples are N(1, 1)."""
    gen, draw = standard_normal(0)
    kept = rejection_sample(draw, lambda x: x[:, 0] - 0.5, 20_000, generator=gen)
    assert kept.shape == (20_000, 1)
    assert kept.mean().item() == pytest.approx(1.0, abs=0.03)
    assert kept.std().item() == pytest.approx(1.0, abs=0.03)


def test_packs_are_kept_whole_and_each_sample_follows_the_target():
    """Packs of 2 with the pack's log ratio (the sum of its samples'): each kept sample is N(1, 1)
    and the two of a pack are independent; judging the samples one by one would not be."""
    gen, draw = standard_normal(1)
    kept = rejection_sample(
        draw, lambda x: (x[:, 0] - 0.5).view(-1, 2).sum(1), 20_000, pack=2, generator=gen
    )
    assert kept.shape == (20_000, 1)
    assert kept.mean().item() == pytest.approx(1.0, abs=0.03)
    first, second = kept.view(-1, 2).T
    assert torch.corrcoef(torch.stack([first, second]))[0, 1].abs() < 0.03
    # a pack's members were drawn together: with a logit that keeps only packs whose first sample
    # is positive, every kept pair has a positive first member, and its second is untouched
    gen, draw = standard_normal(2)
    kept = rejection_sample(
        draw, lambda x: torch.where(x[0::2, 0] > 0, 0.0, -math.inf), 4_000, pack=2, generator=gen
    ).view(-1, 2)
    assert (kept[:, 0] > 0).all() and (kept[:, 1] < 0).float().mean() == pytest.approx(
        0.5, abs=0.05
    )


def test_a_constant_logit_keeps_everything_in_order():
    gen, draw = standard_normal(3)
    kept = rejection_sample(draw, lambda x: torch.zeros(len(x)), 100, burn_in=100, generator=gen)
    torch.testing.assert_close(kept, standard_normal(3)[1](101)[:100])


def test_a_discriminator_that_rejects_nearly_everything_stops_with_a_clear_error():
    """A logit of 50 x accepts about one candidate per round (the largest): rather than draw
    rounds for ever, it stops once n / min_acceptance candidates kept fewer than n."""
    gen, draw = standard_normal(4)
    calls = []
    with pytest.raises(RejectionStalled, match="acceptance .* below 0.001.*rejection=false"):
        rejection_sample(
            lambda k: calls.append(k) or draw(k), lambda x: 50 * x[:, 0], 100, burn_in=1000
        )
    assert sum(calls) == 100_000  # 100 / 1e-3 candidates, in rounds of 1,000, then no more
    # the same rate, asked for one sample, keeps it
    assert rejection_sample(draw, lambda x: 50 * x[:, 0], 1, burn_in=1000).shape == (1, 1)


def test_a_module_samples_through_its_discriminator(fit, tmp_path):
    """`sampling.rejection=true` in a run: the evaluation, the pictures and `load(run).sample` go
    through D; a rejected region of the data space stays empty."""
    from ganexp import load

    result = fit(
        ["model=mlp", "dataset=ring8", "loss=ns", "model.pack=2", "train.g_steps=20"]
        + ["sampling.rejection=true"]
    )
    assert "val/generator/hq_fraction" in result  # the generator alone, beside the sampler's
    module = load(tmp_path / "run")
    assert module.rejection and module.pack == 2
    g = lambda: torch.Generator().manual_seed(5)  # noqa: E731
    a, b = module.sample(300, g()), module.sample(300, g())
    torch.testing.assert_close(a, b)  # the same generator gives the same samples
    assert a.shape == (300, 2)
    # a discriminator that rejects every pack with a sample left of the samples' median
    module.rejection = False
    cut = module.sample(2000, g())[:, 0].median()

    class LeftOut(torch.nn.Module):
        def forward(self, x):  # packs (n, 4): the x-coordinates are columns 0 and 2
            return torch.where((x[:, 0::2] < cut).any(1), -math.inf, 0.0)

    module.discriminator = LeftOut()
    assert (module.sample(300, g())[:, 0] < cut).any()
    module.rejection = True
    assert (module.sample(300, g())[:, 0] >= cut).all()
    # a discriminator with no finite logit ends in one clear error, not an endless loop
    cut = math.inf
    with pytest.raises(ValueError, match="largest logit is -inf"):
        module.sample(300, g())


def test_an_evaluation_with_a_sampler_measures_the_generator_alone_first():
    """With `rejection` on, the evaluation reports the generator alone as `val/generator/...`
    first, then the sampler's samples as `val/...`, and leaves the module sampling as it did: a
    generator that draws every sample at the centre and a sampler that puts each on a mode."""
    from ganexp.data.toy import Ring
    from ganexp.metrics.evaluator import Evaluator

    ring = Ring()

    class Module:
        rejection, device = True, "cpu"

        def balanced_labels(self, n):
            return None

        def sample(self, n, generator=None, labels=None):
            if self.rejection:
                return ring.means[torch.arange(n) % len(ring.means)]
            return torch.zeros(n, 2)

    module = Module()
    metrics = Evaluator(ring, num_samples=800)(module)
    assert module.rejection
    assert list(metrics) == [
        "val/generator/modes_covered", "val/generator/hq_fraction", "val/generator/mode_kl",
        "val/generator/mode_spread", "val/modes_covered", "val/hq_fraction", "val/mode_kl",
        "val/mode_spread",
    ]  # fmt: skip
    assert metrics["val/generator/modes_covered"] == 0 and metrics["val/generator/hq_fraction"] == 0
    assert metrics["val/modes_covered"] == 8 and metrics["val/hq_fraction"] == 1
    assert metrics["val/mode_kl"] < 1e-4 < metrics["val/generator/mode_kl"]
    module.rejection = False
    assert list(Evaluator(ring, num_samples=800)(module)) == [
        "val/modes_covered", "val/hq_fraction", "val/mode_kl", "val/mode_spread"
    ]


def test_calibration_turns_any_critic_into_the_exact_log_ratio():
    """A linear critic (say a WGAN critic, its scale arbitrary) fine-tuned by cross-entropy between
    data N(1, 1) and generated N(0, 1) reaches the log ratio x - 1/2; the original is untouched."""
    torch.manual_seed(0)
    critic = torch.nn.Linear(1, 1)
    with torch.no_grad():
        critic.weight.fill_(5.0), critic.bias.fill_(3.0)
    before = {k: v.clone() for k, v in critic.state_dict().items()}
    gen = torch.Generator().manual_seed(0)
    calibrated = calibrate(
        critic,
        real=lambda k: torch.randn(k, 1, generator=gen) + 1,
        fake=lambda k: torch.randn(k, 1, generator=gen),
        steps=1500,
        lr=1e-2,
    )
    assert calibrated.weight.item() == pytest.approx(1.0, abs=0.08)
    assert calibrated.bias.item() == pytest.approx(-0.5, abs=0.08)
    assert not calibrated.training
    for key, value in critic.state_dict().items():
        torch.testing.assert_close(value, before[key])


def test_a_wgan_gp_run_samples_through_its_calibrated_critic(fit, tmp_path):
    """`sampling.calibrate_steps` under WGAN-GP: the calibrated copy is made once per generator
    step, reproducibly, from the data and noise of that step; the trained critic is unchanged and
    the samples differ from the generator's own."""
    from ganexp import load

    overrides = ["model=mlp", "dataset=gauss1d", "loss=wgan_gp", "train.g_steps=5"]
    fit(overrides + ["sampling.rejection=true", "sampling.calibrate_steps=30"])
    module = load(tmp_path / "run")
    assert module.rejection and module.calibrate_steps == 30
    d_before = {k: v.clone() for k, v in module.discriminator.state_dict().items()}
    g = lambda: torch.Generator().manual_seed(5)  # noqa: E731
    a = module.sample(200, g())
    first = module._calibrated[1]
    torch.testing.assert_close(module.sample(200, g()), a)
    assert module._calibrated[1] is first  # once per generator step
    for key, value in module.discriminator.state_dict().items():
        torch.testing.assert_close(value, d_before[key])
    again = load(tmp_path / "run")  # another process calibrates the same copy
    torch.testing.assert_close(again.sample(200, g()), a)
    module.rejection = False
    assert not torch.equal(module.sample(200, g()), a)


def test_a_calibrated_critic_reads_the_data_in_the_modules_precision(fit, tmp_path):
    """Under trainer.precision=64-true the calibration's real samples are float64 like its critic
    (the data come as float32)."""
    s = fit(["model=mlp", "dataset=ring8", "loss=wgan_gp", "train.g_steps=2", "eval.num_samples=64",
             "sampling.rejection=true", "sampling.calibrate_steps=3", "trainer.precision=64-true"])
    assert s["g_steps"] == 2 and 0 <= s["val/hq_fraction"] <= 1
