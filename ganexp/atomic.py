"""Files written whole or not at all: each is written to a temporary name beside it and renamed
over the target (a rename within a directory is atomic), so a crash never leaves half a file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO


def write_with(path: str | Path, write: Callable[[IO], None], mode: str = "w") -> None:
    """Call `write(file)` on a temporary file beside `path`, then rename it to `path`."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open(mode, **({"newline": ""} if "b" not in mode else {})) as f:
            write(f)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: str | Path, text: str) -> None:
    write_with(path, lambda f: f.write(text))


def save_figure(fig, path: str | Path, **kwargs) -> None:
    """A matplotlib figure as a PNG at `path`."""
    write_with(path, lambda f: fig.savefig(f, format="png", **kwargs), mode="wb")
