"""One pass from a composed configuration to the plan a run builds from (docs/contributing.md):
compose (Hydra) -> parse (schema.py) -> resolve (plan.py) -> check (rules.py) -> build (build.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from omegaconf import DictConfig, OmegaConf, open_dict

from ganexp.options import CONF_DIR
from ganexp.plan import Plan, resolve
from ganexp.rules import check


def make_plan(
    cfg: DictConfig | dict, dirs: Sequence[Path] = (CONF_DIR,), files: bool = True
) -> Plan:
    """The checked plan of a composed config (or of its plain data, as a checkpoint keeps it);
    the first key that cannot work raises ConfigError with one line. `dirs` are the config folders
    (ganexp's and the user's) whose options the messages name; `files=False` does not ask for the
    files it names (a finished run's config)."""
    if isinstance(cfg, DictConfig):
        cfg = cfg.copy()
        with open_dict(cfg):
            cfg.pop("hydra", None)  # Hydra's own settings, not the run's
        cfg = OmegaConf.to_container(cfg, resolve=True)
    plan = resolve({k: v for k, v in cfg.items() if k != "hydra"}, files)
    check(plan, dirs)
    return plan
