"""How far each replica of a `train.replicas` run lies from the separate run of its seed, and how
far a separate run lies from itself on another thread count (the control).

    python benchmarks/replicas_exactness.py model=mlp dataset=ring8 loss=wgan_gp
    python benchmarks/replicas_exactness.py experiment=toy_ring8 --steps 200
    python benchmarks/replicas_exactness.py model=dcgan dataset=digits optimizer=sgd --steps 200

Any ganexp override can be given. For float32 and float64 (`trainer.precision=64-true`) it
trains K replicas together and the K separate runs, then prints, per replica, the largest
difference over all weights and buffers (and the EMA generator's, where there is one), relative to
the largest value of each tensor. The control trains the first seed's separate run again on one
thread instead of two.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

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
            torch.set_num_threads(2)
            together = [*common, f"train.replicas={args.replicas}"]
            seed = train(together, run_dir=out / "together")["config"]["train"]["seed"]
            gaps = []
            for k in range(args.replicas):
                train([*common, f"train.seed={seed + k}"], run_dir=out / f"seed{k}")
                gaps.append(relative_gap(tensors(out / "together", k), tensors(out / f"seed{k}")))
            torch.set_num_threads(1)
            train([*common, f"train.seed={seed}"], run_dir=out / "one_thread")
            torch.set_num_threads(2)
            control = relative_gap(tensors(out / "one_thread"), tensors(out / "seed0"))
        shown = ", ".join(f"{g:.1e}" for g in gaps)
        print(f"{precision}: replica k against the separate run of seed {seed} + k: {shown}")
        print(f"{precision}: control, the run of seed {seed} on 1 thread against 2: {control:.1e}")


if __name__ == "__main__":
    main()
