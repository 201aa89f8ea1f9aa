"""The ready studies in sweeps/ compose into valid runs; Optuna optimises the returned metric;
the submitit launcher runs a sweep whose report pools the seeds correctly."""

import csv
import json
import os
import statistics
import subprocess
import sys
from itertools import product
from pathlib import Path

import pytest
import yaml
from conftest import FAST
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf, open_dict

from ganexp.config import make_plan
from ganexp.options import CONF_DIR

SWEEPS = Path(__file__).resolve().parent.parent / "sweeps"
GROUPS = ("loss", "optimizer", "model", "dataset")
STUDIES = sorted(p.stem for p in SWEEPS.glob("*_study.yaml")) + ["pacgan_table1"]


def compose_study(name: str, overrides: list[str]):
    with initialize_config_dir(str(SWEEPS), version_base=None):
        cfg = compose(name, [f"hydra.searchpath=[file://{CONF_DIR}]", *overrides])
    with open_dict(cfg):
        cfg.pop("hydra", None)
    return cfg


def grid(params: dict) -> list[list[str]]:
    """Every job of a basic-sweeper study, as override lists."""
    axes = [[f"{k}={v}" for v in str(values).split(",")] for k, values in params.items()]
    return [list(job) for job in product(*axes)]


@pytest.mark.parametrize("study", STUDIES)
def test_every_job_of_a_study_is_valid(study):
    params = yaml.safe_load((SWEEPS / f"{study}.yaml").read_text())["hydra"]["sweeper"]["params"]
    jobs = grid(params)
    assert len(jobs) >= 6 and any(k.startswith("train.seed") for k in params)
    for overrides in jobs:
        cfg = compose_study(study, overrides)
        make_plan(cfg)  # raises ConfigError for a value that could not run
        for o in overrides:
            key, value = o.split("=")
            node = OmegaConf.select(cfg, key)
            assert str(node.name if key in GROUPS else node) == value


def test_wandb_sweep_runs_the_cli_with_the_same_overrides():
    sweep = yaml.safe_load((SWEEPS / "wandb_loss_sweep.yaml").read_text())
    assert sweep["command"][2:4] == ["-m", "ganexp"] and "${args_no_hyphens}" in sweep["command"]
    params = {
        k: ",".join(map(str, p["values"])) if "values" in p else str(p["value"])
        for k, p in sweep["parameters"].items()
    }
    jobs = grid(params)
    assert len(jobs) == 36
    for overrides in jobs:
        make_plan(compose_study("loss_study", overrides))
    study = yaml.safe_load((SWEEPS / "loss_study.yaml").read_text())["hydra"]["sweeper"]["params"]
    for key, values in study.items():  # the W&B sweep is the loss study
        assert params[key] == str(values), key


def run_cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "WANDB_MODE": "disabled", "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "ganexp", "-m", "--config-dir", str(SWEEPS), *args]
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def summaries(sweep_dir: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(sweep_dir.glob("*/summary.json"))]


def test_optuna_maximises_the_metric_the_runs_return(tmp_path):
    out = tmp_path / "optuna"
    run_cli(
        [
            "--config-name",
            "optuna_wgan_gp",
            *FAST,
            "train.g_steps=30",
            "eval.every_n_g_steps=30",
            "hydra.sweeper.n_trials=3",
            f"hydra.sweep.dir={out}",
        ],
        tmp_path,
    )
    jobs = summaries(out)
    assert len(jobs) == 3
    lrs = {j["config"]["optimizer"]["g"]["lr"] for j in jobs}
    assert len(lrs) == 3 and all(1e-5 <= lr <= 3e-3 for lr in lrs)  # sampled in the interval
    best = yaml.safe_load((out / "optimization_results.yaml").read_text())
    assert best["best_value"] == max(j["val/hq_fraction"] for j in jobs)


def test_submitit_sweep_and_its_report(tmp_path):
    out = tmp_path / "sweep"
    run_cli(
        [
            "--config-name",
            "slurm",
            "hydra/launcher=submitit_local",
            *FAST,
            "logger=wandb",
            "trainer.accelerator=cpu",
            "model=mlp",
            "dataset=ring8",
            "loss=ns,wgan",
            "train.seed=0,1",
            "train.g_steps=8",
            "eval.every_n_g_steps=4",
            f"hydra.sweep.dir={out}",
        ],
        tmp_path,
    )
    jobs = summaries(out)
    assert len(jobs) == 4
    for job_dir in out.glob("*/"):
        if (job_dir / ".hydra").exists():  # each job its own W&B run, grouped by the sweep
            assert yaml.safe_load((job_dir / ".hydra" / "config.yaml").read_text())["logger"][
                "group"
            ] == str(out)

    from ganexp.report import report

    result = report(out)
    assert result["by"] == ["loss"]
    rows = {r["loss"]: r for r in csv.DictReader((out / "report_mean.csv").open())}
    for loss in ("ns", "wgan"):
        values = [j["val/mode_kl"] for j in jobs if j["config"]["loss"]["name"] == loss]
        hq = [j["val/hq_fraction"] for j in jobs if j["config"]["loss"]["name"] == loss]
        assert int(rows[loss]["n"]) == 2 and len(values) == 2
        assert float(rows[loss]["val/hq_fraction"]) == pytest.approx(statistics.fmean(hq))
        assert float(rows[loss]["val/hq_fraction_std"]) == pytest.approx(statistics.stdev(hq))
    text = (out / "report.md").read_text()
    assert "| loss | n |" in text and "PacGAN Table 1" in text
    assert text.count("| 6.3 / 98.2% |") == 2  # the paper's GAN row beside both unpacked losses
    assert len(list(csv.DictReader((out / "report.csv").open()))) == 4
    assert result["curves"] is not None and result["curves"].exists()
    assert all(len(j["history"]) == 2 for j in jobs)  # evaluations at steps 4 and 8


def test_report_puts_the_papers_row_of_the_same_packing_beside_a_group():
    from ganexp.report import Job, published

    def job(dataset, pack):
        return Job(
            Path("."), {}, {"config": {"dataset": {"name": dataset}, "model": {"pack": pack}}}
        )

    assert published([job("ring8", 2), job("ring8", 2)]) == "7.9 / 95.6%"
    assert published([job("grid25", 3)]) == "24.6 / 94.2%"
    assert published([job("grid25", 2)]) == "-"  # the paper has no such row
    assert published([job("ring8", 1), job("ring8", 2)]) is None  # a mixed group
    assert published([job("digits", 1)]) is None
