"""Start-up checks: a config that cannot work stops here, before any work, with one message that
names the key and the values it allows."""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

from omegaconf import DictConfig

from ganexp.errors import ConfigError
from ganexp.names import GENERATOR_NORMS, NORMS
from ganexp.options import CONF_DIR, option_file, options
from ganexp.settings import callback_nodes, family_node, has_gradient_penalty, resolve_d_norm

__all__ = ["ConfigError", "check_bool", "check_integer", "check_positive", "validate", "validate_data"]

PRIORS = ("normal", "uniform")
LR_SCHEDULES = ("constant", "linear")


def image_datasets(dirs: Sequence[Path] = (CONF_DIR,)) -> list[str]:
    from omegaconf import OmegaConf

    return [
        n for n in options("dataset", dirs) if OmegaConf.load(option_file("dataset", n, dirs)).image
    ]


def check_positive(value, key: str, allow_zero: bool = False) -> None:
    ok = isinstance(value, (int, float)) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigError(f"{key}={value}: must be a number {bound}")


def check_bool(value, key: str) -> None:
    if not isinstance(value, bool):
        raise ConfigError(f"{key}={value}: allowed values are [true, false]")


def check_integer(value, key: str, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{key}={value}: must be an integer >= {minimum}")


def validate_optimizer(node: DictConfig, key: str) -> None:
    """The learning rate, betas and weight decay of one optimizer (torch would refuse them only
    once training starts), and no key the optimizer's class does not take (a preset's Adam
    `betas` left under `optimizer=sgd`)."""
    import inspect

    from hydra.utils import get_class

    check_positive(node.lr, f"{key}.lr")
    target = node.get("_target_")
    if target:
        takes = inspect.signature(get_class(target)).parameters
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in takes.values()):
            allowed = [n for n in takes if n != "params"]
            for name in node:
                if name != "_target_" and name not in takes:
                    raise ConfigError(
                        f"{key}.{name}={node[name]}: {target} takes no {name}; its keys are "
                        f"{allowed} (remove it with ~{key}.{name})"
                    )
    betas = node.get("betas")
    if betas is not None:
        values = list(betas)
        if len(values) != 2 or not all(
            isinstance(b, (int, float)) and not isinstance(b, bool) and 0 <= b < 1 for b in values
        ):
            raise ConfigError(f"{key}.betas={values}: must be two numbers in [0, 1)")
    if "weight_decay" in node:
        check_positive(node.weight_decay, f"{key}.weight_decay", allow_zero=True)


def validate_paths(cfg: DictConfig) -> None:
    """Files named in the config exist (a run must not find out at its first evaluation)."""
    start = cfg.train.get("init_generator")
    if start is not None:
        from ganexp.checkpoints import find_checkpoint

        find_checkpoint(start, key="train.init_generator")
    weights = cfg.eval.get("inception_weights")
    if weights and not Path(str(weights)).expanduser().is_file():
        raise ConfigError(
            f"eval.inception_weights={weights}: no such file; expected the Inception-v3 weights "
            "file (weights-inception-2015-12-05-6726825d.pth), or null"
        )


def validate(cfg: DictConfig, dirs: Sequence[Path] = (CONF_DIR,)) -> None:
    """Raise ConfigError for the first key that cannot work; warn where it works against advice.
    `dirs` are the config folders (ganexp's and the user's) whose options the messages name."""
    from hydra.utils import get_class

    from ganexp.losses import OBJECTIVE_NAMES

    m, loss, data = cfg.model, cfg.loss, cfg.dataset
    objective = loss.objective
    by_reference = isinstance(objective, DictConfig) and "_target_" in objective
    if not by_reference and objective not in OBJECTIVE_NAMES:
        raise ConfigError(
            f"loss.objective={objective}: allowed values are {sorted(OBJECTIVE_NAMES)}, or a "
            "node with a _target_ that returns a ganexp.contracts.Objective"
        )
    if objective == "fgan":
        from ganexp.losses.fdivergence import DIVERGENCES, G_OBJECTIVES

        if loss.get("divergence") not in DIVERGENCES:
            raise ConfigError(
                f"loss.divergence={loss.get('divergence')}: allowed values are {list(DIVERGENCES)}"
            )
        if loss.get("g_objective") not in G_OBJECTIVES:
            raise ConfigError(
                f"loss.g_objective={loss.get('g_objective')}: allowed values are "
                f"{list(G_OBJECTIVES)}"
            )
    if not isinstance(loss.n_critic, int) or loss.n_critic < 1:
        raise ConfigError(f"loss.n_critic={loss.n_critic}: must be an integer >= 1")
    if "clip" in loss:
        check_positive(loss.clip, "loss.clip")
    if "gp_weight" in loss:
        check_positive(loss.gp_weight, "loss.gp_weight", allow_zero=True)
    if "gp_every" in loss:
        check_integer(loss.gp_every, "loss.gp_every")
    for net in ("g", "d"):
        validate_optimizer(cfg.optimizer[net], f"optimizer.{net}")
    for key in ("g_steps", "batch_size", "checkpoint_every", "sample_every"):
        check_integer(cfg.train[key], f"train.{key}")
    check_integer(cfg.train.seed, "train.seed", minimum=0)
    check_positive(cfg.train.get("progress_every_s", 30), "train.progress_every_s")
    max_time = cfg.trainer.get("max_time")
    if max_time is not None and not re.fullmatch(r"\d+:\d\d:\d\d:\d\d", str(max_time)):
        raise ConfigError(
            f"trainer.max_time={max_time}: a wall-clock budget as DD:HH:MM:SS "
            "(e.g. 00:00:05:00 for five minutes), or null"
        )
    check_integer(cfg.train.get("g_warmup", 0), "train.g_warmup", minimum=0)
    check_bool(cfg.train.get("freeze_generator", False), "train.freeze_generator")
    for key in ("every_n_g_steps", "num_samples", "nearest_k"):
        check_integer(cfg.eval[key], f"eval.{key}")
    check_integer(m.z_dim, "model.z_dim")
    validate_paths(cfg)
    validate_callbacks(cfg.get("callbacks", {}))
    validate_best(cfg.train)
    validate_replicas(cfg)
    schedule = cfg.train.get("lr_schedule", "constant")
    if schedule not in LR_SCHEDULES:
        raise ConfigError(f"train.lr_schedule={schedule}: allowed values are {list(LR_SCHEDULES)}")
    if m.prior not in PRIORS:
        raise ConfigError(f"model.prior={m.prior}: allowed values are {list(PRIORS)}")
    if m.d_norm not in ("auto", *NORMS):
        raise ConfigError(f"model.d_norm={m.d_norm}: allowed values are {['auto', *NORMS]}")
    if has_gradient_penalty(cfg) and resolve_d_norm(cfg) == "batch":
        raise ConfigError(
            f"model.d_norm=batch with loss={loss.name}"
            f"{' and callbacks=r1' if 'r1' in cfg.get('callbacks', {}) else ''}: a gradient "
            "penalty is per sample and BatchNorm mixes samples; allowed values are "
            "['auto', 'layer', 'none', 'spectral']"
        )
    if m.image_only and not data.image:
        raise ConfigError(
            f"model={m.name} needs images but dataset={data.name} is point data; "
            f"allowed datasets are {image_datasets(dirs)} (or model=mlp for any data)"
        )
    if "image_sizes" in m and data.image_size not in m.image_sizes:
        raise ConfigError(
            f"dataset.image_size={data.image_size}: model={m.name} allows {list(m.image_sizes)}"
        )
    family = get_class(family_node(cfg)._target_)
    if hasattr(family, "check_config"):  # the family's own rules (LAPGAN, the VAE)
        family.check_config(cfg)
    conditional = m.get("conditional", False)
    if not isinstance(conditional, bool):
        raise ConfigError(f"model.conditional={conditional}: allowed values are [true, false]")
    if conditional and "embed_dim" not in m:
        raise ConfigError(
            f"model.conditional=true with model={m.name}: allowed models are "
            f"{[n for n in options('model', dirs) if n != 'gaussian']}"
        )
    if m.name == "mlp":
        g_norm, pieces = m.generator.get("norm", "none"), m.discriminator.get("maxout", 1)
        if g_norm not in GENERATOR_NORMS:
            raise ConfigError(
                f"model.generator.norm={g_norm}: allowed values are {list(GENERATOR_NORMS)}"
            )
        if not (isinstance(pieces, int) and pieces >= 1):
            raise ConfigError(
                f"model.discriminator.maxout={pieces}: must be an integer >= 1 (1: LeakyReLU)"
            )
    packs = m.get("pack", 1)
    if not (isinstance(packs, int) and packs >= 1):
        raise ConfigError(f"model.pack={packs}: must be an integer >= 1 (1: no packing)")
    if packs > 1 and (m.name == "lapgan" or objective == "elbo"):
        raise ConfigError(
            f"model.pack={packs} with model={m.name} loss={loss.name}: packing needs one "
            "discriminator judging whole samples; allowed values are [1]"
        )
    check_rejection(cfg)
    if cfg.train.get("freeze_generator") and (m.name == "lapgan" or objective == "elbo"):
        raise ConfigError(
            f"train.freeze_generator=true with model={m.name} loss={loss.name}: freezing G is for "
            "the families that alternate one G and one D; allowed values are [false]"
        )
    if conditional and not (isinstance(m.embed_dim, int) and m.embed_dim >= 1):
        raise ConfigError(f"model.embed_dim={m.embed_dim}: must be an integer >= 1")
    for key in ("compile", "channels_last"):
        if not isinstance(cfg.get(key, False), bool):
            raise ConfigError(f"{key}={cfg[key]}: allowed values are [true, false]")
    metric = cfg.get("metric")
    if metric is not None and not (
        isinstance(metric, str) and metric.startswith(("train/", "val/"))
    ):
        raise ConfigError(f"metric={metric}: allowed values are null or a train/ or val/ key")
    if cfg.get("channels_last") and not data.image:
        raise ConfigError(
            f"channels_last=true needs images but dataset={data.name} is point data; "
            "allowed values are [false]"
        )
    if objective == "wgan" and "clip" in loss and cfg.optimizer.name.startswith("adam"):
        warnings.warn(
            f"optimizer={cfg.optimizer.name} with loss={loss.name}: the WGAN paper reports that "
            "momentum-based optimizers make weight-clipped critics unstable; optimizer=rmsprop is "
            "its choice",
            stacklevel=2,
        )


def check_rejection(cfg: DictConfig) -> None:
    """`sampling.rejection` reads log p_data / p_G from one unconditional discriminator trained
    by cross-entropy (ganexp/sampling.py): the run's own, under loss gan or ns, or a copy
    calibrated by cross-entropy for `sampling.calibrate_steps` steps under any loss."""
    sampling = cfg.get("sampling", {})
    rejection, steps = sampling.get("rejection", False), sampling.get("calibrate_steps", 0)
    if not isinstance(rejection, bool):
        raise ConfigError(f"sampling.rejection={rejection}: allowed values are [true, false]")
    check_integer(steps, "sampling.calibrate_steps", minimum=0)
    if not rejection:
        return
    m, loss = cfg.model, cfg.loss
    conditional = m.get("conditional", False)
    if loss.name == "vae" or m.name == "lapgan" or conditional:
        raise ConfigError(
            f"sampling.rejection=true with model={m.name} loss={loss.name}"
            f"{' model.conditional=true' if conditional else ''}: rejection sampling reads "
            "log p_data / p_G from one unconditional discriminator; it is for adversarial "
            "losses, without lapgan or model.conditional"
        )
    if loss.objective not in ("gan", "ns") and steps == 0:
        raise ConfigError(
            f"sampling.rejection=true with loss={loss.name} and sampling.calibrate_steps=0: "
            "only a critic trained by cross-entropy (loss gan or ns) reads as log p_data / p_G; "
            "set sampling.calibrate_steps to an integer >= 1 (e.g. 2000) to calibrate a copy of it"
        )


def validate_best(train: DictConfig) -> None:
    """`train.keep_best` and `train.early_stopping` act on an evaluation metric (`val/...`)."""
    stop = train.get("early_stopping") or {}
    for key, metric in (
        ("train.keep_best", train.get("keep_best")),
        ("train.early_stopping.metric", stop.get("metric")),
    ):
        if metric is not None and not (isinstance(metric, str) and metric.startswith("val/")):
            raise ConfigError(f"{key}={metric}: allowed values are null or a val/ metric")
    if stop.get("metric") is not None:
        check_integer(stop.get("patience"), "train.early_stopping.patience")
        check_positive(stop.get("min_delta"), "train.early_stopping.min_delta", allow_zero=True)


def validate_replicas(cfg: DictConfig) -> None:
    """`train.replicas` = K > 1 trains K seeds as one vectorised model (ganexp/replicas.py): the
    adversarial families' own training step, and callbacks that know about replicas."""
    from hydra.utils import get_class

    from ganexp.families.base import AdversarialFamily

    count = cfg.train.get("replicas", 1)
    check_integer(count, "train.replicas")
    if count == 1:
        return
    key = f"train.replicas={count}"
    separately = "run its seeds as separate runs instead (-m train.seed=0,1,2,3,4)"
    family = get_class(family_node(cfg)._target_)
    if not (
        issubclass(family, AdversarialFamily)
        and family.training_step is AdversarialFamily.training_step
    ):
        raise ConfigError(
            f"{key}: the {family.__name__} family (model={cfg.model.name}, loss={cfg.loss.name}) "
            f"trains in its own steps, which are not vectorised; {separately}"
        )
    for node in callback_nodes(cfg):
        made = get_class(node._target_)
        if not getattr(made, "supports_replicas", False):
            raise ConfigError(
                f"{key}: the callback {made.__name__} ({node._target_}) does not know about "
                f"replicas (a class attribute supports_replicas = True says it does); {separately}"
            )
    if resolve_d_norm(cfg) == "spectral":
        raise ConfigError(
            f"{key}: model.d_norm=spectral updates its power iteration in place (out=), which "
            f"torch.vmap cannot batch; choose another model.d_norm (none, layer, batch) or "
            f"{separately}"
        )
    refused = {
        "train.keep_best": cfg.train.get("keep_best"),
        "train.early_stopping.metric": (cfg.train.get("early_stopping") or {}).get("metric"),
        "train.init_generator": cfg.train.get("init_generator"),
        "compile": cfg.get("compile") or None,
        "channels_last": cfg.get("channels_last") or None,
    }
    for name, value in refused.items():
        if value is not None:
            raise ConfigError(
                f"{key}: {name}={value} acts on one run's nets, not on replicas; set it to its "
                f"default or {separately}"
            )


def validate_callbacks(callbacks: DictConfig) -> None:
    """The keys of the callbacks chosen with `callbacks=[...]` (conf/callbacks/)."""
    if "r1" in callbacks:
        check_positive(callbacks.r1.gamma, "callbacks.r1.gamma", allow_zero=True)
        check_integer(callbacks.r1.get("every", 1), "callbacks.r1.every")
    if "ema" in callbacks:
        decay = callbacks.ema.decay
        if not (isinstance(decay, float) and 0 < decay < 1):
            raise ConfigError(f"callbacks.ema.decay={decay}: must be a number in (0, 1)")
    if "diagnostics" in callbacks:
        from ganexp.losses import OBJECTIVES

        node = callbacks.diagnostics
        check_integer(node.every, "callbacks.diagnostics.every")
        check_integer(node.g_repeats, "callbacks.diagnostics.g_repeats")
        unknown = [o for o in node.g_objectives if o not in OBJECTIVES]
        if unknown:
            raise ConfigError(
                f"callbacks.diagnostics.g_objectives={list(node.g_objectives)}: unknown "
                f"{unknown}; allowed values are {list(OBJECTIVES)}"
            )
        for key in ("input_gradients", "histograms"):
            check_bool(node[key], f"callbacks.diagnostics.{key}")
    if "instance_noise" in callbacks:
        check_positive(
            callbacks.instance_noise.std, "callbacks.instance_noise.std", allow_zero=True
        )
        check_positive(
            callbacks.instance_noise.anneal_g_steps, "callbacks.instance_noise.anneal_g_steps"
        )


def check_datamodule(datamodule, labelled: bool = False) -> None:
    """`datamodule` is a GANDataModule whose `sample(n)` (and `sample_labelled(n)` for a
    conditional model) gives what its `shape` and `num_classes` say."""
    import torch

    from ganexp.data.base import GANDataModule

    what = f"dataset.datamodule ({type(datamodule).__module__}.{type(datamodule).__name__})"
    if not isinstance(datamodule, GANDataModule):
        raise ConfigError(f"{what}: must be a ganexp.contracts.GANDataModule")
    shape = getattr(datamodule, "shape", None)
    if not (isinstance(shape, (tuple, list)) and shape and all(isinstance(s, int) for s in shape)):
        raise ConfigError(f"{what}: `shape` is {shape!r}; it must be the sample shape, e.g. (2,)")
    gen = torch.Generator().manual_seed(0)
    x = datamodule.sample(2, gen)
    if not torch.is_tensor(x) or tuple(x.shape) != (2, *shape):
        got = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
        raise ConfigError(f"{what}: sample(2) gives {got}; its `shape` says {(2, *shape)}")
    if labelled and datamodule.num_classes is not None:
        _, y = datamodule.sample_labelled(2, gen)
        k = datamodule.num_classes
        if y.dtype != torch.int64 or y.shape != (2,) or not bool(((y >= 0) & (y < k)).all()):
            raise ConfigError(
                f"{what}: sample_labelled(2) labels must be int64 of shape (2,) in [0, {k})"
            )


def validate_data(cfg: DictConfig, datamodule, dirs: Sequence[Path] = (CONF_DIR,)) -> None:
    """Checks that need the data's shape or labels (known once the datamodule is set up, before
    training), the datamodule's own contract (contracts.GANDataModule) first."""
    check_datamodule(datamodule, bool(cfg.model.get("conditional")))
    dim = math.prod(datamodule.shape)
    if cfg.model.get("conditional") and datamodule.num_classes is None:
        from hydra.utils import get_class
        from omegaconf import OmegaConf

        labelled = [
            n
            for n in options("dataset", dirs)
            if getattr(
                get_class(OmegaConf.load(option_file("dataset", n, dirs)).datamodule._target_),
                "has_labels",
                False,
            )
        ]
        raise ConfigError(
            f"model.conditional=true needs class labels, and dataset={cfg.dataset.name} has none; "
            f"allowed datasets are {labelled}"
        )
    if cfg.model.name == "gaussian":
        check_gaussian(cfg.model.generator, dim)
    if cfg.model.name == "gaussian" and cfg.model.z_dim != dim:
        raise ConfigError(
            f"model.z_dim={cfg.model.z_dim}: model=gaussian draws x = mu + sigma * z, so z_dim "
            f"must equal the data dimension of dataset={cfg.dataset.name}, {dim}"
        )


def check_gaussian(node: DictConfig, dim: int) -> None:
    """model=gaussian's `mu` and `sigma`: one number, or one per data dimension; sigma > 0."""
    from omegaconf import ListConfig

    for key in ("mu", "sigma"):
        value = node[key]
        values = list(value) if isinstance(value, ListConfig) else [value]
        ok = len(values) in (1, dim) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
        )
        if not ok or (key == "sigma" and min(values) <= 0):
            bound = " > 0" if key == "sigma" else ""
            per_dim = f" or {dim} numbers{bound} (one per data dimension)" if dim > 1 else ""
            raise ConfigError(f"model.generator.{key}={value}: must be one number{bound}{per_dim}")
