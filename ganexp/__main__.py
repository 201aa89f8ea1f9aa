"""`python -m ganexp [overrides]`: the Hydra entry point, nothing else."""

import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig, open_dict

from ganexp.config import CONF_DIR, ConfigError, check_group_lists

PROGRESS = ("train/w_estimate", "train/js_estimate")


def objective(summary: dict, metric: str | None) -> float | None:
    """The value a sweeper optimises: `metric` from the summary, or the critic's own estimate."""
    if metric is None:
        return next((summary[k] for k in PROGRESS if k in summary), None)
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
    try:
        summary = run(cfg, Path(hydra_cfg.runtime.output_dir), list(hydra_cfg.overrides.task))
        return objective(summary, cfg.get("metric"))
    except ConfigError as err:
        sys.exit(f"ganexp: {err}")


if __name__ == "__main__":
    try:
        check_group_lists(sys.argv[1:])
    except ConfigError as err:
        sys.exit(f"ganexp: {err}")
    main()
