"""A console a person can read: the run's own lines, not its dependencies' notices.

Only these are silenced, each by its exact text and origin:
- Lightning's "💡 Tip: ..." advertisements for its cloud products;
- torch's deprecation of `LeafSpec`, which Lightning's own `_pytree` module still builds.
"""

from __future__ import annotations

import logging
import sys
import warnings

_TIP = "💡 Tip:"


class _DropTips(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_TIP)


def quiet_console() -> None:
    """Install the filters (idempotent)."""
    for name in ("pytorch_lightning.utilities.rank_zero", "lightning.pytorch.utilities.rank_zero"):
        log = logging.getLogger(name)
        if not any(isinstance(f, _DropTips) for f in log.filters):
            log.addFilter(_DropTips())
    warnings.filterwarnings(
        "ignore",
        message=r"`isinstance\(treespec, LeafSpec\)` is deprecated",
        category=FutureWarning,
        module=r"pytorch_lightning\.utilities\._pytree",
    )


def notice(text: str) -> None:
    """One line for the person at the console, `ganexp: <text>` on stderr; unlike a warning, no
    warning filter (`PYTHONWARNINGS=ignore`, common on clusters) hides it."""
    print(f"ganexp: {text}", file=sys.stderr, flush=True)
