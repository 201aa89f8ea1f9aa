"""Finding and reading run checkpoints."""

from __future__ import annotations

from pathlib import Path

import torch

from ganexp.config import ConfigError


def find_checkpoint(path: str | Path) -> Path:
    """A .ckpt file as given, or a run directory's checkpoints/last.ckpt."""
    path = Path(path).expanduser()
    if path.is_file():
        return path
    last = path / "checkpoints" / "last.ckpt"
    if last.is_file():
        return last
    raise ConfigError(
        f"resume={path}: neither a .ckpt file nor a run directory with checkpoints/last.ckpt"
    )


def read_checkpoint(path: str | Path) -> dict:
    """The checkpoint dict (on CPU) of a .ckpt file or run directory."""
    return torch.load(find_checkpoint(path), map_location="cpu", weights_only=False)
