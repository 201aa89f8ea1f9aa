"""One way to build every object: `hydra.utils.instantiate` on its config node, plus what only the
run knows (data shape, run directory)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from hydra.utils import get_class, instantiate

from ganexp.errors import ConfigError
from ganexp.losses import Objective
from ganexp.nets.codes import DiscreteCode
from ganexp.plan import Plan

NVML_CHECK = "PYTORCH_NVML_BASED_CUDA_CHECK"


def build(node: dict, **kwargs: Any) -> Any:
    """Instantiate a `_target_` node, passing plain Python containers."""
    return instantiate(node, _convert_="all", **kwargs)


def build_datamodule(plan: Plan):
    """The dataset's GANDataModule (a user's `_target_` must be one: contracts.GANDataModule)."""
    from ganexp.data.base import GANDataModule

    run = plan.run
    datamodule = build(
        run.dataset.datamodule.spec(),
        batch_size=run.train.batch_size * run.model.pack,  # packs of `pack` samples
        draws_per_step=run.loss.n_critic,
        seed=run.train.seed,
        labelled=run.model.conditional,
    )
    if not isinstance(datamodule, GANDataModule):
        kind = type(datamodule)
        raise ConfigError(
            f"dataset.datamodule ({kind.__module__}.{kind.__name__}): must be a "
            "ganexp.contracts.GANDataModule"
        )
    datamodule.replicas = run.train.replicas  # K > 1: batches of K seeds, stacked
    return datamodule


def build_nets(plan: Plan, shape: tuple[int, ...], num_classes: int | None):
    """Generator and discriminator nets for data of `shape`. With `model.pack=m` D takes m
    samples joined along the first axis; a conditional model's nets are built for the wider
    input (z and the label's embedding; x and its one-hot label), which its family wraps; with
    `model.codes=K` G is built for K more inputs and wrapped here (nets/codes.py)."""
    model, norm, m = plan.run.model, plan.d_norm, plan.run.model.pack
    g_node, d_node = model.generator.spec(), model.discriminator.spec()
    if plan.run.loss.encoder:  # a VAE: the discriminator's net outputs mu and log sigma^2
        return build(g_node, shape=shape), build(
            d_node, shape=shape, norm=norm, out_features=2 * model.z_dim
        )
    extra = (model.embed_dim if model.conditional else 0) + model.codes  # G's inputs beside z
    generator = build(g_node, shape=shape, **({"z_dim": model.z_dim + extra} if extra else {}))
    if model.codes:
        generator = DiscreteCode(generator, model.codes, model.code_scale)
    if not model.conditional:
        return generator, build(d_node, shape=(m * shape[0], *shape[1:]), norm=norm)
    wider = (m * (shape[0] + num_classes), *shape[1:])
    return generator, build(d_node, shape=wider, norm=norm)


def build_objective(plan: Plan) -> Objective | None:
    """The loss's objective (None for the VAE's bound, which is not a game)."""
    made = build(plan.objective.spec())
    if not isinstance(made, Objective) and plan.run.loss.objective != "elbo":
        raise ConfigError(
            f"loss.objective._target_={plan.objective.target} returned {type(made).__name__}; it "
            "must return ganexp.contracts.Objective(d_loss, g_loss)"
        )
    return made


def build_family(plan: Plan, shape: tuple[int, ...], num_classes: int | None = None):
    """The family's LightningModule with freshly initialised nets for data of `shape`; with
    `train.replicas` = K > 1 one module training K seeds together (ganexp/replicas.py)."""
    if plan.run.train.replicas > 1:
        return build_replicated(plan, shape, num_classes)
    generator, discriminator = build_nets(plan, shape, num_classes)
    z_dim = getattr(generator, "noise_dim", plan.run.model.z_dim)
    module = make_family(plan, generator, discriminator, z_dim, num_classes)
    if plan.run.channels_last:
        module.generator.to(memory_format=torch.channels_last)
        module.discriminator.to(memory_format=torch.channels_last)
    if plan.run.compile:
        module.generator.compile()  # in place: parameter names and checkpoints stay the same
        if not plan.gradient_penalty:  # compiled graphs have no double backward
            module.discriminator.compile()
    return module


def build_replicated(plan: Plan, shape: tuple[int, ...], num_classes: int | None):
    """K ordinary modules, each initialised as the separate run of its seed would be (the global
    random state seeded with it first), and one module training their stacked nets."""
    from ganexp.replicas import Replicated

    views = []
    for single in plan.singles:
        pl.seed_everything(single.run.train.seed, workers=True, verbose=False)
        views.append(build_family(single, shape, num_classes))
    generator = Replicated([v.generator for v in views])
    discriminator = Replicated([v.discriminator for v in views])
    pl.seed_everything(plan.run.train.seed, workers=True, verbose=False)
    return make_family(plan, generator, discriminator, views[0].z_dim, num_classes, views)


def make_family(plan: Plan, generator, discriminator, z_dim: int, num_classes, views=None):
    """The family of `plan` around these nets (a model may bring its own family: LAPGAN)."""
    family = get_class(plan.family.target)  # nets are objects: no config conversion
    options = {k: v for k, v in plan.family.spec().items() if k != "_target_"}  # its own settings
    objective = build_objective(plan)
    return family(
        generator=generator,
        discriminator=discriminator,
        objective=objective,
        plan=plan,
        z_dim=z_dim,
        num_classes=num_classes,
        views=views,
        **options,
    )


def build_callbacks(plan: Plan, run_dir: Path) -> list[pl.Callback]:
    from pytorch_lightning.callbacks import ModelCheckpoint

    from ganexp.callbacks.best import BestCheckpoint, EarlyStop
    from ganexp.callbacks.budget import GeneratorStepBudget
    from ganexp.callbacks.evaluation import Evaluation
    from ganexp.callbacks.preemption import Preemption
    from ganexp.callbacks.progress import GeneratorStepProgress
    from ganexp.callbacks.samples import SampleGrid
    from ganexp.callbacks.snapshots import Snapshots

    train = plan.run.train
    optimizer_steps_per_g_step = plan.run.loss.n_critic + 1
    # Checkpoints hold the state after a whole generator step, which is what `resume` continues.
    warnings.filterwarnings("ignore", "Using ModelCheckpoint with manual optimization")
    progress = (
        [GeneratorStepProgress(every_s=train.progress_every_s)]
        if plan.run.trainer.enable_progress_bar
        else []
    )
    stop = train.early_stopping
    acting = [BestCheckpoint(run_dir / "checkpoints", train.keep_best)] if train.keep_best else []
    if stop.metric:
        acting.append(EarlyStop(stop.metric, stop.patience, stop.min_delta))
    every_s = train.snapshot_every_s
    snapshots = [Snapshots(run_dir / "checkpoints" / "snapshots", every_s)] if every_s else []
    return [
        *(build(node.spec()) for node in plan.callbacks),
        GeneratorStepBudget(train.g_steps),
        Evaluation(**plan.run.eval.model_dump()),
        SampleGrid(str(run_dir / "samples"), every_n_g_steps=train.sample_every),
        *acting,  # after Evaluation: they act on what it just measured
        Preemption(run_dir / "checkpoints" / "last.ckpt"),
        *snapshots,
        *progress,
        ModelCheckpoint(
            dirpath=run_dir / "checkpoints",
            save_top_k=0,
            save_last=True,
            every_n_train_steps=train.checkpoint_every * optimizer_steps_per_g_step,
        ),
    ]


def cheap_cuda_check() -> None:
    """On a machine with no visible GPU, `torch.cuda.is_available()` answers from CUDA's runtime.

    Importing Lightning sets PYTORCH_NVML_BASED_CUDA_CHECK=1, so that asking never initialises CUDA
    before a fork; torch then loads NVML afresh at every ask, and Adam asks at every step (its
    graph-capture check): on a machine without NVML an Adam step takes about twice as long. With no
    GPU visible there is no CUDA to initialise, so the runtime's answer (cached) is as safe."""
    if os.environ.get(NVML_CHECK) == "1" and torch.cuda.device_count() == 0:
        os.environ[NVML_CHECK] = "0"


def build_trainer(plan: Plan, run_dir: Path, callbacks: list, logger) -> pl.Trainer:
    """Lightning's Trainer; a setting it refuses (an accelerator that is not there, an unknown
    precision) stops the run with Lightning's own sentence, as a ConfigError."""
    from hydra.errors import InstantiationException

    cheap_cuda_check()
    node = plan.run.trainer.spec()
    try:
        return build(
            node,
            default_root_dir=str(run_dir),
            callbacks=callbacks,
            logger=logger if logger is not None else False,
        )
    except InstantiationException as err:
        cause = err.__cause__ or err
        keys = ", ".join(
            f"trainer.{k}={node.get(k)}"
            for k in ("accelerator", "devices", "num_nodes", "strategy", "precision")
        )
        raise ConfigError(f"{keys}: {str(cause).strip()}") from None


def build_run(plan: Plan, run_dir: Path, extra_callbacks: list, resumed: bool = False):
    """Everything a run fits, from its plan: (trainer, datamodule, module, logger). In the order
    that stops soonest on what cannot work: the trainer (a device that is not there), the data
    (missing files; its shape and labels: `check_contract`), the module (the nets' contract).
    `extra_callbacks` follow the configured ones; a `resumed` run keeps its own generator."""
    from ganexp.loggers import build_logger

    callbacks = [*build_callbacks(plan, run_dir), *extra_callbacks]
    logger = build_logger(plan, run_dir)
    trainer = build_trainer(plan, run_dir, callbacks, logger)
    pl.seed_everything(plan.run.train.seed, workers=True, verbose=False)
    datamodule = build_datamodule(plan)
    datamodule.setup("fit")  # missing files stop here
    datamodule.check_contract()  # its shape and labels, before any net is built
    shape = tuple(datamodule.shape)
    module = build_family(plan, shape, datamodule.num_classes)
    if plan.run.train.init_generator and not resumed:
        load_generator(module, plan.run.train.init_generator)
    module.check_nets(shape)
    return trainer, datamodule, module, logger


def load_generator(module, path) -> None:
    """`module`'s generator takes the trained generator's weights of the run or .ckpt `path`
    (`train.init_generator`); a generator of another shape is refused with one line."""
    from ganexp.checkpoints import read_checkpoint

    state = read_checkpoint(path)["state_dict"]
    weights = {
        k.removeprefix("generator."): v for k, v in state.items() if k.startswith("generator.")
    }
    try:
        module.generator.load_state_dict(weights)
    except RuntimeError as err:
        first = str(err).strip().splitlines()[-1].strip()
        raise ConfigError(
            f"train.init_generator={path}: its generator does not fit this run's model ({first})"
        ) from None
