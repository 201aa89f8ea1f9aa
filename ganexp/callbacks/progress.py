"""Progress over the run's budget in generator steps, with its rate, the time left and the critic's
progress metric (Lightning's own bar counts batches of an endless epoch: no total). At a terminal
(or in a notebook) a live bar; without one (a batch job writing to a file) a plain line every
`every_s` seconds and one at the end, so a log holds a few lines instead of one per step."""

from __future__ import annotations

import datetime
import sys
import time

import pytorch_lightning as pl
from pytorch_lightning.callbacks import ProgressBar

from ganexp.names import PROGRESS_METRICS


class GeneratorStepProgress(ProgressBar):
    """`g_steps  42%|####      | 840/2000 [00:31<00:43, 26.9 step/s, w_estimate=0.213]`; the
    metric is read at most every `refresh_s` seconds (reading it waits for the device)."""

    def __init__(self, refresh_s: float = 0.5, every_s: float = 30.0, stream=None):
        super().__init__()
        self.refresh_s, self.every_s, self._enabled = refresh_s, every_s, True
        self._bar, self._shown, self._stream = None, 0.0, stream
        self._lines = False  # plain lines instead of a bar
        self._start = self._start_step = 0
        self._said = -1  # the generator step of the last line

    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    @property
    def stream(self):
        return self._stream or sys.stderr

    def interactive(self) -> bool:
        """A terminal or a notebook: a bar that redraws itself in place is readable there."""
        isatty = getattr(self.stream, "isatty", None)  # a replaced stderr may not have one
        return bool(isatty and isatty()) or "ipykernel" in sys.modules

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not (self._enabled and trainer.is_global_zero):
            return
        if not self.interactive():
            self._lines, self._start, self._start_step = True, time.monotonic(), pl_module.g_step
            self._shown = self._start
            return
        from tqdm.auto import tqdm

        self._bar = tqdm(
            total=pl_module.budget,
            initial=pl_module.g_step,
            desc="g_steps",
            unit="step",
            dynamic_ncols=True,
            smoothing=0.05,
            file=self.stream,
        )

    def line(self, pl_module: pl.LightningModule, now: float) -> str:
        """`g_steps 840/2000 (42%), 26.9 step/s, 0:00:43 left, w_estimate=0.213`: the time left
        is that of whichever budget ends the run first, the steps or `trainer.max_time`."""
        done, total = pl_module.g_step, pl_module.budget
        rate = (done - self._start_step) / max(now - self._start, 1e-9)
        seconds = time_left(pl_module, rate)
        left = datetime.timedelta(seconds=round(seconds)) if seconds is not None else "?"
        text = f"g_steps {done}/{total} ({100 * done / total:.0f}%), {rate:.3g} step/s, {left} left"
        metrics = pl_module.last_metrics
        key = next((k for k in PROGRESS_METRICS if k in metrics), None)
        if key is not None:
            text += f", {key.split('/')[-1]}={float(metrics[key]):.4g}"
        return text

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        now = time.monotonic()
        if self._lines:
            last = pl_module.g_step >= pl_module.budget
            if last or now - self._shown >= self.every_s:
                self._say(pl_module, now)
            return
        if self._bar is None:
            return
        if now - self._shown >= self.refresh_s:
            self._shown = now
            self._bar.total = reachable(pl_module, self._bar.format_dict["rate"])
            metrics = pl_module.last_metrics
            key = next((k for k in PROGRESS_METRICS if k in metrics), None)
            if key is not None:
                self._bar.set_postfix({key.split("/")[-1]: f"{float(metrics[key]):.4g}"}, False)
        self._bar.update(pl_module.g_step - self._bar.n)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._lines and self._said != pl_module.g_step:  # stopped before the budget
            self._say(pl_module, time.monotonic())

    def _say(self, pl_module: pl.LightningModule, now: float) -> None:
        self._shown, self._said = now, pl_module.g_step
        print(self.line(pl_module, now), file=self.stream, flush=True)

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def clock_left(pl_module: pl.LightningModule) -> float | None:
    """Seconds until `trainer.max_time` ends the run (Lightning's Timer), or None without one."""
    from pytorch_lightning.callbacks import Timer

    trainer = pl_module.trainer
    timer = next((cb for cb in trainer.callbacks if isinstance(cb, Timer)), None)
    return None if timer is None else max(0.0, timer.time_remaining("train") or 0.0)


def time_left(pl_module: pl.LightningModule, rate: float) -> float | None:
    """Seconds until the run ends at `rate` generator steps a second: at its last generator step
    or at `trainer.max_time`, whichever comes first (None while neither can be told)."""
    steps = (pl_module.budget - pl_module.g_step) / rate if rate > 0 else None
    known = [t for t in (steps, clock_left(pl_module)) if t is not None]
    return min(known) if known else None


def reachable(pl_module: pl.LightningModule, rate: float | None) -> int:
    """The generator step the run will end at: the budget, or fewer where `trainer.max_time`
    ends it first at `rate` steps a second (what the bar counts towards)."""
    clock = clock_left(pl_module)
    if clock is None or not rate:
        return pl_module.budget
    return min(pl_module.budget, pl_module.g_step + max(1, round(clock * rate)))
