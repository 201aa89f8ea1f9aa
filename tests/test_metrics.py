"""Metrics against answers computed by hand or in closed form."""

import math

import pytest
import torch

from ganexp.data.toy import Balls45, Mixture1D, Ring
from ganexp.metrics.divergences import js, kl, w1_samples, w1_to_cdf
from ganexp.metrics.truth import mode_metrics

Q = torch.tensor([2, 4, 6, 8, 9, 7, 5, 3, 1], dtype=torch.float64) / 45


def test_kl_and_js_by_hand():
    p, q = torch.tensor([0.5, 0.5]), torch.tensor([0.25, 0.75])
    assert kl(p, q) == pytest.approx(0.5 * math.log(2) + 0.5 * math.log(2 / 3))
    assert kl(p, p) == 0.0
    assert kl(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])) == math.inf
    assert js(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])) == pytest.approx(math.log(2))
    m = (p + q) / 2
    assert js(p, q) == pytest.approx(0.5 * kl(p, m) + 0.5 * kl(q, m))


def test_balls45_exact_metrics_against_a_uniform_generator():
    # a generator that puts 1/9 on every ball, written as samples (with off-grid noise to round)
    x = torch.arange(1, 10).repeat_interleave(100).double() + 0.3 * (torch.rand(900) - 0.5)
    m = Balls45().exact_metrics(x[:, None].float())
    u = torch.full((9,), 1 / 9, dtype=torch.float64)
    by_hand_kl = sum(q * math.log(q * 9) for q in Q.tolist())
    assert m["val/kl_data_gen"] == pytest.approx(by_hand_kl, rel=1e-9)
    assert m["val/kl_gen_data"] == pytest.approx(
        sum(math.log((1 / 9) / q) / 9 for q in Q.tolist()), rel=1e-9
    )
    assert m["val/js"] == pytest.approx(js(Q, u), rel=1e-9)
    cdf_gap = (Q.cumsum(0) - u.cumsum(0)).abs()[:-1].sum().item()  # W1 on unit-spaced values
    assert m["val/w1"] == pytest.approx(cdf_gap, rel=1e-9)


def test_balls45_unrounded_w1_sees_what_rounding_hides():
    # every sample at 5.4: rounded, it is ball 5; as generated it is 0.4 beside it
    m = Balls45().exact_metrics(torch.full((1000, 1), 5.4))
    balls = torch.arange(1, 10).double()
    assert m["val/w1"] == pytest.approx((Q * (balls - 5).abs()).sum().item(), rel=1e-6)
    assert m["val/w1_unrounded"] == pytest.approx((Q * (balls - 5.4).abs()).sum().item(), rel=1e-6)
    # the data themselves: both are 0
    data = torch.repeat_interleave(balls, torch.tensor([2, 4, 6, 8, 9, 7, 5, 3, 1]))
    exact = Balls45().exact_metrics(data[:, None].float())
    assert exact["val/w1"] == pytest.approx(0, abs=1e-9)
    assert exact["val/w1_unrounded"] == pytest.approx(0, abs=1e-6)


def test_balls45_generator_that_misses_a_ball_has_infinite_forward_kl():
    x = torch.tensor([[1.0], [2.0], [3.0], [4.0], [5.0], [6.0], [7.0], [8.0]])  # never 9
    m = Balls45().exact_metrics(x)
    assert m["val/kl_data_gen"] == math.inf and math.isfinite(m["val/kl_gen_data"])


def test_w1_of_a_shifted_sample_is_the_shift():
    x = torch.randn(5000, generator=torch.Generator().manual_seed(0))
    assert w1_samples(x, x + 0.7) == pytest.approx(0.7, rel=1e-6)
    # against a known CDF: N(0, 1) samples vs the N(0.7, 1) distribution
    cdf = lambda t: torch.special.ndtr(t - 0.7)  # noqa: E731
    assert w1_to_cdf(x, cdf, -8, 9) == pytest.approx(0.7, abs=0.05)


def test_continuous_metrics_are_small_for_data_samples_and_large_for_one_mode():
    dm = Mixture1D(means=[-2.0, 2.0], std=0.5)
    g = torch.Generator().manual_seed(0)
    good = dm.exact_metrics(dm.sample(20000, g))
    one_mode = dm.exact_metrics(torch.randn(20000, 1, generator=g) * 0.5 + 2)
    assert good["val/js"] < 0.002 and good["val/w1"] < 0.05
    assert one_mode["val/w1"] == pytest.approx(2.0, abs=0.05)  # half the mass moves 4
    # p = (a + b) / 2, q = b with a, b disjoint: JS = 3/4 log(4/3), KL(q || p) = log 2
    assert one_mode["val/js"] == pytest.approx(0.75 * math.log(4 / 3), abs=0.01)
    assert one_mode["val/kl_gen_data"] == pytest.approx(math.log(2), abs=0.01)


def test_three_of_eight_ring_modes():
    dm = Ring()
    g = torch.Generator().manual_seed(0)
    modes = torch.tensor([0, 3, 5]).repeat(800)
    x = dm.means[modes] + 0.02 * torch.rand(len(modes), 2, generator=g)  # within 3 std
    x = torch.cat([x, torch.zeros(100, 2)])  # 100 samples at the centre: far from every mode
    m = mode_metrics(x, dm.means, dm.std, dm.weights)
    assert m["val/modes_covered"] == 3
    assert m["val/hq_fraction"] == pytest.approx(2400 / 2500, abs=0.002)
    assert m["val/mode_kl"] == pytest.approx(math.log(8 / 3), abs=1e-9)  # uniform on 3 vs on 8


def test_mode_spread_reads_the_data_at_its_closed_form_and_a_shrunk_mode_below_it():
    dm = Ring()
    g = torch.Generator().manual_seed(0)
    x = dm.sample(200_000, g)
    # a 2-D Gaussian within 3 std: E[r^2 | r < 3] / 2 = 1 - 4.5 e^-4.5 / (1 - e^-4.5), in std^2
    tail = math.exp(-4.5)
    spread = mode_metrics(x, dm.means, dm.std, dm.weights)["val/mode_spread"]
    assert spread == pytest.approx(math.sqrt(1 - 4.5 * tail / (1 - tail)), abs=0.005)
    modes = torch.arange(8).repeat(100)
    shrunk = dm.means[modes] + 0.3 * dm.std * torch.randn(len(modes), 2, generator=g)
    m = mode_metrics(shrunk, dm.means, dm.std, dm.weights)
    assert m["val/hq_fraction"] == 1.0  # the rule alone rates the shrunk modes above the data
    assert m["val/mode_spread"] == pytest.approx(0.3, abs=0.03)
