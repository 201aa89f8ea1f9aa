"""One way to build every object: `hydra.utils.instantiate` on its config node, plus what only the
run knows (data shape, run directory)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from hydra.utils import get_class, instantiate
from omegaconf import DictConfig, OmegaConf

from ganexp.errors import ConfigError
from ganexp.losses import Objective, make_objective
from ganexp.settings import callback_nodes, family_node, has_gradient_penalty, resolve_d_norm


def build(node: DictConfig, **kwargs: Any) -> Any:
    """Instantiate a `_target_` node, passing plain Python containers."""
    return instantiate(node, _convert_="all", **kwargs)


def build_datamodule(cfg: DictConfig):
    """The dataset's GANDataModule (a user's `_target_` must be one: contracts.GANDataModule)."""
    from ganexp.data.base import GANDataModule

    datamodule = build(
        cfg.dataset.datamodule,
        batch_size=cfg.train.batch_size * cfg.model.get("pack", 1),  # packs of `pack` samples
        draws_per_step=cfg.loss.n_critic,
        seed=cfg.train.seed,
        labelled=bool(cfg.model.get("conditional")),
    )
    datamodule.replicas = cfg.train.get("replicas", 1)  # K > 1: batches of K seeds, stacked
    if not isinstance(datamodule, GANDataModule):
        kind = type(datamodule)
        raise ConfigError(
            f"dataset.datamodule ({kind.__module__}.{kind.__name__}): must be a "
            "ganexp.contracts.GANDataModule"
        )
    return datamodule


def build_nets(cfg: DictConfig, shape: tuple[int, ...], num_classes: int | None):
    """Generator and discriminator for data of `shape`; G(z, y) and D(x, y) with
    `model.conditional=true` (labels in [0, num_classes)). With `model.pack=m` D takes m samples
    (and their one-hot labels) joined along the first axis."""
    norm, m = resolve_d_norm(cfg), cfg.model.get("pack", 1)
    if cfg.loss.get("encoder"):  # a VAE: the discriminator's net outputs mu and log sigma^2
        return build(cfg.model.generator, shape=shape), build(
            cfg.model.discriminator, shape=shape, norm=norm, out_features=2 * cfg.model.z_dim
        )
    if not cfg.model.get("conditional"):
        return build(cfg.model.generator, shape=shape), build(
            cfg.model.discriminator, shape=(m * shape[0], *shape[1:]), norm=norm
        )
    from ganexp.nets.conditional import ConditionalDiscriminator, ConditionalGenerator

    embed, wider = cfg.model.embed_dim, (m * (shape[0] + num_classes), *shape[1:])
    generator = build(cfg.model.generator, shape=shape, z_dim=cfg.model.z_dim + embed)
    discriminator = build(cfg.model.discriminator, shape=wider, norm=norm)
    return (
        ConditionalGenerator(generator, num_classes, embed),
        ConditionalDiscriminator(discriminator, num_classes),
    )


def build_objective(cfg: DictConfig) -> Objective | None:
    """The loss's objective: a built-in one by name, or the `Objective` a `_target_` returns."""
    objective = cfg.loss.objective
    if not isinstance(objective, DictConfig):
        return make_objective(objective, cfg.loss.get("divergence"), cfg.loss.get("g_objective"))
    made = build(objective)
    if not isinstance(made, Objective):
        raise ConfigError(
            f"loss.objective._target_={objective._target_} returned {type(made).__name__}; it "
            "must return ganexp.contracts.Objective(d_loss, g_loss)"
        )
    return made


def build_family(cfg: DictConfig, shape: tuple[int, ...], num_classes: int | None = None):
    """The family's LightningModule with freshly initialised nets for data of `shape`; with
    `train.replicas` = K > 1 one module training K seeds together (ganexp/replicas.py)."""
    if cfg.train.get("replicas", 1) > 1:
        return build_replicated(cfg, shape, num_classes)
    generator, discriminator = build_nets(cfg, shape, num_classes)
    if cfg.get("channels_last"):
        generator = generator.to(memory_format=torch.channels_last)
        discriminator = discriminator.to(memory_format=torch.channels_last)
    if cfg.get("compile"):
        generator.compile()  # in place: parameter names and checkpoints stay the same
        if not has_gradient_penalty(cfg):  # compiled graphs have no double backward
            discriminator.compile()
    z_dim = getattr(generator, "noise_dim", cfg.model.z_dim)
    return make_family(cfg, generator, discriminator, z_dim, num_classes)


def replica_config(cfg: DictConfig, k: int) -> DictConfig:
    """The config of the separate run that replica k of `cfg` is: seed `train.seed + k`."""
    return OmegaConf.merge(cfg, {"train": {"seed": cfg.train.seed + k, "replicas": 1}})


def build_replicated(cfg: DictConfig, shape: tuple[int, ...], num_classes: int | None):
    """K ordinary modules, each initialised as the separate run of its seed would be (the global
    random state seeded with it first), and one module training their stacked nets."""
    import pytorch_lightning as pl

    from ganexp.replicas import Replicated

    views = []
    for k in range(cfg.train.replicas):
        single = replica_config(cfg, k)
        pl.seed_everything(single.train.seed, workers=True, verbose=False)
        views.append(build_family(single, shape, num_classes))
    generator = Replicated([v.generator for v in views])
    discriminator = Replicated([v.discriminator for v in views])
    pl.seed_everything(cfg.train.seed, workers=True, verbose=False)
    return make_family(
        cfg, generator, discriminator, views[0].z_dim, num_classes, cfg.train.replicas, views
    )


def make_family(
    cfg: DictConfig,
    generator,
    discriminator,
    z_dim: int,
    num_classes: int | None,
    replicas: int = 1,
    views: list | None = None,
):
    """The family of `cfg` around these nets."""
    node = family_node(cfg)  # a model may bring its own (LAPGAN)
    family = get_class(node._target_)  # nets are objects: no config conversion
    options = {k: v for k, v in node.items() if k != "_target_"}  # the family's own settings
    return family(
        **options,
        generator=generator,
        discriminator=discriminator,
        objective=build_objective(cfg),
        n_critic=cfg.loss.n_critic,
        z_dim=z_dim,
        prior=cfg.model.prior,
        optimizer=cfg.optimizer,
        seed=cfg.train.seed,
        lr_schedule=cfg.train.get("lr_schedule", "constant"),
        g_warmup=cfg.train.get("g_warmup", 0),
        g_steps=cfg.train.g_steps,
        channels_last=bool(cfg.get("channels_last")),
        num_classes=num_classes if cfg.model.get("conditional") else None,
        pack=cfg.model.get("pack", 1),
        rejection=bool(cfg.get("sampling", {}).get("rejection", False)),
        calibrate_steps=cfg.get("sampling", {}).get("calibrate_steps", 0),
        freeze_generator=bool(cfg.train.get("freeze_generator", False)),
        run_config=OmegaConf.to_container(cfg, resolve=True),
        **({"replicas": replicas, "views": views} if replicas > 1 else {}),
    )


def build_callbacks(cfg: DictConfig, run_dir: Path) -> list[pl.Callback]:
    from pytorch_lightning.callbacks import ModelCheckpoint

    from ganexp.callbacks.best import BestCheckpoint, EarlyStop
    from ganexp.callbacks.budget import GeneratorStepBudget
    from ganexp.callbacks.evaluation import Evaluation
    from ganexp.callbacks.preemption import Preemption
    from ganexp.callbacks.progress import GeneratorStepProgress
    from ganexp.callbacks.samples import SampleGrid

    optimizer_steps_per_g_step = cfg.loss.n_critic + 1
    # Checkpoints hold the state after a whole generator step, which is what `resume` continues.
    warnings.filterwarnings("ignore", "Using ModelCheckpoint with manual optimization")
    progress = (
        [GeneratorStepProgress(every_s=cfg.train.get("progress_every_s", 30))]
        if cfg.trainer.get("enable_progress_bar", True)
        else []
    )
    best, stop = cfg.train.get("keep_best"), cfg.train.get("early_stopping") or {}
    acting = [BestCheckpoint(run_dir / "checkpoints", best)] if best else []
    if stop.get("metric"):
        acting.append(EarlyStop(stop.metric, stop.patience, stop.min_delta))
    return [
        *(build(node) for node in callback_nodes(cfg)),
        GeneratorStepBudget(cfg.train.g_steps),
        Evaluation(**OmegaConf.to_container(cfg.eval, resolve=True)),
        SampleGrid(str(run_dir / "samples"), every_n_g_steps=cfg.train.sample_every),
        *acting,  # after Evaluation: they act on what it just measured
        Preemption(run_dir / "checkpoints" / "last.ckpt"),
        *progress,
        ModelCheckpoint(
            dirpath=run_dir / "checkpoints",
            save_top_k=0,
            save_last=True,
            every_n_train_steps=cfg.train.checkpoint_every * optimizer_steps_per_g_step,
        ),
    ]


def build_trainer(cfg: DictConfig, run_dir: Path, callbacks: list, logger) -> pl.Trainer:
    """Lightning's Trainer; a setting it refuses (an accelerator that is not there, an unknown
    precision) stops the run with Lightning's own sentence, as a ConfigError."""
    from hydra.errors import InstantiationException

    try:
        return build(
            cfg.trainer,
            default_root_dir=str(run_dir),
            callbacks=callbacks,
            logger=logger if logger is not None else False,
        )
    except InstantiationException as err:
        cause = err.__cause__ or err
        keys = ", ".join(
            f"trainer.{k}={cfg.trainer.get(k)}"
            for k in ("accelerator", "devices", "num_nodes", "strategy", "precision")
        )
        raise ConfigError(f"{keys}: {str(cause).strip()}") from None


def load_generator(module, path) -> None:
    """`module`'s generator takes the trained generator's weights of the run or .ckpt `path`
    (`train.init_generator`); a generator of another shape is refused with one line."""
    from ganexp.checkpoints import read_checkpoint

    state = read_checkpoint(path)["state_dict"]
    weights = {k.removeprefix("generator."): v for k, v in state.items() if k.startswith("generator.")}
    try:
        module.generator.load_state_dict(weights)
    except RuntimeError as err:
        first = str(err).strip().splitlines()[-1].strip()
        raise ConfigError(
            f"train.init_generator={path}: its generator does not fit this run's model "
            f"({first})"
        ) from None
