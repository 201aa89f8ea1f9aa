"""How far each replica of a `train.replicas` run lies from the separate run of its seed, and how
far a separate run lies from itself when one weight is nudged by one rounding step (the control).

    python benchmarks/replicas_exactness.py model=mlp dataset=ring8 loss=wgan_gp
    python benchmarks/replicas_exactness.py experiment=toy_ring8 --steps 200
    python benchmarks/replicas_exactness.py model=dcgan dataset=digits optimizer=sgd --steps 200

Any ganexp override can be given. For float32 and float64 (`trainer.precision=64-true`) it
trains K replicas together and the K separate runs, then prints, per replica, the largest
difference over all weights and buffers (and the EMA generator's, where there is one), relative to
the largest value of each tensor. The control trains the first seed's separate run again with
its first weight tensor multiplied by 1 + eps (the precision's machine epsilon) before the first
step: how much one rounding error grows over the same steps. Where the control grows to the
replicas' gap, the run itself amplifies rounding, and no two implementations can agree closer.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pytorch_lightning as pl
import torch

from ganexp import train
from ganexp.checkpoints import read_checkpoint
from ganexp.replicas import replica_state

QUIET = [
    "logger=none",
    "trainer.enable_progress_bar=false",
    "eval.every_n_g_steps=1000000",
    "train.sample_every=1000000",
    "eval.inception=false",
]


class Nudge(pl.Callback):
    """Multiplies the generator's first weight tensor by 1 + eps before training."""

    def on_train_start(self, trainer, pl_module) -> None:
        weight = next(pl_module.generator.parameters())
        with torch.no_grad():
            weight.mul_(1 + torch.finfo(weight.dtype).eps)


def tensors(run_dir: Path, replica: int | None = None) -> dict[str, torch.Tensor]:
    ckpt = read_checkpoint(run_dir)
    found = dict(ckpt["state_dict"])
    ema = ckpt.get("callbacks", {}).get("GeneratorEMA", {}).get("average", {})
    found |= {f"ema.{k}": v for k, v in ema.items()}
    return found if replica is None else replica_state(found, replica)


def relative_gap(a: dict, b: dict) -> float:
    """The largest |a - b| / max |b| over the floating tensors both hold."""
    gaps = [
        float(
            (a[k].double() - b[k].double()).abs().max() / b[k].double().abs().max().clamp(min=1e-30)
        )
        for k in b
        if b[k].is_floating_point()
    ]
    return max(gaps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("overrides", nargs="*")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    print(f"config: {' '.join(args.overrides) or '(defaults)'}; {args.steps} generator steps")
    for precision, extra in (("float32", []), ("float64", ["trainer.precision=64-true"])):
        common = [*args.overrides, *QUIET, *extra, f"train.g_steps={args.steps}"]
        seed = 0
        with tempfile.TemporaryDirectory() as out:
            out = Path(out)
            together = [*common, f"train.replicas={args.replicas}"]
            seed = train(together, run_dir=out / "together")["config"]["train"]["seed"]
            gaps = []
            for k in range(args.replicas):
                train([*common, f"train.seed={seed + k}"], run_dir=out / f"seed{k}")
                gaps.append(relative_gap(tensors(out / "together", k), tensors(out / f"seed{k}")))
            train([*common, f"train.seed={seed}"], run_dir=out / "nudged", callbacks=[Nudge()])
            control = relative_gap(tensors(out / "nudged"), tensors(out / "seed0"))
        shown = ", ".join(f"{g:.1e}" for g in gaps)
        print(f"{precision}: replica k against the separate run of seed {seed} + k: {shown}")
        print(
            f"{precision}: control, the run of seed {seed} nudged by one rounding step: {control:.1e}"
        )


if __name__ == "__main__":
    main()
