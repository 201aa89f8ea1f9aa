"""Start-up checks: a config that cannot work stops here, before any work, with one message that
names the key and the values it allows."""

from __future__ import annotations

import warnings
from pathlib import Path

from omegaconf import DictConfig

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"
NORMS = ("batch", "layer", "none")
PRIORS = ("normal", "uniform")
LR_SCHEDULES = ("constant", "linear")


class ConfigError(ValueError):
    """A configuration that cannot work; the message names the key and the allowed values."""


def options(group: str) -> list[str]:
    """The choices of a config group (the YAML files in conf/<group>/)."""
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


def image_datasets() -> list[str]:
    from omegaconf import OmegaConf

    return [
        n for n in options("dataset") if OmegaConf.load(CONF_DIR / "dataset" / f"{n}.yaml").image
    ]


def has_gradient_penalty(cfg: DictConfig) -> bool:
    return any(
        "gradient_penalty" in str(cb.get("_target_", "")) for cb in cfg.loss.callbacks.values()
    )


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
    from ganexp.losses import OBJECTIVES

    m, loss, data = cfg.model, cfg.loss, cfg.dataset
    if loss.objective not in OBJECTIVES:
        raise ConfigError(
            f"loss.objective={loss.objective}: allowed values are {sorted(OBJECTIVES)}"
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
    schedule = cfg.train.get("lr_schedule", "constant")
    if schedule not in LR_SCHEDULES:
        raise ConfigError(f"train.lr_schedule={schedule}: allowed values are {list(LR_SCHEDULES)}")
    if m.prior not in PRIORS:
        raise ConfigError(f"model.prior={m.prior}: allowed values are {list(PRIORS)}")
    if m.d_norm not in ("auto", *NORMS):
        raise ConfigError(f"model.d_norm={m.d_norm}: allowed values are {['auto', *NORMS]}")
    if has_gradient_penalty(cfg) and resolve_d_norm(cfg) == "batch":
        raise ConfigError(
            f"model.d_norm=batch with loss={loss.name}: a gradient penalty is per sample and "
            f"BatchNorm mixes samples; allowed values are ['auto', 'layer', 'none']"
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
