"""The claims' checks read statistics that one noisy reading cannot meet: fed synthetic curves,
a check holds for a curve with the paper's shape and not for a noisy curve without it."""

import numpy as np
import pytest

from ganexp.claims import robust

STEPS = 151  # a probe's readings: its first step, then every 10 of 1,500 steps


def noisy(level, seed=0, spread=0.5, outliers=True):
    """Readings scattered log-normally around `level` (a number or a curve), with one reading
    1,000x below and one 1,000x above, as a lucky or unlucky batch gives."""
    rng = np.random.default_rng(seed)
    curve = np.broadcast_to(np.asarray(level, dtype=float), (STEPS,))
    values = curve * np.exp(spread * rng.standard_normal(STEPS))
    if outliers:
        values[STEPS // 2] /= 1000
        values[STEPS // 3] *= 1000
    return values


def falling(by, seed=0):
    """A rise over the first tenth, then a fall by `by` (exponential in the step)."""
    t = np.arange(STEPS)
    rise = np.minimum(1.0, (t + 1) / 15)
    return noisy(10.0 * rise * by ** (-np.clip(t - 15, 0, None) / (STEPS - 16)), seed)


def test_a_stretch_is_a_tenth_of_the_readings_and_at_least_three():
    assert robust.stretch(151) == 15 and robust.stretch(10) == 3 and robust.stretch(2) == 2


@pytest.mark.parametrize("seed", range(5))
def test_a_flat_noisy_curve_neither_falls_nor_grows_though_its_extremes_do(seed):
    v = noisy(1.0, seed)
    peak = int(v.argmax())
    assert v[peak] / v[peak:].min() > 1e5  # what the lowest reading after the peak would say
    assert v.max() / v[0] > 10  # one reading grows "10x"
    assert robust.fall(v) < 3 and 1 / 3 < robust.growth(v) < 3


@pytest.mark.parametrize("seed", range(5))
def test_a_curve_that_falls_100x_falls_by_about_100x(seed):
    assert 30 < robust.fall(falling(100, seed)) < 300
    assert robust.fall(falling(3, seed)) < 10  # a fall short of the check's 10x stays short


def test_a_curve_that_falls_and_climbs_back_is_read_at_its_end():
    t = np.arange(STEPS)
    dip = 10.0 * np.where(t < 100, 0.01, 1.0)  # 100x down, then back up for the last third
    assert robust.fall(noisy(dip, outliers=False)) < 3


def test_growth_reads_the_ends_of_a_growing_curve():
    t = np.arange(STEPS)
    assert 30 < robust.growth(noisy(100.0 ** (t / (STEPS - 1)))) < 300


def probe(norms, ns=None, accuracy=1.0):
    """A stage's readings (`generator_gradient.readings`) with these norms and D's accuracy."""
    ones = np.ones(STEPS)
    ns = noisy(100.0, outliers=False) if ns is None else ns
    return {
        "d_step": (np.arange(STEPS) * 10).tolist(),
        "gan": list(norms),
        "ns": list(ns),
        "ns/std": list(0.02 * np.asarray(ns)),
        "acc_real": list(accuracy * ones),
        "acc_fake": list(accuracy * ones),
        "d_fake": list(1e-3 * ones),
    }


STAGES = ("early", "middle", "late")


def test_vanishing_gradient_holds_for_falling_norms_against_an_accurate_d_only():
    from ganexp.claims.vanishing_gradient import verdict

    assert verdict({s: probe(falling(100, k)) for k, s in enumerate(STAGES)})["held"]
    # no fall, however low one reading dips
    flat = {s: probe(falling(100, k)) for k, s in enumerate(STAGES)} | {"late": probe(noisy(1.0))}
    assert not verdict(flat)["held"]
    # a fall against a D that never learned to tell the two apart is not the claim
    inaccurate = {s: probe(falling(100, k), accuracy=0.9) for k, s in enumerate(STAGES)}
    assert not verdict(inaccurate)["held"]


RING_COLLAPSED = {"val/modes_covered": 6, "val/hq_fraction": 0.9}


def test_unstable_gradient_needs_growing_norms_and_a_ring_collapsed_at_high_quality():
    from ganexp.claims.unstable_gradient import verdict

    t = np.arange(STEPS)
    grows = {
        s: probe(noisy(1.0), ns=noisy(100.0 ** (t / (STEPS - 1)), k)) for k, s in enumerate(STAGES)
    }
    assert verdict(grows, RING_COLLAPSED)["held"]
    # a norm that stays where it started, but for one high reading at the end
    flat = noisy(1.0, outliers=False)
    flat[-1] *= 1000
    assert not verdict(grows | {"early": probe(noisy(1.0), ns=flat)}, RING_COLLAPSED)["held"]
    # a generator that did not train (no sample of high quality) has not collapsed, nor has one
    # that covers every mode
    assert not verdict(grows, {"val/modes_covered": 0, "val/hq_fraction": 0.0})["held"]
    assert not verdict(grows, {"val/modes_covered": 8, "val/hq_fraction": 0.95})["held"]


def curve(fid, seconds=220):
    return {"seconds": list(np.linspace(seconds / len(fid), seconds, len(fid))), "fid": list(fid)}


def test_the_trend_end_reads_a_line_exactly_and_one_reading_cannot_move_it_far():
    from ganexp.claims.robust import trend_end

    t = np.arange(6.0) * 20 + 120
    assert trend_end(t, 300 - t) == pytest.approx(80.0)
    # flat at 130 but for one lucky last reading at 10: the trend still ends at 130
    assert trend_end(t, [130, 130, 130, 130, 130, 10]) == pytest.approx(130.0)
    assert trend_end(t, [130, 131, 129, 130, 131, 10]) > 125


def test_the_pyramid_holds_at_the_end_of_its_trend_not_on_one_reading():
    from ganexp.claims.pyramid import verdict

    single = curve([300, 200, 150, 120, 100, 95, 90, 88, 86, 85, 84])
    ahead = curve([250, 150, 120, 100, 80, 75, 72, 70, 68, 66, 65])
    result = verdict({"pyramid": ahead, "single": single, "single_own": curve([400] * 11)})
    assert result["held"] and result["better_single"] == "single"
    assert result["leads_at_s"] == ahead["seconds"] and result["trails_at_s"] == []
    # behind all along but for one lucky last reading
    lucky = curve([350, 250, 200, 160, 130, 120, 115, 110, 108, 106, 60])
    result = verdict({"pyramid": lucky, "single": single, "single_own": curve([400] * 11)})
    assert not result["held"] and result["leads_at_s"] == [lucky["seconds"][-1]]
    # still falling fast where the single GAN has stopped: its second half's median (110) lags
    # behind the single GAN's (96.5), the trend of those readings ends below it
    falling = curve([900, 600, 400, 300, 200, 160, 140, 120, 100, 85, 72])
    flat = curve([300, 200, 150, 120, 100, 100, 98, 97, 96, 95, 95])
    result = verdict({"pyramid": falling, "single": flat, "single_own": curve([400] * 11)})
    assert result["held"] and result["end_fid"]["pyramid"] < 80 < 90 < result["end_fid"]["single"]


def test_instance_noise_reads_the_distance_left_at_the_end_of_its_w1_curve():
    from ganexp.claims.instance_noise import START, verdict

    t = np.linspace(0, 1, 20)  # 20 evaluations
    stalled = START * (1 - 0.01 * t)  # keeps 99% of its distance
    converges = START * np.exp(-12 * t)  # ends 6e-6 of it away
    assert verdict(stalled, converges)["held"]
    assert verdict(stalled, converges)["kept"] == pytest.approx(0.99, abs=0.002)
    # a stalled run whose last evaluation happens to land on the data has not converged
    lucky = stalled.copy()
    lucky[-1] = 0.0
    assert not verdict(stalled, lucky)["held"]
    # nor has a generator that did not stall without noise
    assert not verdict(converges, converges)["held"]
