"""The offline image metrics mean something: a good classifier, real-vs-real distances far below
real-vs-noise, and a class histogram that sees mode collapse."""

import pytest
import torch

from ganexp.data.digits import Digits
from ganexp.metrics.images import ImageMetrics


@pytest.fixture(scope="module")
def digits_metrics(tmp_path_factory):
    dm = Digits(image_size=16)
    dm.setup()
    g = torch.Generator().manual_seed(0)
    order = torch.randperm(len(dm.data), generator=g)
    real = dm.data[order[:900]]
    metrics = ImageMetrics(
        real, dm.data, dm.labels, tmp_path_factory.mktemp("cache") / "c.pt", inception=False
    )
    return dm, order, metrics


def test_classifier_is_accurate_on_held_out_digits(digits_metrics):
    _, _, metrics = digits_metrics
    assert metrics.info["val/classifier_accuracy"] >= 0.95


def test_real_digits_are_close_and_noise_is_far(digits_metrics):
    dm, order, metrics = digits_metrics
    held_out = metrics(dm.data[order[900:1797]])
    noise = metrics(torch.rand(897, 1, 16, 16) * 2 - 1)
    assert held_out["val/fid_classifier"] * 20 < noise["val/fid_classifier"]
    assert held_out["val/kid_classifier"] < 0.1 * noise["val/kid_classifier"]
    assert held_out["val/classes_covered"] == 10 and held_out["val/class_kl"] < 0.02
    assert held_out["val/precision"] > 0.7 and held_out["val/coverage"] > 0.7
    assert noise["val/precision"] < 0.05 and noise["val/coverage"] < 0.05


def test_collapse_onto_one_class_is_visible(digits_metrics):
    dm, _, metrics = digits_metrics
    sevens = dm.data[dm.labels == 7]
    m = metrics(sevens)
    assert m["val/classes_covered"] == 1
    assert m["val/class_kl"] == pytest.approx(torch.log(torch.tensor(1797 / 179)).item(), abs=0.1)
    assert m["val/recall"] < 0.3
