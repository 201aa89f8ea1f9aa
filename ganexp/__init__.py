"""ganexp: train, compare and understand GAN families with one command.

    from ganexp import train, load
    summary = train(["model=mlp", "dataset=ring8"])
    m = load(summary["run_dir"]); x = m.sample(1000)

Both modules import torch and Lightning only when called, so `python -m ganexp --help` stays fast.
"""

from ganexp.load import load
from ganexp.train import train

__all__ = ["load", "train"]
