"""Rebuild a trained family module from a checkpoint, for sampling without training."""

from __future__ import annotations

from pathlib import Path

from omegaconf import OmegaConf


def load(path: str | Path):
    """The family module saved in a run directory (its last.ckpt) or a .ckpt file, in eval mode.

    It has `.generator`, `.discriminator` and `.sample(n)` (a tensor in data space).
    """
    from ganexp.build import build_datamodule, build_family
    from ganexp.checkpoints import read_checkpoint

    ckpt = read_checkpoint(path)
    cfg = OmegaConf.create(ckpt["ganexp"]["config"])
    module = build_family(cfg, tuple(build_datamodule(cfg).shape))
    module.load_state_dict(ckpt["state_dict"])
    module.g_step = ckpt["ganexp"]["g_step"]
    return module.eval()
