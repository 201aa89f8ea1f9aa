"""Finding and reading run checkpoints."""

from __future__ import annotations

from pathlib import Path

import torch

from ganexp.errors import ConfigError

WHICH = ("last", "best")


def find_checkpoint(path: str | Path, which: str = "last", key: str = "") -> Path:
    """A .ckpt file as given, or a run directory's checkpoints/<which>.ckpt (`last`, or `best`
    where the run kept one with `train.keep_best`). `key` names the setting in the error."""
    if which not in WHICH:
        raise ConfigError(f"which={which}: allowed values are {list(WHICH)}")
    path = Path(path).expanduser()
    if path.is_file():
        return path
    found = path / "checkpoints" / f"{which}.ckpt"
    if found.is_file():
        return found
    hint = " (a run keeps one with train.keep_best=<val/ metric>)" if which == "best" else ""
    raise ConfigError(
        f"{key + '=' if key else ''}{path}: neither a .ckpt file nor a run directory with "
        f"checkpoints/{which}.ckpt{hint}"
    )


def read_checkpoint(path: str | Path, which: str = "last") -> dict:
    """The checkpoint dict (on CPU) of a .ckpt file or run directory.

    Read with `weights_only=True`: a checkpoint holds plain data only (tensors, numbers, strings,
    lists, dicts), so a file whose pickle would build any other object, or run code, is refused
    before anything in it runs. A file that is not a ganexp checkpoint is refused too; both with
    one line naming the file.
    """
    import pickle

    file = find_checkpoint(path, which)
    try:
        checkpoint = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as err:  # torch.load raises many types for a file it cannot read
        # the plain-data reader names the first global it will not build
        if isinstance(err, pickle.UnpicklingError) and "Unsupported global" in str(err):
            raise ConfigError(
                f"{file}: refused, it holds objects other than plain data (tensors, numbers, "
                "strings, lists, dicts), which loading could run code from"
            ) from None
        raise ConfigError(
            f"{file}: not a readable checkpoint (truncated, corrupt or another format); "
            "expected a .ckpt file that ganexp wrote"
        ) from None
    if not isinstance(checkpoint, dict) or "ganexp" not in checkpoint:
        raise ConfigError(f"{file}: not a ganexp checkpoint (no 'ganexp' entry in it)")
    return checkpoint
