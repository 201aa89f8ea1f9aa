"""Rebuild a trained family module from a checkpoint, for sampling without training."""

from __future__ import annotations

from pathlib import Path


def load(path: str | Path, which: str = "last", replica: int | None = None):
    """The family module saved in a run directory (its `which` checkpoint: `last`, or `best` with
    `train.keep_best`) or a .ckpt file, in eval mode.

    It has `.generator`, `.discriminator` and `.sample(n)` (a tensor in data space, from the EMA
    generator where the run averaged one, through rejection sampling where the run used it).

    A run of `train.replicas` = K seeds trained together needs `replica` = k in 0 ... K - 1: replica
    k comes back as the module the separate run of seed `train.seed + k` would have left.
    """
    from ganexp.build import build_datamodule, build_family
    from ganexp.checkpoints import read_checkpoint
    from ganexp.config import make_plan
    from ganexp.errors import ConfigError
    from ganexp.replicas import replica_state

    ckpt = read_checkpoint(path, which)
    plan = make_plan(ckpt["ganexp"]["config"], files=False)
    state, ema_state = ckpt["state_dict"], ckpt.get("callbacks", {}).get("GeneratorEMA", {})
    count = plan.run.train.replicas
    if count > 1 or replica is not None:
        if replica is None or not (isinstance(replica, int) and 0 <= replica < count):
            raise ConfigError(
                f"replica={replica}: {path} holds {count} replica{'s' * (count > 1)} trained "
                f"together; allowed values are {list(range(count)) if count > 1 else [None]}"
            )
        diverged = ckpt["ganexp"].get("diverged_replicas", {}).get(replica)
        if diverged is not None:
            raise ConfigError(
                f"replica={replica}: it diverged at g_step {diverged['g_step']} "
                f"({diverged['key']} = {diverged['value']}); its weights were not kept"
            )
        plan = plan.for_replica(replica)
        state = replica_state(state, replica)
        ema_state = {k: replica_state(v, replica) for k, v in ema_state.items()}
    datamodule = build_datamodule(plan)
    module = build_family(plan, tuple(datamodule.shape), ckpt["ganexp"].get("num_classes"))
    module.load_state_dict(state)
    ema = plan.run.callbacks.ema
    if ema is not None:  # sample from the averaged generator, as the run did
        from ganexp.callbacks.ema import averaged

        average = averaged(module.generator, ema.decay)
        average.load_state_dict(ema_state["average"])
        module.samplers["ema"] = average.module
    module.g_step = ckpt["ganexp"]["g_step"]
    module.real_sampler = lambda n, gen: real_samples(datamodule, n, gen)
    return module.eval()


def real_samples(datamodule, n: int, generator):
    """`n` data samples (the data are read on first use: only a calibrated rejection sampler,
    `sampling.calibrate_steps`, needs them)."""
    datamodule.setup("fit")  # once: setup returns at once when the data are there
    return datamodule.sample(n, generator)
