"""The experiment logger of a run. Logging never costs a run:

- W&B asked to go online (`logger.offline=false`) with no API key or no network: one line on the
  console (`ganexp.console.notice`, which no warning filter hides), and the run logs offline into its directory (`wandb sync <dir>` uploads it later);
- a logger that fails mid-run (a full disk, a lost connection, a bug): one warning naming the
  failure, then training goes on without it. summary.json, checkpoints and samples do not depend on
  the logger.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from pytorch_lightning.loggers import Logger

from ganexp.console import notice


def wandb_online_problem() -> str | None:
    """Why W&B cannot log online from here (no API key, server unreachable), or None."""
    import netrc
    import socket
    from urllib.parse import urlparse

    url = os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")
    host = urlparse(url).hostname or url
    key = os.environ.get("WANDB_API_KEY")
    if not key:
        try:
            found = netrc.netrc().authenticators(host)  # where `wandb login` keeps it
            key = found[2] if found else None
        except (OSError, netrc.NetrcParseError):
            key = None
    if not key:
        return "no W&B API key (set WANDB_API_KEY or run `wandb login`)"
    try:
        socket.create_connection((host, 443), timeout=3).close()
    except OSError as err:
        return f"{host} cannot be reached ({err})"
    return None


def build_logger(plan, run_dir: Path) -> SafeLogger | None:
    """The configured logger of the run's `plan` writing into the run directory (wrapped in
    `SafeLogger`), or None for logger=none."""
    from hydra.utils import instantiate

    if plan.run.logger.target is None:
        return None
    node, extra = plan.run.logger.model_dump(by_alias=True), {"save_dir": str(run_dir)}
    if node["_target_"].endswith("WandbLogger"):
        extra["name"] = run_dir.name
        wants_online = not node.get("offline", False)
        mode = os.environ.get("WANDB_MODE")
        if wants_online and mode not in ("offline", "disabled", "dryrun"):
            problem = wandb_online_problem()
            if problem:
                notice(
                    f"logger.offline=false: {problem}; logging offline into {run_dir}/wandb "
                    "instead (upload it later with `wandb sync`)"
                )
                node["offline"] = True
    logger = instantiate(node, _convert_="all", **extra)
    init = getattr(logger, "_wandb_init", None)
    if isinstance(init, dict) and init.get("anonymous") is None:
        init.pop("anonymous", None)  # W&B warns that this (unset) setting is deprecated
    return SafeLogger(logger)


class SafeLogger(Logger):
    """A Lightning logger that passes every call to `inner` and, the first time one fails, warns
    once and stops logging; the run goes on."""

    def __init__(self, inner: Logger):
        super().__init__()
        self.inner = inner
        self.failure: str | None = None

    def _guard(self, what: str, call, *args, **kwargs) -> Any:
        if self.failure is not None:
            return None
        try:
            return call(*args, **kwargs)
        except Exception as err:  # any failure of the logger, never of training
            self.failure = f"{type(err).__name__}: {err}"
            warnings.warn(
                f"logger {type(self.inner).__name__} failed in {what} ({self.failure}); training "
                "goes on without it (summary.json, checkpoints and samples are still written)",
                stacklevel=3,
            )
            return None

    @property
    def name(self) -> str | None:
        return self.inner.name

    @property
    def version(self) -> int | str | None:
        return self.inner.version

    @property
    def save_dir(self) -> str | None:
        return self.inner.save_dir

    @property
    def root_dir(self) -> str | None:
        return self.inner.root_dir

    @property
    def log_dir(self) -> str | None:
        return getattr(self.inner, "log_dir", self.inner.save_dir)

    @property
    def experiment(self) -> Any:
        return self.inner.experiment

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        self._guard("log_metrics", self.inner.log_metrics, metrics, step)

    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        self._guard("log_hyperparams", self.inner.log_hyperparams, params, *args, **kwargs)

    def log_graph(self, model: Any, input_array: Any = None) -> None:
        self._guard("log_graph", self.inner.log_graph, model, input_array)

    def save(self) -> None:
        self._guard("save", self.inner.save)

    def finalize(self, status: str) -> None:
        self._guard("finalize", self.inner.finalize, status)

    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        self._guard("after_save_checkpoint", self.inner.after_save_checkpoint, checkpoint_callback)

    def log_histogram(self, key: str, values: Any, step: int) -> None:
        """A histogram of the tensor `values` where the logger draws one (W&B, TensorBoard)."""

        def _log() -> None:
            experiment = self.inner.experiment
            if hasattr(experiment, "add_histogram"):  # TensorBoard
                experiment.add_histogram(key, values, step)
            elif type(self.inner).__name__ == "WandbLogger":
                import wandb

                experiment.log({key: wandb.Histogram(values.numpy()), "trainer/global_step": step})

        self._guard("log_histogram", _log)

    def finish(self) -> None:
        """End the run of a logger that has one (W&B), so its files are complete."""

        def _finish() -> None:
            if hasattr(self.inner.experiment, "finish"):
                self.inner.experiment.finish()

        self._guard("finish", _finish)

    def __getattr__(self, name: str) -> Any:  # e.g. WandbLogger.log_image
        attr = getattr(self.__dict__.get("inner"), name)
        if not callable(attr):
            return attr
        return lambda *args, **kwargs: self._guard(name, attr, *args, **kwargs)
