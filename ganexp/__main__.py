"""`python -m ganexp [overrides]`: the Hydra entry point, nothing else."""

import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

from ganexp.config import CONF_DIR, ConfigError


@hydra.main(config_path=str(CONF_DIR), config_name="config", version_base=None)
def main(cfg: DictConfig) -> float | None:
    from hydra.core.hydra_config import HydraConfig

    from ganexp.train import run

    hydra_cfg = HydraConfig.get()
    try:
        summary = run(cfg, Path(hydra_cfg.runtime.output_dir), list(hydra_cfg.overrides.task))
    except ConfigError as err:
        sys.exit(f"ganexp: {err}")
    return summary.get("train/w_estimate", summary.get("train/js_estimate"))


if __name__ == "__main__":
    main()
