"""What a study over seeds costs: K replicas trained together (`train.replicas=K`) against one run,
and so against K separate runs (K times one run, one after another).

    python benchmarks/replicas.py model=mlp dataset=ring8 loss=wgan_gp
    python benchmarks/replicas.py experiment=toy_ring8 --replicas 5
    python benchmarks/replicas.py model=dcgan dataset=digits loss=wgan_gp --steps 20

Any ganexp override can be given. Both sides are ordinary ganexp runs of the same config (logging
off; evaluation, pictures and checkpoints pushed past the timed window). Each run warms up for
`--warmup` generator steps, then times `--steps`; one run and one replicated run alternate
`--repeats` times, so each ratio compares runs timed side by side on a machine whose speed drifts.
Printed: the median time per generator step of each, the ratio K replicas / one run, and the
ratio K replicas / K separate runs (below 1: the study is cheaper together).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import pytorch_lightning as pl
import torch

from ganexp import train

FAR = 10**9


class StepClock(pl.Callback):
    """Seconds per generator step over `steps` steps after `warmup`."""

    def __init__(self, warmup: int, steps: int):
        self.warmup, self.steps = warmup, steps
        self.started: float | None = None
        self.per_step: float | None = None

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if pl_module.g_step == self.warmup:
            self._sync(pl_module)
            self.started = time.perf_counter()
        elif pl_module.g_step == self.warmup + self.steps:
            self._sync(pl_module)
            self.per_step = (time.perf_counter() - self.started) / self.steps

    @staticmethod
    def _sync(module) -> None:
        if module.device.type == "cuda":
            torch.cuda.synchronize(module.device)


def time_run(overrides: list[str], warmup: int, steps: int) -> float:
    clock = StepClock(warmup, steps)
    quiet = [
        "logger=none",
        "trainer.enable_progress_bar=false",
        f"train.g_steps={warmup + steps}",
        f"train.sample_every={FAR}",
        f"train.checkpoint_every={FAR}",
        f"eval.every_n_g_steps={FAR}",
        "eval.num_samples=100",
        "eval.inception=false",
    ]
    with tempfile.TemporaryDirectory() as out:
        train([*overrides, *quiet], run_dir=f"{out}/run", callbacks=[clock])
    return clock.per_step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*")
    parser.add_argument("--replicas", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    k = args.replicas
    one, together = [], []
    for _ in range(args.repeats):
        one.append(time_run(args.overrides, args.warmup, args.steps))
        together.append(time_run([*args.overrides, f"train.replicas={k}"], args.warmup, args.steps))
    ratios = [t / o for t, o in zip(together, one)]
    t1, tk, ratio = statistics.median(one), statistics.median(together), statistics.median(ratios)
    print(f"config: {' '.join(args.overrides) or '(defaults)'}; threads: {torch.get_num_threads()}")
    print(f"one run:          {1000 * t1:8.2f} ms per generator step")
    print(f"{k} replicas:      {1000 * tk:8.2f} ms per generator step")
    print(
        f"{k} replicas / one run:           {ratio:.2f}x  (runs {', '.join(f'{r:.2f}' for r in ratios)})"
    )
    print(f"{k} replicas / {k} separate runs: {ratio / k:.2f}x  (the study's cost together)")


if __name__ == "__main__":
    main()
