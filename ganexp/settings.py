"""Settings derived from the composed config, read by both the start-up checks and the builders."""

from __future__ import annotations

from omegaconf import DictConfig


def callback_nodes(cfg: DictConfig) -> list[DictConfig]:
    """The loss's own callbacks (clipping, gradient penalty), then those chosen with `callbacks=`."""
    return [*cfg.loss.callbacks.values(), *cfg.get("callbacks", {}).values()]


def has_gradient_penalty(cfg: DictConfig) -> bool:
    """Whether a critic penalty on D's input gradient is on (WGAN-GP, R1, or a user's penalty
    with `needs_input_gradients`): it needs per-sample gradients (no BatchNorm critic) and a double
    backward (no compiled critic)."""
    from hydra.utils import get_class

    targets = [node.get("_target_") for node in callback_nodes(cfg)]
    return any(getattr(get_class(t), "needs_input_gradients", False) for t in targets if t)


def resolve_d_norm(cfg: DictConfig) -> str:
    """`model.d_norm=auto`: layer norm where a gradient penalty needs per-sample gradients, else
    BatchNorm for DCGAN and none for the MLP."""
    norm = cfg.model.d_norm
    if norm != "auto":
        return norm
    if has_gradient_penalty(cfg):
        return "layer"
    return "batch" if cfg.model.image_only else "none"


def family_node(cfg: DictConfig) -> DictConfig:
    """The family that plays the game: the model's own where it brings one (LAPGAN's pyramid
    plays the loss's objective level by level), else the loss's."""
    return cfg.model.get("family") or cfg.loss.family
