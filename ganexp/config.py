"""Start-up checks: a config that cannot work stops here, before any work, with one message that
names the key and the values it allows."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

from omegaconf import DictConfig

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"
NORMS = ("batch", "layer", "none", "spectral")
PRIORS = ("normal", "uniform")
LR_SCHEDULES = ("constant", "linear")


class ConfigError(ValueError):
    """A configuration that cannot work; the message names the key and the allowed values."""


def options(group: str) -> list[str]:
    """The choices of a config group (the YAML files in conf/<group>/)."""
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


def check_group_lists(args: list[str]) -> None:
    """Every name in a list-valued group override (`callbacks=[ema,r1]`, or a sweep of such lists)
    is one of the group's options. Hydra's own message for a list omits the options."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import ChoiceSweep
    from hydra.errors import OverrideParseException

    parser = OverridesParser.create()
    for arg in (a for a in args if "=" in a and not a.startswith("-")):
        try:
            (override,) = parser.parse_overrides([arg])
        except OverrideParseException:
            continue  # Hydra reports malformed overrides itself
        group = override.key_or_group
        if override.package is not None or not (CONF_DIR / group).is_dir():
            continue
        value, allowed = override.value(), options(group)
        lists = value.list if isinstance(value, ChoiceSweep) else [value]
        unknown = [
            n for names in lists if isinstance(names, list) for n in names if n not in allowed
        ]
        if unknown:
            raise ConfigError(
                f"{group}={override.input_line.split('=', 1)[1]}: unknown {unknown}; "
                f"the options of '{group}' are {', '.join(allowed)}"
            )


def image_datasets() -> list[str]:
    from omegaconf import OmegaConf

    return [
        n for n in options("dataset") if OmegaConf.load(CONF_DIR / "dataset" / f"{n}.yaml").image
    ]


def callback_nodes(cfg: DictConfig) -> list[DictConfig]:
    """The loss's own callbacks (clipping, gradient penalty), then those chosen with `callbacks=`."""
    return [*cfg.loss.callbacks.values(), *cfg.get("callbacks", {}).values()]


def has_gradient_penalty(cfg: DictConfig) -> bool:
    """Whether a penalty on the critic's input gradient (WGAN-GP, R1) is on: it needs per-sample
    gradients (no BatchNorm critic) and a double backward (no compiled critic)."""
    targets = [str(node.get("_target_", "")) for node in callback_nodes(cfg)]
    return any(t.endswith(("GradientPenalty", "R1Penalty")) for t in targets)


def resolve_d_norm(cfg: DictConfig) -> str:
    """`model.d_norm=auto`: layer norm where a gradient penalty needs per-sample gradients, else
    BatchNorm for DCGAN and none for the MLP."""
    norm = cfg.model.d_norm
    if norm != "auto":
        return norm
    if has_gradient_penalty(cfg):
        return "layer"
    return "batch" if cfg.model.image_only else "none"


def _positive(value, key: str, allow_zero: bool = False) -> None:
    ok = isinstance(value, (int, float)) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigError(f"{key}={value}: must be a number {bound}")


def validate(cfg: DictConfig) -> None:
    """Raise ConfigError for the first key that cannot work; warn where it works against advice."""
    from ganexp.losses import OBJECTIVE_NAMES

    m, loss, data = cfg.model, cfg.loss, cfg.dataset
    if loss.objective not in OBJECTIVE_NAMES:
        raise ConfigError(
            f"loss.objective={loss.objective}: allowed values are {sorted(OBJECTIVE_NAMES)}"
        )
    if loss.objective == "fgan":
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
        _positive(loss.clip, "loss.clip")
    if "gp_weight" in loss:
        _positive(loss.gp_weight, "loss.gp_weight", allow_zero=True)
    for net in ("g", "d"):
        _positive(cfg.optimizer[net].lr, f"optimizer.{net}.lr")
    for key in ("g_steps", "batch_size", "checkpoint_every", "sample_every"):
        _positive(cfg.train[key], f"train.{key}")
    for key in ("every_n_g_steps", "num_samples", "nearest_k"):
        _positive(cfg.eval[key], f"eval.{key}")
    validate_callbacks(cfg.get("callbacks", {}))
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
            f"allowed datasets are {image_datasets()} (or model=mlp for any data)"
        )
    if "image_sizes" in m and data.image_size not in m.image_sizes:
        raise ConfigError(
            f"dataset.image_size={data.image_size}: model={m.name} allows {list(m.image_sizes)}"
        )
    if loss.objective == "elbo":
        validate_vae(cfg)
    if m.name == "lapgan":
        validate_lapgan(cfg)
    conditional = m.get("conditional", False)
    if not isinstance(conditional, bool):
        raise ConfigError(f"model.conditional={conditional}: allowed values are [true, false]")
    if conditional and "embed_dim" not in m:
        raise ConfigError(
            f"model.conditional=true with model={m.name}: allowed models are "
            f"{[n for n in options('model') if n != 'gaussian']}"
        )
    if m.name == "mlp":
        g_norm, pieces = m.generator.get("norm", "none"), m.discriminator.get("maxout", 1)
        if g_norm not in ("none", "batch", "layer"):
            raise ConfigError(
                f"model.generator.norm={g_norm}: allowed values are ['none', 'batch', 'layer']"
            )
        if not (isinstance(pieces, int) and pieces >= 1):
            raise ConfigError(
                f"model.discriminator.maxout={pieces}: must be an integer >= 1 (1: LeakyReLU)"
            )
    packs = m.get("pack", 1)
    if not (isinstance(packs, int) and packs >= 1):
        raise ConfigError(f"model.pack={packs}: must be an integer >= 1 (1: no packing)")
    if packs > 1 and (m.name == "lapgan" or loss.objective == "elbo"):
        raise ConfigError(
            f"model.pack={packs} with model={m.name} loss={loss.name}: packing needs one "
            "discriminator judging whole samples; allowed values are [1]"
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
    if loss.objective == "wgan" and "clip" in loss and cfg.optimizer.name.startswith("adam"):
        warnings.warn(
            f"optimizer={cfg.optimizer.name} with loss={loss.name}: the WGAN paper reports that "
            "momentum-based optimizers make weight-clipped critics unstable; optimizer=rmsprop is "
            "its choice",
            stacklevel=2,
        )


def validate_vae(cfg: DictConfig) -> None:
    """The VAE's prior is N(0, I), it has no discriminator to penalise, and no labels."""
    _positive(cfg.loss.family.decoder_std, "loss.family.decoder_std")
    if cfg.model.prior != "normal":
        raise ConfigError(
            f"model.prior={cfg.model.prior} with loss=vae: allowed values are [normal]"
        )
    if cfg.model.get("conditional"):
        raise ConfigError("model.conditional=true with loss=vae: allowed values are [false]")
    others = [name for name in cfg.get("callbacks", {}) if name != "ema"]
    if others:
        raise ConfigError(
            f"callbacks={others} with loss=vae act on a discriminator the VAE does not have; "
            "allowed values are [ema]"
        )


def validate_lapgan(cfg: DictConfig) -> None:
    """LAPGAN's levels must end at a DCGAN size; its family plays each level's game itself, so
    it takes the plain adversarial objectives (weight clipping included), not the penalties."""
    levels, size = cfg.model.levels, cfg.dataset.get("image_size")
    if not isinstance(levels, int) or levels < 1:
        raise ConfigError(f"model.levels={levels}: must be an integer >= 1")
    if size is not None and size / 2 ** (levels - 1) not in (8, 16, 32, 64):
        raise ConfigError(
            f"model.levels={levels} at dataset.image_size={size}: the coarsest level would be "
            f"{size / 2 ** (levels - 1):g} px; allowed coarsest sizes are 8, 16, 32, 64"
        )
    unsupported = [name for name in cfg.get("callbacks", {}) if name != "ema"]
    if has_gradient_penalty(cfg) or unsupported or cfg.loss.objective == "elbo":
        raise ConfigError(
            f"model=lapgan with loss={cfg.loss.name} callbacks={unsupported}: allowed losses are "
            "[gan, ns, hinge, lsgan, wgan, fgan] and callbacks [ema]"
        )
    if cfg.model.get("conditional"):
        raise ConfigError("model.conditional=true with model=lapgan: allowed values are [false]")


def validate_callbacks(callbacks: DictConfig) -> None:
    """The keys of the callbacks chosen with `callbacks=[...]` (conf/callbacks/)."""
    if "r1" in callbacks:
        _positive(callbacks.r1.gamma, "callbacks.r1.gamma", allow_zero=True)
    if "ema" in callbacks:
        decay = callbacks.ema.decay
        if not (isinstance(decay, float) and 0 < decay < 1):
            raise ConfigError(f"callbacks.ema.decay={decay}: must be a number in (0, 1)")
    if "instance_noise" in callbacks:
        _positive(callbacks.instance_noise.std, "callbacks.instance_noise.std", allow_zero=True)
        _positive(
            callbacks.instance_noise.anneal_g_steps, "callbacks.instance_noise.anneal_g_steps"
        )


def validate_data(cfg: DictConfig, datamodule) -> None:
    """Checks that need the data's shape or labels (known once the datamodule is set up, before
    training)."""
    dim = math.prod(datamodule.shape)
    if cfg.model.get("conditional") and datamodule.num_classes is None:
        from hydra.utils import get_class
        from omegaconf import OmegaConf

        labelled = [
            n
            for n in options("dataset")
            if get_class(
                OmegaConf.load(CONF_DIR / "dataset" / f"{n}.yaml").datamodule._target_
            ).has_labels
        ]
        raise ConfigError(
            f"model.conditional=true needs class labels, and dataset={cfg.dataset.name} has none; "
            f"allowed datasets are {labelled}"
        )
    if cfg.model.name == "gaussian" and cfg.model.z_dim != dim:
        raise ConfigError(
            f"model.z_dim={cfg.model.z_dim}: model=gaussian draws x = mu + sigma * z, so z_dim "
            f"must equal the data dimension of dataset={cfg.dataset.name}, {dim}"
        )
