"""Runs evaluate themselves: val/ metrics in summary.json, re-evaluation, offline Inception."""

import math
import warnings

import pytest

from ganexp.evaluate import evaluate_run


def test_mixture_run_reports_modes_and_reevaluates_identically(fit):
    s = fit(["model=mlp", "dataset=grid25", "loss=ns", "train.g_steps=4", "eval.every_n_g_steps=2"])
    assert 0 <= s["val/modes_covered"] <= 25 and 0 <= s["val/hq_fraction"] <= 1
    again = evaluate_run(s["run_dir"])
    for key in ("val/modes_covered", "val/hq_fraction", "val/mode_kl"):
        assert again[key] == s[key]
    more = evaluate_run(s["run_dir"], ["num_samples=2000"])
    assert more["g_steps"] == 4 and more["val/hq_fraction"] != s["val/hq_fraction"]


def test_one_dimensional_wgan_run_relates_its_estimate_to_exact_w1(fit):
    s = fit(
        [
            "model=mlp",
            "dataset=mixture1d",
            "loss=wgan_gp",
            "train.g_steps=8",
            "eval.every_n_g_steps=2",
        ]
    )
    for key in ("val/kl_data_gen", "val/kl_gen_data", "val/js", "val/w1"):
        assert math.isfinite(s[key]) and s[key] >= 0
    assert 0 <= s["val/js"] <= math.log(2)
    assert -1 <= s["val/w_estimate_w1_spearman"] <= 1  # 4 evaluations: a defined rank correlation


def test_image_run_without_inception_weights_goes_on_with_one_notice(fit, tmp_path, capfd):
    # a weights file that is there but unreadable (a missing path stops at start-up instead)
    weights = tmp_path / "weights.pth"
    weights.write_bytes(b"not the Inception weights")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the notice is ganexp's own line, which no filter hides
        s = fit(
            [
                "model=dcgan",
                "dataset=digits",
                "loss=ns",
                "train.g_steps=2",
                "eval.inception=true",
                f"eval.inception_weights={weights}",
                "eval.every_n_g_steps=1",
            ]
        )
    said = capfd.readouterr().err
    assert said.count("ganexp: val/fid, val/kid and val/is skipped") == 1
    assert "eval.inception_weights" in said
    assert "val/fid" not in s and s["val/fid_classifier"] > 0
    assert s["val/classifier_accuracy"] >= 0.95
    assert {
        "val/precision",
        "val/recall",
        "val/density",
        "val/coverage",
        "val/classes_covered",
    } <= s.keys()


def test_evaluate_refuses_unknown_keys(fit):
    from ganexp.errors import ConfigError

    s = fit(["model=mlp", "dataset=gauss1d", "loss=ns", "train.g_steps=1"])
    allowed = "which, checkpoint, replica, rejection, calibrate_steps, every_n_g_steps, num_samples"
    with pytest.raises(ConfigError, match=f"allowed keys are {allowed}"):
        evaluate_run(s["run_dir"], ["samples=3"])


@pytest.mark.slow
def test_wgan_gp_estimate_falls_as_exact_w1_falls(fit):
    s = fit(
        [
            "model=mlp",
            "dataset=gauss1d",
            "loss=wgan_gp",
            "loss.gp_one_sided=true",
            "train.g_steps=300",
            "eval.every_n_g_steps=15",
            "eval.num_samples=5000",
            "train.batch_size=128",
        ]
    )
    assert s["val/w_estimate_w1_spearman"] > 0.6
    assert s["val/w1"] < 0.3


def test_the_linear_correlation_is_carried_by_the_descent_the_rank_one_is_not():
    from ganexp.callbacks.evaluation import pearson, spearman

    # a descent (four points), then a plateau on which the two sides' noise disagrees
    w1 = [2.0, 1.0, 0.5, 0.25, 0.11, 0.09, 0.12, 0.08, 0.1, 0.13]
    estimate = [4.0, 2.1, 1.0, 0.5, 0.2, 0.23, 0.18, 0.24, 0.21, 0.17]
    assert pearson(estimate, w1) > 0.99
    assert spearman(estimate, w1) < 0.7
    assert pearson([1.0, 2.0, 3.0], [2.0, 4.0, 6.0]) == pytest.approx(1.0)
    assert math.isnan(pearson([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]))  # no spread: undefined
