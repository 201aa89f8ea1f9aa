"""Where a generator step's time goes: its share in matrix products, measured with the PyTorch
profiler inside an ordinary ganexp run.

    python benchmarks/profile_step.py model=mlp dataset=ring8 loss=wgan_gp
    python benchmarks/profile_step.py model=dcgan dataset=digits loss=wgan_gp --steps 10

Any ganexp override can be given. After `--warmup` generator steps the run times `--steps` steps
without the profiler, then profiles the same number, `--repeats` times in turn. The profiler
reads each operator's own time (its kernels, without the operators it calls); the matrix products
are `MATMUL` below, the convolutions `CONV`. The share is their time per step against the step's
time without the profiler (whose own bookkeeping would otherwise count as "everything else"); the
share against the profiled step's time is printed beside it. The largest other operators follow.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter

import pytorch_lightning as pl
import torch
from throughput import quiet  # benchmarks/, beside this script
from torch.profiler import ProfilerActivity, profile

from ganexp import train

MATMUL = {"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::addmv", "aten::mv"}
CONV = {
    "aten::mkldnn_convolution",
    "aten::convolution_backward",
    "aten::_convolution",
    "aten::cudnn_convolution",
    "aten::cudnn_convolution_transpose",
    "aten::slow_conv_transpose2d",
    "aten::_slow_conv2d_forward",
    "aten::_slow_conv2d_backward",
}


def sync(module) -> None:
    if module.device.type == "cuda":
        torch.cuda.synchronize(module.device)


class Profiled(pl.Callback):
    """Blocks of `steps` generator steps after `warmup`: a plain timed block, then a profiled one,
    `repeats` times."""

    def __init__(self, warmup: int, steps: int, repeats: int):
        self.warmup, self.steps, self.repeats = warmup, steps, repeats
        self.plain: list[float] = []  # seconds per step, no profiler
        self.profiled: list[float] = []  # seconds per step under the profiler
        self.own = Counter()  # operator -> own microseconds, over every profiled block
        self.prof = None
        self.start = 0.0

    def on_train_batch_end(self, trainer, module, *args) -> None:
        since = module.g_step - self.warmup
        if since < 0 or since % self.steps:
            return
        block = since // self.steps  # the block that starts now: even plain, odd profiled
        sync(module)
        now = time.perf_counter()
        if block:  # the block that ends now
            seconds = (now - self.start) / self.steps
            if self.prof is not None:
                self.prof.__exit__(None, None, None)
                self.profiled.append(seconds)
                for event in self.prof.key_averages():
                    self.own[event.key] += event.self_device_time_total + event.self_cpu_time_total
                self.prof = None
            else:
                self.plain.append(seconds)
        if block < 2 * self.repeats and block % 2:
            activities = [ProfilerActivity.CPU]
            if module.device.type == "cuda":
                activities.append(ProfilerActivity.CUDA)
            self.prof = profile(activities=activities)
            self.prof.__enter__()
        self.start = time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warmup", type=int, default=20, help="generator steps before timing")
    parser.add_argument("--steps", type=int, default=50, help="generator steps per block")
    parser.add_argument("--repeats", type=int, default=3, help="pairs of blocks")
    parser.add_argument("--top", type=int, default=12, help="other operators listed")
    args, overrides = parser.parse_known_args()

    timer = Profiled(args.warmup, args.steps, args.repeats)
    g_steps = args.warmup + 2 * args.steps * args.repeats
    settings = ["trainer.enable_progress_bar=false", *quiet(overrides, g_steps)]
    with tempfile.TemporaryDirectory() as run_dir:
        train(settings, run_dir=run_dir, callbacks=[timer])

    steps = args.steps * len(timer.profiled)
    per_step = {k: v / steps / 1e3 for k, v in timer.own.items()}  # ms per generator step
    matmul = sum(v for k, v in per_step.items() if k in MATMUL)
    conv = sum(v for k, v in per_step.items() if k in CONV)
    plain_ms = 1e3 * statistics.median(timer.plain)
    profiled_ms = 1e3 * statistics.median(timer.profiled)
    print(
        f"config: {' '.join(overrides) or '(defaults)'}; torch threads: {torch.get_num_threads()}"
    )
    print(f"a generator step: {plain_ms:.2f} ms ({profiled_ms:.2f} ms under the profiler)")
    for name, ms in [("matrix products", matmul), ("convolutions", conv)]:
        if ms:
            print(
                f"{name}: {ms:.2f} ms per step, {100 * ms / plain_ms:.0f}% of the step "
                f"({100 * ms / profiled_ms:.0f}% of the profiled step)"
            )
    print(f"every operator: {sum(per_step.values()):.2f} ms per step")
    print("largest other operators (ms per step, own time):")
    others = [(k, v) for k, v in per_step.items() if k not in MATMUL | CONV]
    for key, ms in sorted(others, key=lambda kv: -kv[1])[: args.top]:
        print(f"  {ms:7.3f}  {key}")


if __name__ == "__main__":
    main()
