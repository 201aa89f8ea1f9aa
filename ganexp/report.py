"""`python -m ganexp.report MULTIRUN_DIR`: one table and a few plots for a whole sweep.

Reads every job's `summary.json` (and its overrides in `.hydra/overrides.yaml`) under the directory
and writes, beside them:

- `report.csv`: one row per job: the swept choices and the final metrics (a run of
  `train.replicas` = K seeds trained together gives K rows, one per seed);
- `report_mean.csv` and `report.md`: one row per choice (seeds pooled): mean and std of each
  metric over the seeds (`n` jobs; std is the sample standard deviation, 0 for one job);
- `final_<metric>.png`: the final metric per choice (mean, std as error bars);
- on the ring and the grid, the published modes and high-quality fraction of the same packing
  (PacGAN, Lin et al. 2018, Table 1) beside each row, where the paper has that row;
- `curves.png`: per choice, the critic's own estimate and the exact metric over the evaluations.
"""

from __future__ import annotations

import csv
import json
import math
import statistics
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ganexp.atomic import save_figure, write_text, write_with
from ganexp.names import PROGRESS_METRICS

SEED = "train.seed"
PROGRESS = (*PROGRESS_METRICS, "train/d_loss")  # the critic's own estimate, else its loss
EXACT = ("val/w1", "val/hq_fraction", "val/fid_classifier", "val/js")
# PacGAN (Lin et al. 2018) Table 1, mean of 10 trials with 2,500 samples each and the 3-std rule:
# (dataset, pack) -> (modes covered, high-quality fraction)
PACGAN_TABLE1 = {
    ("ring8", 1): (6.3, 0.982),
    ("ring8", 2): (7.9, 0.956),
    ("ring8", 3): (7.8, 0.977),
    ("grid25", 1): (17.3, 0.948),
    ("grid25", 3): (24.6, 0.942),
    ("grid25", 4): (24.8, 0.936),
}


@dataclass
class Job:
    path: Path
    choices: dict[str, str]  # override key -> value, as typed on the command line
    summary: dict

    @property
    def metrics(self) -> dict[str, float]:
        """The final scalar metrics (train/ and val/ keys)."""
        return {
            k: v
            for k, v in self.summary.items()
            if k.startswith(("train/", "val/")) and isinstance(v, (int, float))
        }


def load_jobs(sweep_dir: str | Path) -> list[Job]:
    """Every finished job (a directory with summary.json) under `sweep_dir`, in job order."""
    import yaml

    jobs = []
    for summary in sorted(Path(sweep_dir).rglob("summary.json")):
        job_dir = summary.parent
        overrides_file = job_dir / ".hydra" / "overrides.yaml"
        overrides = yaml.safe_load(overrides_file.read_text()) if overrides_file.exists() else []
        choices = dict(o.split("=", 1) for o in overrides or [])
        jobs.append(Job(job_dir, choices, json.loads(summary.read_text())))
    jobs = sorted(jobs, key=lambda j: _job_number(j.path))
    return [one for job in jobs for one in replica_jobs(job)]


def replica_jobs(job: Job) -> list[Job]:
    """A run of `train.replicas` = K seeds trained together as its K seeds' jobs (a diverged
    replica left out, as a diverged run leaves no summary metrics): a replica counts as a seed."""
    rows = job.summary.get("replicas")
    if not rows:
        return [job]
    config = job.summary.get("config", {})
    choices = {k: v for k, v in job.choices.items() if k != "train.replicas"}
    return [
        Job(
            job.path / f"replica_{row['replica']}",
            choices | {SEED: str(row["seed"])},
            row | {"config": config},
        )
        for row in rows
        if row.get("diverged") is None
    ]


def _job_number(path: Path) -> tuple[int, str]:
    head = path.name.split("_", 1)[0]
    return (int(head), path.name) if head.isdigit() else (sys.maxsize, path.name)


def varying(jobs: Sequence[Job]) -> list[str]:
    """The override keys whose value differs between jobs (a key some jobs lack counts too)."""
    keys = sorted({k for j in jobs for k in j.choices})
    return [k for k in keys if len({j.choices.get(k) for j in jobs}) > 1]


def metric_names(jobs: Sequence[Job]) -> list[str]:
    """Metrics every job reports, val/ first."""
    common = set.intersection(*(set(j.metrics) for j in jobs)) if jobs else set()
    return sorted(common, key=lambda k: (not k.startswith("val/"), k))


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value, nan when a value is not finite)."""
    if not all(math.isfinite(v) for v in values):
        return sum(values) / len(values), math.nan
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def aggregate(jobs: Sequence[Job], by: Sequence[str], metrics: Sequence[str]) -> list[dict]:
    """One row per distinct value of `by`: the choices, `n`, and `<metric>` / `<metric>_std`."""
    groups: dict[tuple, list[Job]] = {}
    for job in jobs:
        groups.setdefault(tuple(job.choices.get(k, "") for k in by), []).append(job)
    rows = []
    for key, members in groups.items():
        row: dict = dict(zip(by, key)) | {"n": len(members)}
        for m in metrics:
            row[m], row[f"{m}_std"] = mean_std([j.metrics[m] for j in members])
        if (paper := published(members)) is not None:
            row["paper"] = paper
        rows.append(row)
    return rows


def published(jobs: Sequence[Job]) -> str | None:
    """The paper's 'modes / high quality' for a group of jobs on ring8 or grid25 with the same
    packing ('-' where the paper has no such row); None for other data."""
    configs = [j.summary.get("config", {}) for j in jobs]
    keys = {(c.get("dataset", {}).get("name"), c.get("model", {}).get("pack", 1)) for c in configs}
    if len(keys) != 1 or next(iter(keys))[0] not in ("ring8", "grid25"):
        return None
    row = PACGAN_TABLE1.get(next(iter(keys)))
    return "-" if row is None else f"{row[0]:g} / {row[1]:.1%}"


def markdown(rows: Sequence[dict], by: Sequence[str], metrics: Sequence[str]) -> str:
    """A Markdown table with `mean +- std` cells (and the paper's column where rows have one)."""
    paper = any(r.get("paper") is not None for r in rows)
    head = [*by, "n", *metrics] + ["PacGAN Table 1: modes / high quality"] * paper
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [str(r[k]) for k in by] + [str(r["n"])]
        cells += [f"{r[m]:.4g} ± {r[f'{m}_std']:.2g}" for m in metrics]
        cells += [r.get("paper", "-")] * paper
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_csv(path: Path, rows: Iterable[dict]) -> None:
    rows = list(rows)
    columns = list(dict.fromkeys(k for r in rows for k in r))

    def write(f) -> None:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)

    write_with(path, write)


def label(row: dict, by: Sequence[str]) -> str:
    return ", ".join(f"{k}={row[k]}" for k in by) or "all"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_finals(out: Path, rows: Sequence[dict], by: Sequence[str], metrics: Sequence[str]) -> list:
    plt = _pyplot()
    written = []
    for m in metrics:
        fig, ax = plt.subplots(figsize=(max(4.0, 0.6 * len(rows) + 2), 3.5))
        names = [label(r, by) for r in rows]
        ax.bar(range(len(rows)), [r[m] for r in rows], yerr=[r[f"{m}_std"] for r in rows])
        ax.set_xticks(range(len(rows)), names, rotation=45, ha="right", fontsize=7)
        ax.set_ylabel(m)
        ax.set_title(f"final {m} (mean ± std over seeds)")
        fig.tight_layout()
        path = out / f"final_{m.replace('/', '_')}.png"
        save_figure(fig, path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written


def mean_curve(jobs: Sequence[Job], key: str) -> tuple[list[int], list[float]]:
    """`key` over the evaluations, averaged over `jobs` at each generator step."""
    values: dict[int, list[float]] = {}
    for job in jobs:
        for row in job.summary["history"]:
            values.setdefault(row["g_step"], []).append(row[key])
    steps = sorted(values)
    return steps, [statistics.fmean(values[s]) for s in steps]


def plot_curves(out: Path, jobs: Sequence[Job], by: Sequence[str]) -> Path | None:
    """Per choice (mean over seeds): the critic's own estimate (`train/w_estimate` for WGANs,
    `train/js_estimate` for GANs) beside the exact metric, over the evaluations."""
    rows = rows_of(jobs)
    exact = next((k for k in EXACT if rows and all(k in r for r in rows)), None)
    if exact is None:
        return None
    plt = _pyplot()
    fig, (critic_ax, exact_ax) = plt.subplots(1, 2, figsize=(10, 3.5))
    groups: dict[str, list[Job]] = {}
    for job in jobs:
        groups.setdefault(label(job.choices, by), []).append(job)
    estimates = set()
    for ax in (critic_ax, exact_ax):
        ax.set_prop_cycle(color=plt.cm.tab20.colors)
        ax.set_xlabel("generator step")
    for name, members in groups.items():
        progress = next((k for k in PROGRESS if all(k in r for r in rows_of(members))), None)
        if progress is not None:
            estimates.add(progress)
            critic_ax.plot(*mean_curve(members, progress), label=name)
        exact_ax.plot(*mean_curve(members, exact), label=name)
    critic_ax.set_ylabel(" / ".join(sorted(estimates)) + " (critic)")
    exact_ax.set_ylabel(f"{exact} (exact)")
    exact_ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    fig.tight_layout()
    path = out / "curves.png"
    save_figure(fig, path, dpi=100, bbox_inches="tight")  # the legend right of the panels
    plt.close(fig)
    return path


def rows_of(jobs: Sequence[Job]) -> list[dict]:
    return [r for j in jobs for r in j.summary.get("history", [])]


def report(sweep_dir: str | Path) -> dict:
    """Write the report files into `sweep_dir`; return the per-choice rows and the paths."""
    out = Path(sweep_dir)
    jobs = load_jobs(out)
    if not jobs:
        raise FileNotFoundError(f"{out}: no job with a summary.json below it")
    swept = varying(jobs)
    by = [k for k in swept if k != SEED]
    metrics = metric_names(jobs)
    write_csv(out / "report.csv", [j.choices | j.metrics for j in jobs])
    rows = aggregate(jobs, by, metrics)
    write_csv(out / "report_mean.csv", rows)
    shown = [m for m in metrics if m.startswith("val/")] or metrics
    text = f"# {out.name}: {len(jobs)} jobs, swept {', '.join(swept) or 'nothing'}\n\n"
    text += "Final metrics, mean ± std over seeds (n seeds each; replicas count as seeds).\n\n"
    text += markdown(rows, by, shown) + "\n"
    write_text(out / "report.md", text)
    finite = [m for m in shown if all(math.isfinite(r[m]) for r in rows)]
    figures = plot_finals(out, rows, by, finite)
    curves = plot_curves(out, jobs, by)
    return {"rows": rows, "by": by, "metrics": shown, "figures": figures, "curves": curves}


def main(argv: Sequence[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if len(argv) != 1 or argv[0].startswith("-"):
        sys.exit("usage: python -m ganexp.report MULTIRUN_DIR")
    try:
        result = report(argv[0])
    except FileNotFoundError as err:
        sys.exit(f"ganexp.report: {err}")
    print((Path(argv[0]) / "report.md").read_text())
    print("wrote report.md, report.csv, report_mean.csv and", len(result["figures"]), "plots")


if __name__ == "__main__":
    main()
