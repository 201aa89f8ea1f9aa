"""`python -m ganexp [overrides]`: the Hydra entry point, nothing else."""

import signal
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig, open_dict

from ganexp.errors import ConfigError, RejectionStalled
from ganexp.names import PROGRESS_METRICS
from ganexp.options import CONF_DIR, check_group_lists


def objective(summary: dict, metric: str | None) -> float | None:
    """The value a sweeper optimises: `metric` from the summary, or the critic's own estimate."""
    if metric is None:
        return next((summary[k] for k in PROGRESS_METRICS if k in summary), None)
    if metric not in summary:
        known = sorted(k for k in summary if k.startswith(("train/", "val/")))
        raise ConfigError(f"metric={metric}: this run reports {known}")
    return summary[metric]


@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base=None)
def main(cfg: DictConfig) -> float | None:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from ganexp.train import run

    hydra_cfg = HydraConfig.get()
    if hydra_cfg.mode == RunMode.MULTIRUN and "group" in cfg.get("logger", {}):
        with open_dict(cfg):  # every job of a sweep is its own W&B run, grouped by the sweep
            cfg.logger.group = cfg.logger.group or str(hydra_cfg.sweep.dir)
    from ganexp.divergence import Diverged

    run_dir = Path(hydra_cfg.runtime.output_dir)
    try:
        summary = run(cfg, run_dir, list(hydra_cfg.overrides.task))
    except ConfigError as err:
        sys.exit(f"ganexp: {err}")
    except RejectionStalled as err:
        last = run_dir / "checkpoints" / "last.ckpt"
        sys.exit(f"ganexp: {err}" + (f"; {last} keeps the last checkpoint" if last.exists() else ""))
    except Diverged as err:
        line = f"ganexp: {err}; {run_dir}/summary.json records it, the last finite checkpoint is kept"
        if hydra_cfg.mode != RunMode.MULTIRUN:
            sys.exit(line)
        print(line, file=sys.stderr)  # the sweep goes on
        if not str(hydra_cfg.sweeper.get("_target_", "")).endswith("BasicSweeper"):
            raise  # a sweeper that reads results (Optuna) records a failed trial
        return None
    if summary["stopped_by"]:
        print(
            f"ganexp: stopped by {summary['stopped_by']} after g_step {summary['g_steps']}; "
            f"continue with resume={run_dir}",
            file=sys.stderr,
        )
        sys.exit(128 + int(getattr(signal, summary["stopped_by"])))
    try:
        return objective(summary, cfg.get("metric"))
    except ConfigError as err:  # a metric this run does not report
        sys.exit(f"ganexp: {err}")


if __name__ == "__main__":
    try:
        check_group_lists(sys.argv[1:])
    except ConfigError as err:
        sys.exit(f"ganexp: {err}")
    main()
