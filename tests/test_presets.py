"""The presets' stated results, on seeds they were not tuned on (slow: minutes per run)."""

import pytest
import torch

from ganexp.data.toy import Grid, Ring


def assert_sharp(run_dir, data, floors: dict[bool, float]) -> None:
    """An independent count of 2,500 fresh samples of `load(run_dir)`, with rejection sampling
    (True) and without (False): at least `floors[rejection]` lie within 3 std of a mode of
    `data`, and those cover every mode."""
    from ganexp import load

    module = load(run_dir)
    means = data.means.double()
    for rejection, floor in floors.items():
        module.rejection = rejection
        x = module.sample(2500, torch.Generator().manual_seed(123)).double()
        distance, nearest = torch.cdist(x, means).min(dim=1)
        sharp = distance <= 3 * data.std
        assert sharp.double().mean() >= floor, rejection
        assert set(nearest[sharp].tolist()) == set(range(len(means))), rejection


@pytest.mark.slow
@pytest.mark.parametrize("seed", [5, 11])
def test_toy_ring8_covers_every_mode_sharply(fit, tmp_path, seed):
    """PacGAN2 with a 16-way code and rejection sampling on the ring: 8 / 8 modes and >= 97.7%
    high quality by the run's own evaluation, for the generator alone and through the sampler,
    and by an independent count of 2,500 fresh samples each way (seeds 0-4 and 6: 100% every
    way; PacGAN3's published 97.7% the floor)."""
    summary = fit(
        [
            "experiment=toy_ring8",
            "train.batch_size=256",
            f"train.seed={seed}",
            "eval.num_samples=2500",
        ],
        run="ring",
    )
    for alone in ("val/generator/", "val/"):
        assert summary[alone + "modes_covered"] == 8 and summary[alone + "hq_fraction"] >= 0.977

    assert_sharp(tmp_path / "ring", Ring(), {True: 0.977, False: 0.977})


@pytest.mark.slow
def test_toy_grid25_covers_every_mode_sharply(fit, tmp_path):
    """WGAN-GP with rejection through a calibrated critic on the grid (seed 7, never tuned on):
    25 / 25 modes and >= 94% high quality by the run's own evaluation and by an independent count
    of 2,500 fresh samples (one draw of 2,500 scatters by about a point). One seed's number moves
    by 1 to 2 points under a change of rounding alone: seed 7 scored 96.6% where the preset was
    tuned, 95.6% from the same code run again later, and 94.8% once D judged the real and the
    fake batch in one pass (the same arithmetic, grouped differently). The generator alone, with
    its 100-way code at scale 5 and EMA, covers every mode at >= 80% by its own evaluation and the
    count (seeds 0-4 and 6: 96.8% to 99.9%; at scale 10, 83.2% to 100%)."""
    summary = fit(
        [
            "experiment=toy_grid25",
            "train.batch_size=256",
            "train.seed=7",
            "eval.num_samples=2500",
            "eval.every_n_g_steps=${train.g_steps}",  # the preset's own schedule: one
            "train.sample_every=${train.g_steps}",  # calibration, at the end, for both
        ],
        run="grid",
    )
    assert summary["val/modes_covered"] == 25 and summary["val/hq_fraction"] >= 0.94
    assert summary["val/generator/modes_covered"] == 25
    assert summary["val/generator/hq_fraction"] >= 0.80

    assert_sharp(tmp_path / "grid", Grid(), {True: 0.94, False: 0.80})


@pytest.mark.slow
def test_lapgan_digits_draws_every_digit_near_a_dcgan(fit):
    """LAPGAN's preset (seed 5, never tuned on) after its 2,000 steps: every digit class, and a
    classifier FID under 100, where its fully connected level 0 left 154 and a DCGAN at 32 px after
    the same 2,000 steps scores 64.5 to 108.6 on seeds 0-4 (docs/families.md)."""
    summary = fit(
        ["experiment=lapgan_digits", "train.batch_size=64", "train.seed=5", "eval.num_samples=2500"]
    )
    assert summary["val/classes_covered"] == 10
    assert summary["val/fid_classifier"] < 100
