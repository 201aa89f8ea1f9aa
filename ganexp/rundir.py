"""One run, one directory.

A run directory is claimed by creating it, never by looking first, so processes started together
cannot share one:

- a pattern with a time stamp (the default `outputs/<date>/<time>_<model>_<loss>_<dataset>`) takes
  the first of `NAME`, `NAME-2`, `NAME-3`, ... that this process creates;
- a named directory (`hydra.run.dir=DIR`, `train(run_dir=DIR)`) is used when it is absent or holds
  no run; one that holds a run (its config, checkpoints or summary) is refused, unless the command
  resumes that very run (`resume=DIR`).

Under a launcher that starts every rank itself (torchrun, SLURM's srun) rank zero claims the
directory and writes its name to `<root>/.launches/<job>.json`, where the other ranks read it
(`<root>` is the fixed part of the pattern, `outputs` by default). Lightning's own DDP launcher
passes rank zero's directory to the ranks it starts.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf, open_dict, read_write

from ganexp.atomic import write_text
from ganexp.errors import ConfigError

MARKS = (".hydra", "checkpoints", "summary.json")  # what a run leaves in its directory
WAIT_S = 300.0  # how long another rank waits for rank zero to name the directory
CLAIMED: set[Path] = set()  # the directories this process created for its runs


def is_pattern(unresolved: str) -> bool:
    """Whether a `hydra.run.dir` value names a fresh directory per run (it has a time stamp)."""
    return "${now:" in unresolved


def found_run(directory: Path) -> str | None:
    """What of a run `directory` holds (None: nothing), in words for the refusal."""
    present = [m for m in MARKS if (directory / m).exists()]
    if not present:
        return None
    overrides = directory / ".hydra" / "overrides.yaml"
    said = " ".join(OmegaConf.load(overrides)) if overrides.is_file() else ""
    return f"{', '.join(present)}{'; its overrides: ' + said if said else ''}"


def resumes(directory: Path, resume: str | None) -> bool:
    """Whether `resume=` continues the run in `directory` (the directory or a file inside it)."""
    if not resume:
        return False
    target, home = Path(resume).expanduser().resolve(), directory.resolve()
    return target == home or home in target.parents


def claim_new(name: Path) -> Path:
    """`name`, or the first of `name-2`, `name-3`, ... that this call creates."""
    name.parent.mkdir(parents=True, exist_ok=True)
    for n in itertools.count(1):
        candidate = name if n == 1 else name.with_name(f"{name.name}-{n}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        CLAIMED.add(candidate.resolve())
        return candidate
    raise AssertionError("unreachable")


def claim_named(directory: Path, resume: str | None, key: str) -> Path:
    """`directory` for this run: absent or without a run, or the run that `resume` continues."""
    if resumes(directory, resume):
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    found = found_run(directory)
    if found is None:
        try:  # exclusive: of two runs given the same empty directory, the second is refused
            (directory / ".hydra").mkdir()
            CLAIMED.add(directory.resolve())
        except FileExistsError:
            found = ".hydra (a run starting)"
    if found is not None:
        raise ConfigError(
            f"{key}={directory} already holds a run ({found}): continue it with "
            f"resume={directory}, or name a new directory"
        )
    return directory


def release(directory: Path) -> None:
    """Undo this process's claim of `directory` for a run that stopped at start-up (a config that
    cannot work): its `.hydra/` and log files go, and the directory too when nothing else is in
    it, so the corrected command can use the same name. A directory this process did not claim
    (the run that `resume=` continues in place) is left as it is."""
    import shutil

    directory = Path(directory).resolve()
    if directory not in CLAIMED:
        return
    CLAIMED.discard(directory)
    shutil.rmtree(directory / ".hydra", ignore_errors=True)
    for log in directory.glob("*.log"):
        log.unlink(missing_ok=True)
    try:
        directory.rmdir()
    except OSError:  # something else is in it: keep it
        pass


@contextmanager
def released_on_error(directory: Path) -> Iterator[None]:
    """The block (a run's start-up): its claim of `directory` is released if it raises
    ConfigError, and kept for good once it has passed."""
    try:
        yield
    except ConfigError:
        release(directory)
        raise
    CLAIMED.discard(Path(directory).resolve())


def launch() -> tuple[int, str | None]:
    """This process's rank and the id of the launch that started every rank (torchrun, srun), or
    None where rank zero starts the others itself (Lightning's DDP launcher) or runs alone."""
    env = os.environ
    if "TORCHELASTIC_RUN_ID" in env:
        parts = ("RUN_ID", "RESTART_COUNT")
        ident = [env.get(f"TORCHELASTIC_{p}", "") for p in parts]
        ident += [env.get("MASTER_ADDR", ""), env.get("MASTER_PORT", "")]
        digest = hashlib.sha1("|".join(ident).encode()).hexdigest()[:16]
        return int(env.get("RANK", "0")), f"torchrun-{digest}"
    if int(env.get("SLURM_NTASKS", "1")) > 1 and "SLURM_JOB_ID" in env:
        parts = ("SLURM_JOB_ID", "SLURM_STEP_ID", "SLURM_RESTART_COUNT")
        return int(env.get("SLURM_PROCID", "0")), "slurm-" + ".".join(
            env.get(p, "0") for p in parts
        )
    return int(env.get("RANK", env.get("LOCAL_RANK", "0"))), None


def launch_root(unresolved: str) -> Path:
    """Where the ranks of one launch meet: the fixed folders in front of the run directory."""
    parts = Path(unresolved).parts[:-1]
    fixed = list(itertools.takewhile(lambda p: "${" not in p, parts))
    return Path(*fixed) if fixed else Path(".")


def announce(file: Path, **record) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    write_text(file, json.dumps(record))


def await_announcement(file: Path, rank: int) -> Path:
    deadline = time.monotonic() + WAIT_S
    while not file.is_file():
        if time.monotonic() > deadline:
            raise ConfigError(
                f"rank {rank} waited {WAIT_S:.0f} s for rank zero to name the run directory in "
                f"{file}; name it with hydra.run.dir=DIR"
            )
        time.sleep(0.2)
    record = json.loads(file.read_text())
    if "error" in record:
        raise ConfigError(record["error"])
    return Path(record["run_dir"])


def decide(resolved: Path, unresolved: str, resume: str | None, key: str) -> Path:
    """The directory this run writes in (created), decided once per run (see the module)."""
    rank, launch_id = launch()
    meeting = launch_root(unresolved) / ".launches" / f"{launch_id}.json"
    if rank != 0:
        return await_announcement(meeting, rank) if launch_id else resolved
    try:
        if is_pattern(unresolved):
            chosen = claim_new(resolved)
        else:
            chosen = claim_named(resolved, resume, key)
    except ConfigError as err:
        if launch_id:
            announce(meeting, error=str(err))
        raise
    if launch_id:
        announce(meeting, run_dir=str(chosen))
    return chosen


class ClaimRunDir(Callback):
    """Hydra callback: fixes `hydra.run.dir` to the directory `decide` claims, before Hydra
    creates it and writes the config there; the other ranks of a launch write no config."""

    def on_run_start(self, config: DictConfig, **kwargs) -> None:
        unresolved = OmegaConf.to_container(config.hydra.run, resolve=False)["dir"]
        resolved = Path(str(config.hydra.run.dir))
        try:
            chosen = decide(resolved, unresolved, config.get("resume"), "hydra.run.dir")
        except ConfigError as err:
            sys.exit(f"ganexp: {err}")
        with read_write(config), open_dict(config):
            config.hydra.run.dir = str(chosen)
            if launch()[0] != 0:
                config.hydra.output_subdir = None

    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        """A sweep directory with a time stamp is claimed the same way; every job of the sweep
        is composed again from `hydra.overrides.hydra`, so the claimed name goes there too."""
        unresolved = OmegaConf.to_container(config.hydra.sweep, resolve=False)["dir"]
        if not is_pattern(unresolved) or launch()[0] != 0:
            return
        chosen = claim_new(Path(str(config.hydra.sweep.dir)))
        with read_write(config), open_dict(config):
            config.hydra.sweep.dir = str(chosen)
            config.hydra.overrides.hydra.append(f"hydra.sweep.dir='{chosen}'")
