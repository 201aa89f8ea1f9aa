"""Steady-state generator steps per second: ganexp against a plain PyTorch loop, and their ratio.

    python benchmarks/throughput.py                  # the three standard steps, then a table
    python benchmarks/throughput.py --startup 5      # ... and the main job's start-up time
    python benchmarks/throughput.py model=mlp loss=ns dataset=ring8   # one config

Any ganexp override can be given. Both sides use the same nets (built from the config), the same
optimizers with the same hyperparameters, objective, batch size, n_critic, data (drawn the same
way) and gradient penalty or weight clipping. The plain loop is what one would write by hand: no
logging, no callbacks, the critic frozen during the generator step, torch's default
implementation of each optimizer (`torch.optim.Adam(params, lr=..., betas=...)`: no `fused` or
`foreach` chosen), and D called on the real and on the fake batch in turn. One generator step (with its n_critic critic steps) is
the unit. Each side warms up for `--warmup` steps; then `--repeats` pairs of blocks of `--steps`
steps alternate (a plain block, then a ganexp block, from inside the ganexp run), so that each
ratio compares blocks timed side by side on a machine whose speed drifts; the median ratio and the
median rates are reported. With a gradient penalty the script also times one critic step with and
without the penalty. Evaluation, samples and checkpoints are pushed past the timed window (they are
not per-step costs); logging stays as configured (`logger=...`, default none here).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytorch_lightning as pl
import torch

from ganexp import train
from ganexp.build import build, build_datamodule
from ganexp.config import make_plan
from ganexp.losses import make_objective
from ganexp.losses.adversarial import gradient_penalty
from ganexp.options import located
from ganexp.train import compose

FAR = 10**9


def device_of(cfg) -> torch.device:
    """The device the config's trainer would use (the first GPU unless the accelerator is cpu)."""
    wants_gpu = cfg.trainer.accelerator != "cpu" and torch.cuda.is_available()
    return torch.device("cuda" if wants_gpu else "cpu")


def clock(device: torch.device) -> float:
    """The time once the device has finished its queued work (a sync only at block edges)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


IMPLEMENTATION = ("fused", "foreach", "capturable")  # how an optimizer runs, not what it does


def hand_written(spec, params) -> torch.optim.Optimizer:
    """The config's optimizer with its hyperparameters, as one writes it by hand: torch's default
    implementation (no `fused` or `foreach` chosen)."""
    kwargs = {k: v for k, v in spec.items() if k != "_target_" and k not in IMPLEMENTATION}
    return located(spec._target_)(params, **kwargs)


class PlainLoop:
    """The same game written by hand, from the same config."""

    def __init__(self, overrides: list[str]):
        cfg = compose(overrides)
        plan = make_plan(cfg)
        torch.manual_seed(cfg.train.seed)
        self.device = device_of(cfg)
        self.data = build_datamodule(plan)
        self.data.setup("fit")
        shape = tuple(self.data.shape)
        self.G = build(cfg.model.generator, shape=shape).to(self.device)
        self.D = build(cfg.model.discriminator, shape=shape, norm=plan.d_norm)
        self.D.to(self.device)
        self.opt_g = hand_written(cfg.optimizer.g, self.G.parameters())
        self.opt_d = hand_written(cfg.optimizer.d, self.D.parameters())
        self.objective = make_objective(
            cfg.loss.objective, cfg.loss.get("divergence"), cfg.loss.get("g_objective")
        )
        self.n_critic, self.batch, self.z_dim = (
            cfg.loss.n_critic,
            cfg.train.batch_size,
            cfg.model.z_dim,
        )
        callbacks = cfg.loss.get("callbacks") or {}
        gp = callbacks.get("gradient_penalty")
        self.gp = (gp.weight, gp.get("one_sided", False)) if gp else None
        clip = callbacks.get("weight_clipping")
        self.clip = clip.clip if clip else None
        self.rng = torch.Generator().manual_seed(cfg.train.seed)

    def critic_step(self, real: torch.Tensor, penalty: bool) -> None:
        with torch.no_grad():
            fake = self.G(self.noise(len(real)))
        loss = self.objective.d_loss(self.D(real), self.D(fake))
        if penalty:
            weight, one_sided = self.gp
            loss = loss + weight * gradient_penalty(
                self.D, real, fake, torch.rand(len(real), device=self.device), one_sided
            )
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        if self.clip is not None:
            with torch.no_grad():
                for p in self.D.parameters():
                    p.clamp_(-self.clip, self.clip)

    def generator_step(self) -> None:
        x = self.data.sample(self.n_critic * self.batch, self.rng).to(self.device)
        for real in x.chunk(self.n_critic):
            self.critic_step(real, penalty=self.gp is not None)
        self.D.requires_grad_(False)
        g_loss = self.objective.g_loss(self.D(self.G(self.noise(self.batch))))
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        self.D.requires_grad_(True)

    def noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.z_dim, device=self.device)

    def block_rate(self, steps: int) -> float:
        """Generator steps per second over `steps` steps."""
        start = clock(self.device)
        for _ in range(steps):
            self.generator_step()
        return steps / (clock(self.device) - start)

    def critic_step_seconds(self, penalty: bool, steps: int, repeats: int) -> float:
        """Median seconds of one critic step (with or without the penalty)."""
        real = self.data.sample(self.batch, self.rng).to(self.device)
        self.critic_step(real, penalty)  # warm-up
        blocks = []
        for _ in range(repeats):
            start = clock(self.device)
            for _ in range(steps):
                self.critic_step(real, penalty)
            blocks.append((clock(self.device) - start) / steps)
        return statistics.median(blocks)


def quiet(overrides: list[str], g_steps: int) -> list[str]:
    """A run of `g_steps` generator steps of `overrides` with no logger, and its evaluation,
    pictures and checkpoints pushed past its end (they are not per-step costs)."""
    return [
        "logger=none",
        *overrides,
        f"train.g_steps={g_steps}",
        f"train.sample_every={FAR}",
        f"train.checkpoint_every={FAR}",
        f"eval.every_n_g_steps={FAR}",
        "eval.num_samples=64",
        "eval.inception=false",
    ]


class Interleaved(pl.Callback):
    """Times ganexp in blocks of `steps` generator steps after `warmup`, and runs one block of the
    plain loop before each, so every ganexp block has a plain block measured next to it (the
    machine's speed drifts; adjacent blocks see the same machine)."""

    def __init__(self, plain: PlainLoop, warmup: int, steps: int, repeats: int):
        self.plain, self.warmup, self.steps, self.repeats = plain, warmup, steps, repeats
        self.done, self.start = 0, 0.0
        self.ours: list[float] = []
        self.theirs: list[float] = []

    def on_train_batch_end(self, trainer, module, *args) -> None:
        self.done += 1
        since = self.done - self.warmup
        if since < 0 or since % self.steps:
            return
        if since:
            self.ours.append(self.steps / (clock(module.device) - self.start))
        if len(self.ours) < self.repeats:
            self.theirs.append(self.plain.block_rate(self.steps))
            self.start = clock(module.device)


def interleaved_rates(
    plain: PlainLoop, overrides: list[str], warmup: int, steps: int, repeats: int
) -> tuple[list[float], list[float]]:
    """(ganexp, plain) generator steps per second of `repeats` pairs of adjacent blocks."""
    plain.block_rate(warmup)  # the plain loop's own warm-up
    timer = Interleaved(plain, warmup, steps, repeats)
    settings = ["trainer.enable_progress_bar=false", *quiet(overrides, warmup + steps * repeats)]
    with tempfile.TemporaryDirectory() as run_dir:
        train(settings, run_dir=run_dir, callbacks=[timer])
    return timer.ours, timer.theirs


# the three steps every change is measured on: (overrides, warm-up, steps per block, pairs)
STANDARD = [
    (["model=dcgan", "loss=wgan_gp", "dataset=digits", "dataset.image_size=32"], 5, 10, 5),
    (["model=mlp", "loss=ns", "dataset=ring8"], 20, 50, 11),
    (["model=mlp", "loss=wgan_gp", "dataset=ring8"], 10, 20, 7),
]


def compare(overrides: list[str], warmup: int, steps: int, repeats: int) -> float:
    """Print ganexp's and the plain loop's rates for one config; return the median ratio."""
    plain = PlainLoop(overrides)
    ours, theirs = interleaved_rates(plain, overrides, warmup, steps, repeats)
    ratio = statistics.median(g / p for g, p in zip(ours, theirs))
    print(
        f"config: {' '.join(overrides) or '(defaults)'}; device: {plain.device}; "
        f"torch threads: {torch.get_num_threads()}"
    )
    for name, rates in [("plain PyTorch loop", theirs), ("ganexp", ours)]:
        print(f"{name + ':':19s} {statistics.median(rates):8.2f} generator steps/s (median block)")
    print(f"ratio ganexp / plain: {ratio:.3f} (median of {len(ours)} adjacent pairs)")
    if plain.gp is not None:
        with_gp = plain.critic_step_seconds(True, steps, repeats)
        without = plain.critic_step_seconds(False, steps, repeats)
        print(
            f"critic step: {1e3 * with_gp:.2f} ms with the penalty, {1e3 * without:.2f} ms "
            f"without; ratio {with_gp / without:.2f}"
        )
    return ratio


def startup_seconds(overrides: list[str]) -> tuple[float, float]:
    """(command to exit, composed config to the end of the first step) of a one-step run of
    `python -m ganexp` in a fresh process: its evaluation, pictures and checkpoints pushed past the
    run, so what is left after the step is the final checkpoint and the summary."""
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "ganexp", *quiet(overrides, 1), f"hydra.run.dir={out}/run"]
        start = time.perf_counter()
        subprocess.run(
            cmd, check=True, capture_output=True, env={**os.environ, "WANDB_MODE": "disabled"}
        )
        wall = time.perf_counter() - start
        summary = json.loads((Path(out) / "run" / "summary.json").read_text())
    return wall, summary["time_to_first_step_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warmup", type=int, default=20, help="generator steps before timing")
    parser.add_argument("--steps", type=int, default=50, help="generator steps per timed block")
    parser.add_argument(
        "--repeats", type=int, default=11, help="timed pairs of blocks (median reported)"
    )
    parser.add_argument(
        "--startup", type=int, default=0, help="also time this many one-step runs of the main job"
    )
    args, overrides = parser.parse_known_args()

    if overrides:
        compare(overrides, args.warmup, args.steps, args.repeats)
    else:  # the three standard steps, then the table
        ratios = [compare(*standard) for standard in STANDARD]
        print("\nratio ganexp / plain (median of adjacent pairs):")
        for (config, *_), ratio in zip(STANDARD, ratios):
            print(f"  {ratio:6.3f}  {' '.join(config)}")
    if args.startup:
        runs = [startup_seconds([]) for _ in range(args.startup)]
        wall, first = (statistics.median(r[i] for r in runs) for i in (0, 1))
        print(
            f"start-up of the main job (median of {len(runs)} one-step runs): {wall:.2f} s from "
            f"the command to exit; {first:.2f} s from the composed config to the first step's end"
        )


if __name__ == "__main__":
    main()
