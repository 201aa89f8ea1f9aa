"""The claims of GAN theory, each reproduced by one command (docs/claims.md).

A claim is a statement about training dynamics that a paper shows with a figure. Its module
defines a `Claim`: the statement, the check in numbers (fixed before any run), the paper's figure
it follows, `run(study)` (trains what it needs through the ordinary training path, measures, and
returns the numbers with `held`), and `figure(numbers, path)`.

    python -m ganexp.claims                                # the claims, one a line
    python -m ganexp.claims NAME seed=N out=DIR [scale=S] [overrides ...]
"""

from __future__ import annotations

import csv
import importlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganexp.atomic import write_text
from ganexp.errors import ConfigError

MODULES = (
    "optimal_discriminator",
    "vanishing_gradient",
    "unstable_gradient",
    "disjoint_supports",
    "clipping_vs_penalty",
    "instance_noise",
    "meaningful_loss",
    "pyramid",
    "data_efficiency",
)


@dataclass(frozen=True)
class Claim:
    name: str
    statement: str  # what the theory says
    check: str  # how it is checked, in numbers
    anchor: str  # the paper's figure the result is compared with
    run: Callable[[Study], dict]  # numbers, with `held`
    figure: Callable[[dict, Path], None]


def claims() -> dict[str, Claim]:
    """Every claim by name, in the order of the argument."""
    found = [importlib.import_module(f"ganexp.claims.{m}").CLAIM for m in MODULES]
    return {c.name: c for c in found}


# every run of a study: quiet, offline, its curves in a CSV file
QUIET = ["logger=csv", "trainer.enable_progress_bar=false", "eval.inception=false"]


class Study:
    """The runs of one claim at one seed, in `out/runs/<name>`; `scale` multiplies the step
    counts (below 1 for a smoke test, above for the papers' sizes) and `extra` overrides every
    run (e.g. `trainer.accelerator=gpu`).

    A run whose directory already holds a finished run of the same overrides is read, not
    trained again, so a figure can be redrawn at no cost."""

    def __init__(self, out: Path, seed: int, scale: float = 1.0, extra: Sequence[str] = ()):
        self.out, self.seed, self.scale, self.extra = Path(out), seed, scale, list(extra)
        self.runs: dict[str, str] = {}

    def steps(self, n: int, least: int = 2) -> int:
        """`n` steps at this study's scale (at least `least`)."""
        return max(least, round(n * self.scale))

    def _run(self, name: str, overrides: Sequence[str], start: Callable) -> Path:
        run_dir = self.out / "runs" / name
        full = [*QUIET, *overrides, f"train.seed={self.seed}", *self.extra]
        record = run_dir / "claim_run.json"
        finished = (run_dir / "summary.json").is_file() and record.is_file()
        if not (finished and json.loads(record.read_text()) == full):
            if run_dir.exists():
                raise ConfigError(
                    f"out={self.out}: {run_dir} holds a run of other overrides (another scale, "
                    "seed or version of the claim); name a new out=DIR"
                )
            start(full, run_dir)
            write_text(record, json.dumps(full))
        self.runs[name] = str(run_dir)
        return run_dir

    def train(self, name: str, overrides: Sequence[str]) -> Path:
        """An ordinary training run (`ganexp.train`); its directory."""
        from ganexp.train import train

        return self._run(name, overrides, lambda o, d: train(o, run_dir=d))

    def probe(self, name: str, run: Path, overrides: Sequence[str] = ()) -> Path:
        """A fresh discriminator trained against `run`'s frozen generator (`ganexp.probe`)."""
        from ganexp.probe import probe

        return self._run(name, overrides, lambda o, d: probe(run, o, run_dir=d))


def summary(run_dir: Path) -> dict:
    return json.loads((Path(run_dir) / "summary.json").read_text())


def curves(run_dir: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every logged metric of a run as (generator steps, values), from its CSV log."""
    rows: dict[str, tuple[list, list]] = {}
    for file in sorted((Path(run_dir) / "csv").glob("version_*/metrics.csv")):
        with open(file, newline="") as f:
            for row in csv.DictReader(f):
                for key, value in row.items():
                    if key != "step" and value not in ("", None):
                        steps, values = rows.setdefault(key, ([], []))
                        steps.append(int(row["step"]))
                        values.append(float(value))
    return {k: (np.array(s), np.array(v)) for k, (s, v) in rows.items()}


def load_module(run_dir: Path):
    from ganexp.load import load

    return load(run_dir)


def save_result(claim: Claim, study: Study, numbers: dict, wall: float) -> dict:
    """`<out>/<claim>.json`: the claim, its check, the numbers, `held`, and the runs."""
    result = {
        "claim": claim.name,
        "statement": claim.statement,
        "check": claim.check,
        "anchor": claim.anchor,
        "seed": study.seed,
        "scale": study.scale,
        "overrides": study.extra,
        "held": bool(numbers["held"]),
        "numbers": {k: v for k, v in numbers.items() if k != "held"},
        "runs": study.runs,
        "wall_time_s": wall,
    }
    write_text(study.out / f"{claim.name}.json", json.dumps(result, indent=2, default=float))
    return result
