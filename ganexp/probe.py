"""Arjovsky & Bottou's probe (2017, Figures 2 and 3), on any finished run.

    python -m ganexp.probe RUN [overrides]

freezes the run's trained generator, trains a fresh discriminator from scratch against it and
records the generator's gradient as D improves: `train/g_grad_norm` (the loss the probe's D plays)
and, by default, `train/g_grad_norm/gan` and `train/g_grad_norm/ns` side by side, the saturating
loss and the -log D trick at the same D, each the mean and spread over `g_repeats` noise batches.

The probe is an ordinary run (its own directory, logs, summary) of the run's own model and data
with `train.init_generator=RUN train.freeze_generator=true` and one critic step per step, so
`train.g_steps` counts the fresh D's steps. Overrides change anything, e.g. `loss=gan` (D trained
by cross-entropy), `train.g_steps=5000`, `train.seed=3` (another fresh D).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

# what makes a run a probe; the run's own overrides come first, the user's last
PROBE = [
    "resume=null",
    "train.freeze_generator=true",
    "loss.n_critic=1",
    "train.g_steps=2000",
    "train.sample_every=${train.g_steps}",
    "train.checkpoint_every=${train.g_steps}",
    "eval.every_n_g_steps=${train.g_steps}",
    "callbacks=[diagnostics]",
    "callbacks.diagnostics.g_objectives=[gan,ns]",
    "callbacks.diagnostics.g_repeats=4",
    "callbacks.diagnostics.input_gradients=false",
]
# the run's overrides that a probe does not inherit: its own callbacks, and any it restates
DROPPED = ("callbacks", "resume", "train.init_generator", "train.freeze_generator")


def key_of(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def probe_overrides(run: str | Path, overrides: Sequence[str] = ()) -> list[str]:
    """The overrides of a probe of `run` (a run directory or .ckpt), with the user's `overrides`.

    A group the user sets again (`loss=gan`) drops the run's keys inside that group
    (`loss.gp_weight=...`), which the new option may not have."""
    from ganexp.checkpoints import find_checkpoint, read_checkpoint
    from ganexp.train import merge_overrides

    checkpoint = find_checkpoint(run, key="run")
    inherited = read_checkpoint(checkpoint)["ganexp"]["overrides"]
    regrouped = {key_of(o) for o in overrides if "." not in key_of(o)}
    kept = [
        o
        for o in inherited
        if not key_of(o).startswith(DROPPED) and key_of(o).split(".")[0] not in regrouped
    ]
    start = f"train.init_generator={checkpoint.resolve()}"
    return merge_overrides(kept, [*PROBE, start, *overrides])


def probe(
    run: str | Path, overrides: Sequence[str] = (), run_dir: str | Path | None = None
) -> dict:
    """Arjovsky & Bottou's probe of `run` (a run directory or a .ckpt): its generator frozen, a
    fresh discriminator trained from scratch against it, the generator's gradient recorded as D
    improves (`train/g_grad_norm/gan`, `train/g_grad_norm/ns`). `overrides` change anything, as
    on the command line; the probe is an ordinary run in `run_dir`. Returns its summary."""
    from ganexp.train import train

    return train(probe_overrides(run, overrides), run_dir=run_dir)


def main(argv: Sequence[str]) -> int:
    from ganexp.errors import ConfigError

    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    try:
        summary = probe(argv[0], argv[1:])
    except ConfigError as err:
        print(f"ganexp.probe: {err}", file=sys.stderr)
        return 1
    norms = {k: v for k, v in summary.items() if k.startswith("train/g_grad_norm")}
    print(f"ganexp.probe: {summary['run_dir']}: after {summary['g_steps']} D steps {norms}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
