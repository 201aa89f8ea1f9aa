"""The benchmarks run end to end (they print numbers; nothing here times anything)."""

import re
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SCRIPT = BENCHMARKS / "throughput.py"


def test_throughput_script_prints_a_ratio_per_pair_of_blocks_and_the_penalty_cost():
    args = ["model=mlp", "loss=wgan_gp", "dataset=ring8", "train.batch_size=16"]
    out = subprocess.run(
        [sys.executable, str(SCRIPT), *args, "--warmup", "2", "--steps", "3", "--repeats", "3"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    ratio = re.search(r"ratio ganexp / plain: ([\d.]+) \(median of 3 adjacent pairs\)", out.stdout)
    assert ratio and float(ratio.group(1)) > 0, out.stdout
    penalty = re.search(r"with the penalty, ([\d.]+) ms without; ratio ([\d.]+)", out.stdout)
    assert penalty and float(penalty.group(2)) > 1, out.stdout  # the penalty adds work


def test_diagnostics_script_counts_its_measurements_and_prints_their_share():
    args = ["model=mlp", "loss=wgan_gp", "dataset=ring8", "train.batch_size=16"]
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "diagnostics.py"), *args, "--steps", "12", "--every", "5"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    # measured at the first step, then at steps 5 and 10
    assert re.search(r"= [\d.]+ generator steps \(3 measurements\)", out.stdout), out.stdout
    share = re.search(r"share of the run's time at every=5: ([\d.]+)%", out.stdout)
    assert share and 0 < float(share.group(1)) < 100, out.stdout


def test_replicas_script_prints_the_study_cost_against_separate_runs():
    args = ["model=mlp", "loss=wgan_gp", "dataset=ring8", "train.batch_size=16"]
    cmd = [sys.executable, str(BENCHMARKS / "replicas.py"), *args, "--replicas", "3"]
    out = subprocess.run(
        [*cmd, "--warmup", "2", "--steps", "3", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    one = re.search(r"3 replicas / one run: +([\d.]+)x", out.stdout)
    study = re.search(r"3 replicas / 3 separate runs: ([\d.]+)x", out.stdout)
    assert one and study, out.stdout
    assert float(one.group(1)) > 0
    assert abs(float(study.group(1)) - float(one.group(1)) / 3) < 0.006  # rounded to 0.01


def test_replicas_exactness_script_prints_each_replicas_gap_and_the_control():
    args = ["model=mlp", "loss=wgan_gp", "dataset=ring8", "train.batch_size=16"]
    args += ["model.generator.hidden=[16]", "model.discriminator.hidden=[16]"]
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "replicas_exactness.py"), *args, "--steps", "3"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    gaps = re.search(
        r"float64: replica k against the separate run of seed 0 \+ k: (\S+), (\S+)", out.stdout
    )
    assert gaps, out.stdout
    assert all(float(g) < 1e-9 for g in gaps.groups())  # three steps in float64: rounding only
    nudged = r"float64: control, the run of seed 0 nudged by one rounding step: (\S+)"
    control = re.search(nudged, out.stdout)
    assert control and 0 < float(control.group(1)) < 1e-9, out.stdout


def test_profile_script_prints_the_matrix_products_share_of_a_step():
    args = ["model=mlp", "loss=wgan_gp", "dataset=ring8", "train.batch_size=16"]
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "profile_step.py"), *args, "--warmup", "2"]
        + ["--steps", "3", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    # The operators' own times are read inside the profiled steps, so they are a part of those
    # steps' time; the plain steps are timed apart and, over three steps, are too noisy to compare.
    step = re.search(r"a generator step: [\d.]+ ms \(([\d.]+) ms under the profiler\)", out.stdout)
    share = re.search(r"matrix products: ([\d.]+) ms per step, (\d+)% of the step", out.stdout)
    assert step and share, out.stdout
    assert 0 < float(share.group(1)) < float(step.group(1))  # a part of the step, not all of it
    assert "aten::mm" not in out.stdout.split("largest other operators")[1]  # counted, not "other"
