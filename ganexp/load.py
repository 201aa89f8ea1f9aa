"""Rebuild a trained family module from a checkpoint, for sampling without training."""

from __future__ import annotations

from pathlib import Path

from omegaconf import OmegaConf


def load(path: str | Path, which: str = "last"):
    """The family module saved in a run directory (its `which` checkpoint: `last`, or `best` with
    `train.keep_best`) or a .ckpt file, in eval mode.

    It has `.generator`, `.discriminator` and `.sample(n)` (a tensor in data space, from the EMA
    generator where the run averaged one, through rejection sampling where the run used it).
    """
    from ganexp.build import build_datamodule, build_family
    from ganexp.checkpoints import read_checkpoint

    ckpt = read_checkpoint(path, which)
    cfg = OmegaConf.create(ckpt["ganexp"]["config"])
    datamodule = build_datamodule(cfg)
    module = build_family(cfg, tuple(datamodule.shape), ckpt["ganexp"].get("num_classes"))
    module.load_state_dict(ckpt["state_dict"])
    ema = cfg.get("callbacks", {}).get("ema")
    if ema is not None:  # sample from the averaged generator, as the run did
        from ganexp.callbacks.ema import averaged

        average = averaged(module.generator, ema.decay)
        average.load_state_dict(ckpt["callbacks"]["GeneratorEMA"]["average"])
        module.samplers["ema"] = average.module
    module.g_step = ckpt["ganexp"]["g_step"]
    module.real_sampler = lambda n, gen: real_samples(datamodule, n, gen)
    return module.eval()


def real_samples(datamodule, n: int, generator):
    """`n` data samples (the data are read on first use: only a calibrated rejection sampler,
    `sampling.calibrate_steps`, needs them)."""
    datamodule.setup("fit")  # once: setup returns at once when the data are there
    return datamodule.sample(n, generator)
