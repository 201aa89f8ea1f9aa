"""compose -> build -> fit -> summarise. Also the Python API: `train([...overrides])`."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict

from ganexp.atomic import write_text
from ganexp.config import make_plan
from ganexp.options import CONF_DIR, check_group_lists, dirs_from_hydra
from ganexp.rundir import released_on_error


def register_run_defaults() -> None:
    """The run's own keys (train, eval, sampling, ...) with the defaults their schema declares,
    as the Hydra config `ganexp_run` that conf/config.yaml composes first."""
    from hydra.core.config_store import ConfigStore

    from ganexp.schema import run_defaults

    ConfigStore.instance().store(name="ganexp_run", node=run_defaults())


register_run_defaults()


def compose(overrides: Sequence[str] = (), config_dir: str | Path | None = None) -> DictConfig:
    """The run's config from conf/ and `overrides`, exactly as the command line composes it;
    `config_dir` adds a folder of the user's own options (as `--config-dir` does).

    The `hydra` node is kept so the run directory pattern can be read; `run` drops it.
    """
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    overrides = with_config_dir(overrides, config_dir)
    check_group_lists(overrides)
    if GlobalHydra.instance().is_initialized():
        return hydra_compose("config", overrides=list(overrides), return_hydra_config=True)
    with initialize_config_dir(str(CONF_DIR), version_base=None):
        return hydra_compose("config", overrides=list(overrides), return_hydra_config=True)


def with_config_dir(overrides: Sequence[str], *dirs: str | Path | None) -> list[str]:
    """`overrides` with the user's config folders on Hydra's search path (absolute, so the run can
    be resumed from anywhere)."""
    entries = [f"file://{Path(d).expanduser().resolve()}" for d in dirs if d is not None]
    if not entries:
        return list(overrides)
    return merge_overrides(overrides, [f"hydra.searchpath=[{','.join(entries)}]"])


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

    ckpt_path = find_checkpoint(cfg.resume, key="resume")
    saved = read_checkpoint(ckpt_path)["ganexp"]
    merged = merge_overrides(saved["overrides"], overrides)
    composed = compose(merged)
    had, wants = saved["config"]["train"].get("replicas", 1), composed.train.get("replicas", 1)
    if had != wants:
        from ganexp.errors import ConfigError

        raise ConfigError(
            f"train.replicas={wants}: the run being resumed ({ckpt_path}) trained {had}; a "
            f"resumed run keeps its replicas (allowed value: {had})"
        )
    return composed, merged, ckpt_path


def config_dirs(cfg: DictConfig) -> list[Path]:
    """ganexp's conf/ and the user's config folders this run was composed from."""
    from hydra.core.hydra_config import HydraConfig

    node = cfg.get("hydra") or (HydraConfig.get() if HydraConfig.initialized() else None)
    return dirs_from_hydra(node) if node is not None else [CONF_DIR]


def run(
    cfg: DictConfig, run_dir: Path, overrides: Sequence[str] = (), callbacks: Sequence = ()
) -> dict:
    """Train the composed `cfg` in `run_dir` and return the summary (also written to summary.json).

    `callbacks` are extra Lightning callbacks (probes, custom logging) added to the configured ones.

    A run stopped by SIGTERM or SIGINT returns with `interrupted: true` and `stopped_by` (the
    signal) after saving its last whole generator step. A run whose numbers become non-finite
    raises `Diverged` after writing its summary (with `diverged: {g_step, key, value}`).
    """
    started = time.perf_counter()
    with released_on_error(run_dir):  # a run refused at start-up leaves no claim behind
        cfg, overrides, ckpt_path = resolve_resume(cfg, overrides)
        dirs = config_dirs(cfg)
        if len(dirs) > 1:  # the user's folders go into the recorded overrides: `resume=` finds them
            overrides = with_config_dir(overrides, *dirs[1:])
        with open_dict(cfg):
            cfg.pop("hydra", None)
        plan = make_plan(cfg, dirs)  # every check, before anything is built

        from lightning_fabric.utilities.rank_zero import rank_zero_only
        from pytorch_lightning.utilities.exceptions import SIGTERMException

        from ganexp.build import build_run
        from ganexp.callbacks.clock import StartupClock
        from ganexp.console import quiet_console
        from ganexp.divergence import Diverged
        from ganexp.families.modes import to_floats

        quiet_console()

        run_dir.mkdir(parents=True, exist_ok=True)
        if rank_zero_only.rank == 0:  # DDP: the other ranks run this same function in theirs
            (run_dir / ".hydra").mkdir(exist_ok=True)
            OmegaConf.save(cfg, run_dir / ".hydra" / "config.yaml")
        clock = StartupClock(started)  # composed config -> first step: imports, building, setup
        trainer, datamodule, module, logger = build_run(
            plan, run_dir, [clock, *callbacks], resumed=ckpt_path is not None
        )
        module.overrides = list(overrides)
        if logger is not None:
            logger.log_hyperparams(plan.config)

    start, diverged = time.perf_counter(), None
    try:
        trainer.fit(
            module,
            datamodule=datamodule,
            ckpt_path=str(ckpt_path) if ckpt_path else None,
            weights_only=True,  # a checkpoint is plain data; read_checkpoint has checked it
        )
    except Diverged as err:  # nothing after the last finite checkpoint is kept
        diverged = err
    except SIGTERMException:  # Lightning ends fit after the step in which SIGTERM arrived
        module.stopped_by = module.stopped_by or "SIGTERM"
    wall = time.perf_counter() - start
    start_step = module.resumed_from
    # a stop mid-step (a crash) keeps the last whole-step checkpoint instead; a signal saved its own
    if not (trainer.interrupted or diverged or module.stopped_by):
        trainer.save_checkpoint(run_dir / "checkpoints" / "last.ckpt", weights_only=False)

    summary = {} if diverged else to_floats(module.last_metrics)
    for cb in trainer.callbacks:
        summary |= getattr(cb, "results", {})
        if getattr(cb, "history", None):
            summary["history"] = cb.history  # one row per evaluation: the curves of the run
        if getattr(cb, "evaluator", None) is not None:
            summary["eval_reference"] = cb.evaluator.reference  # what the samples were scored on
    if module.replicas > 1 and not diverged:
        from ganexp.callbacks.evaluation import Evaluation
        from ganexp.replicas import summarise

        evaluation = next((cb for cb in trainer.callbacks if isinstance(cb, Evaluation)), None)
        summary |= summarise(module, evaluation)
    summary |= {
        "g_steps": module.g_step,
        "d_steps": module.g_step * module.n_critic,
        "wall_time_s": wall,
        "g_steps_per_s": (module.g_step - start_step) / wall if wall > 0 else 0.0,
        "interrupted": bool(module.stopped_by or (trainer.interrupted and not diverged)),
        "stopped_by": module.stopped_by,
        "stopped_early": module.stopped_early,
        "diverged": diverged.record() if diverged else None,
        "run_dir": str(run_dir),
        "config": plan.config,
    }
    if trainer.is_global_zero:
        write_text(run_dir / "summary.json", json.dumps(summary, indent=2))
    if logger is not None:
        logger.finish()
    if diverged:
        diverged.summary = summary
        raise diverged
    return summary


def train(
    overrides: Sequence[str] = (),
    run_dir: str | Path | None = None,
    callbacks: Sequence = (),
    config_dir: str | Path | None = None,
) -> dict:
    """Compose the config from `overrides` (as on the command line), train, return the summary.

    The run directory defaults to the one the command line would use (outputs/<date>/<time>_...,
    with `-2`, `-3`, ... when another run took that name); a `run_dir` that holds another run is
    refused (`ConfigError`) unless `resume=` continues that run.
    `config_dir` is a folder of the user's own options, as `--config-dir` on the command line.
    """
    from ganexp.rundir import decide

    overrides = with_config_dir(overrides, config_dir)
    cfg = compose(overrides)
    if run_dir is None:
        pattern = OmegaConf.to_container(cfg.hydra.run, resolve=False)["dir"]
        run_dir = decide(Path(cfg.hydra.run.dir), pattern, cfg.get("resume"), "hydra.run.dir")
    else:
        run_dir = decide(Path(run_dir), str(run_dir), cfg.get("resume"), "run_dir")
    return run(cfg, run_dir, overrides, callbacks)
