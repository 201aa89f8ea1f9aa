"""compose -> build -> fit -> summarise. Also the Python API: `train([...overrides])`."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict

from ganexp.atomic import write_text
from ganexp.config import CONF_DIR, check_group_lists, validate, validate_data


def compose(overrides: Sequence[str] = ()) -> DictConfig:
    """The run's config from conf/ and `overrides`, exactly as the command line composes it.

    The `hydra` node is kept so the run directory pattern can be read; `run` drops it.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    check_group_lists(overrides)
    if GlobalHydra.instance().is_initialized():
        return hydra_compose("config", overrides=list(overrides), return_hydra_config=True)
    with initialize_config_dir(str(CONF_DIR), version_base=None):
        return hydra_compose("config", overrides=list(overrides), return_hydra_config=True)


def merge_overrides(old: Sequence[str], new: Sequence[str]) -> list[str]:
    """`old` then `new`, keeping only the last override of each key."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    merged: dict[tuple, str] = {}
    for text in [*old, *new]:
        o = parser.parse_override(text)
        merged.pop((o.key_or_group, o.package), None)
        merged[(o.key_or_group, o.package)] = text
    return list(merged.values())


def resolve_resume(cfg: DictConfig, overrides: Sequence[str]) -> tuple[DictConfig, list[str], Any]:
    """With `resume=...`: the original run's overrides, then this command's, composed again."""
    if not cfg.get("resume"):
        return cfg, list(overrides), None
    from ganexp.checkpoints import find_checkpoint, read_checkpoint

    ckpt_path = find_checkpoint(cfg.resume)
    merged = merge_overrides(read_checkpoint(ckpt_path)["ganexp"]["overrides"], overrides)
    return compose(merged), merged, ckpt_path


def run(
    cfg: DictConfig, run_dir: Path, overrides: Sequence[str] = (), callbacks: Sequence = ()
) -> dict:
    """Train the composed `cfg` in `run_dir` and return the summary (also written to summary.json).

    `callbacks` are extra Lightning callbacks (probes, custom logging) added to the configured ones.
    """
    started = time.perf_counter()
    cfg, overrides, ckpt_path = resolve_resume(cfg, overrides)
    with open_dict(cfg):
        cfg.pop("hydra", None)
    validate(cfg)

    import pytorch_lightning as pl
    from lightning_fabric.utilities.rank_zero import rank_zero_only

    from ganexp.build import (
        build_callbacks,
        build_datamodule,
        build_family,
        build_logger,
        build_trainer,
    )
    from ganexp.callbacks.clock import StartupClock
    from ganexp.families.base import to_floats

    run_dir.mkdir(parents=True, exist_ok=True)
    if rank_zero_only.rank == 0:  # DDP: the other ranks run this same function in their processes
        (run_dir / ".hydra").mkdir(exist_ok=True)
        OmegaConf.save(cfg, run_dir / ".hydra" / "config.yaml")
    pl.seed_everything(cfg.train.seed, workers=True, verbose=False)
    datamodule = build_datamodule(cfg)
    datamodule.setup("fit")  # missing files fail here, before any work
    validate_data(cfg, datamodule)
    module = build_family(cfg, tuple(datamodule.shape), datamodule.num_classes)
    module.overrides = list(overrides)
    logger = build_logger(cfg, run_dir)
    clock = StartupClock(started)  # composed config -> first step: imports, building, setup
    trainer = build_trainer(
        cfg, run_dir, [*build_callbacks(cfg, run_dir), clock, *callbacks], logger
    )
    if logger is not None:
        logger.log_hyperparams(OmegaConf.to_container(cfg, resolve=True))

    start = time.perf_counter()
    trainer.fit(
        module,
        datamodule=datamodule,
        ckpt_path=str(ckpt_path) if ckpt_path else None,
        weights_only=True,  # a checkpoint is plain data; read_checkpoint has already checked it
    )
    wall = time.perf_counter() - start
    start_step = module.resumed_from
    if not trainer.interrupted:  # a stop mid-step keeps the last whole-step checkpoint instead
        trainer.save_checkpoint(run_dir / "checkpoints" / "last.ckpt")

    summary = to_floats(module.last_metrics)
    for cb in trainer.callbacks:
        summary |= getattr(cb, "results", {})
        if getattr(cb, "history", None):
            summary["history"] = cb.history  # one row per evaluation: the curves of the run
    summary |= {
        "g_steps": module.g_step,
        "d_steps": module.g_step * module.n_critic,
        "wall_time_s": wall,
        "g_steps_per_s": (module.g_step - start_step) / wall if wall > 0 else 0.0,
        "interrupted": trainer.interrupted,
        "run_dir": str(run_dir),
        "config": OmegaConf.to_container(cfg, resolve=True),
    }
    if trainer.is_global_zero:
        write_text(run_dir / "summary.json", json.dumps(summary, indent=2))
    if (
        logger is not None
        and hasattr(logger, "experiment")
        and hasattr(logger.experiment, "finish")
    ):
        logger.experiment.finish()
    return summary


def train(
    overrides: Sequence[str] = (), run_dir: str | Path | None = None, callbacks: Sequence = ()
) -> dict:
    """Compose the config from `overrides` (as on the command line), train, return the summary.

    The run directory defaults to the one the command line would use (outputs/<date>/<time>_...).
    """
    cfg = compose(overrides)
    return run(cfg, Path(run_dir or cfg.hydra.run.dir), overrides, callbacks)
