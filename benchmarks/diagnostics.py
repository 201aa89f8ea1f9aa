"""What `callbacks=[diagnostics]` costs: the time a measurement takes, in generator steps, and its
share of a run's time at a given `every`.

    python benchmarks/diagnostics.py model=mlp dataset=ring8 loss=wgan_gp
    python benchmarks/diagnostics.py model=dcgan dataset=digits loss=wgan_gp --every 10

One run with the diagnostics on; the time spent inside them (the measurement after a generator
step, and the reading of D's gradients before the last critic step) is clocked separately from
the run's own steps, in the same process on the same machine, so the ratio does not depend on
how fast the machine is that minute. Any ganexp override can be given
(`callbacks.diagnostics.g_objectives=[gan,ns]`, `callbacks.diagnostics.g_repeats=4`, ...). The
weight histogram goes to W&B or TensorBoard only; with `logger=none` (the default here) it is
not drawn, so add `logger=tensorboard` to include it.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import torch
from omegaconf import OmegaConf

from ganexp import train
from ganexp.callbacks.diagnostics import Diagnostics
from ganexp.train import compose

FAR = 10**9


class Clocked(Diagnostics):
    """The diagnostics, with the seconds spent in them and the number of measurements."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seconds, self.measured = 0.0, 0
        self.started = self.ended = 0.0

    def on_train_start(self, trainer, pl_module) -> None:
        super().on_train_start(trainer, pl_module)
        self.started = time.perf_counter()

    def on_train_end(self, trainer, pl_module) -> None:
        self.ended = time.perf_counter()

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:
        start = time.perf_counter()
        super().on_before_optimizer_step(trainer, pl_module, optimizer)
        self.seconds += time.perf_counter() - start

    def train_metrics(self) -> dict[str, float]:
        start = time.perf_counter()
        found = super().train_metrics()
        self.seconds += time.perf_counter() - start
        self.measured += bool(found)
        return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=400, help="generator steps of the run")
    parser.add_argument(
        "--every", type=int, default=10, help="generator steps between measurements"
    )
    args, overrides = parser.parse_known_args()

    settings = [
        "logger=none",
        "trainer.enable_progress_bar=false",
        *overrides,
        f"train.g_steps={args.steps}",
        f"train.sample_every={FAR}",
        f"train.checkpoint_every={FAR}",
        f"eval.every_n_g_steps={FAR}",
        "eval.num_samples=64",
        "eval.inception=false",
    ]
    # the callback is built here from its config group (not by callbacks=[diagnostics]) so that
    # it can be clocked
    node = compose(["callbacks=[diagnostics]", *overrides]).callbacks.diagnostics
    kwargs = {k: v for k, v in OmegaConf.to_container(node).items() if k != "_target_"}
    clocked = Clocked(**(kwargs | {"every": args.every}))
    with tempfile.TemporaryDirectory() as run_dir:
        train(settings, run_dir=run_dir, callbacks=[clocked])
    total = clocked.ended - clocked.started
    training = total - clocked.seconds
    step = training / args.steps
    per = clocked.seconds / max(1, clocked.measured)
    print(
        f"config: {' '.join(overrides) or '(defaults)'}; torch threads: {torch.get_num_threads()}"
    )
    print(f"a generator step (with its critic steps): {1e3 * step:.2f} ms")
    print(
        f"a measurement: {1e3 * per:.2f} ms = {per / step:.2f} generator steps "
        f"({clocked.measured} measurements)"
    )
    print(
        f"share of the run's time at every={args.every}: {100 * clocked.seconds / total:.1f}% "
        f"(cost per step {100 * clocked.seconds / training:.1f}%)"
    )


if __name__ == "__main__":
    main()
