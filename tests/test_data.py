"""Datasets sample what they claim; training batches are keyed by (seed, rank, step)."""

import math

import pytest
import torch

from ganexp.data.digits import Digits
from ganexp.data.stream import StepStream
from ganexp.data.toy import Balls45, Grid, Mixture1D, Ring


def test_digits_are_the_bundled_images_in_range():
    dm = Digits(image_size=16)
    dm.setup()
    held, held_labels = dm.heldout()
    assert dm.data.shape == (1438, 1, 16, 16) and held.shape == (359, 1, 16, 16)  # 1,797 in all
    assert dm.data.min() >= -1 and dm.data.max() <= 1
    assert dm.data.min() == -1 and dm.data.max() > 0.9
    # the 0s in scikit-learn's set: 178, a fifth of them (rounded by largest remainder) held out
    zeros = torch.bincount(dm.labels).tolist()[0], torch.bincount(held_labels).tolist()[0]
    assert sum(zeros) == 178 and zeros[1] in (35, 36)


def test_ring_samples_sit_on_their_modes():
    dm = Ring(modes=8, radius=2.0, std=0.02)
    x = dm.sample(8000, torch.Generator().manual_seed(0))
    nearest = torch.cdist(x, dm.means).argmin(1)
    assert torch.bincount(nearest, minlength=8).min() > 850
    assert (x - dm.means[nearest]).std().item() == pytest.approx(0.02, rel=0.05)
    assert dm.means.norm(dim=1).allclose(torch.full((8,), 2.0))


def test_grid_has_25_modes_two_apart():
    dm = Grid()
    assert dm.means.shape == (25, 2)
    assert sorted(set(dm.means[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]


def test_mixture_density_integrates_to_one():
    dm = Mixture1D(means=[-2.0, 2.0], std=0.5, weights=[0.3, 0.7])
    x = torch.linspace(-8, 8, 20001)[:, None]
    assert torch.trapezoid(dm.log_density(x).exp(), x[:, 0]).item() == pytest.approx(1.0, abs=1e-5)
    at_mode = math.log(0.7 / (0.5 * math.sqrt(2 * math.pi)))
    assert dm.log_density(torch.tensor([[2.0]])).item() == pytest.approx(at_mode, abs=1e-4)


def test_balls45_frequencies():
    x = Balls45().sample(90_000, torch.Generator().manual_seed(0))[:, 0]
    freq = torch.bincount(x.long(), minlength=10)[1:] / len(x)
    expected = torch.tensor([2, 4, 6, 8, 9, 7, 5, 3, 1]) / 45
    assert (freq - expected).abs().max() < 0.005


def test_step_stream_is_keyed_by_seed_rank_and_step():
    draw = lambda g: torch.randn(4, generator=g)  # noqa: E731
    first = [b for _, b in zip(range(5), StepStream(draw, seed=0, rank=0, start=0))]
    resumed = [b for _, b in zip(range(2), StepStream(draw, seed=0, rank=0, start=3))]
    other_rank = next(iter(StepStream(draw, seed=0, rank=1, start=0)))
    other_seed = next(iter(StepStream(draw, seed=1, rank=0, start=0)))
    assert torch.equal(first[3], resumed[0]) and torch.equal(first[4], resumed[1])
    assert not torch.equal(first[0], first[1])
    assert not torch.equal(first[0], other_rank) and not torch.equal(first[0], other_seed)
