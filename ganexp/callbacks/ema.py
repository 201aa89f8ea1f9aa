"""An exponential moving average of the generator's weights (and BatchNorm statistics): after every
generator step, theta_ema <- decay * theta_ema + (1 - decay) * theta. While it is on, samples and
evaluations come from the averaged generator; the trained one keeps playing the game.

Built on torch.optim.swa_utils (AveragedModel with the EMA update), kept in checkpoints.
"""

from __future__ import annotations

from typing import Any

import pytorch_lightning as pl
from torch import nn


def averaged(generator: nn.Module, decay: float) -> nn.Module:
    """A copy of `generator` that `update_parameters(generator)` moves towards it by 1 - decay."""
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    average = AveragedModel(generator, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)
    if getattr(average.module, "_compiled_call_impl", None) is not None:
        average.module._compiled_call_impl = None  # the copy must not call the original's graph
    return average


class GeneratorEMA(pl.Callback):
    """Samples and metrics from the EMA generator; its state is `state_dict()["average"]`."""

    supports_replicas = True  # every replica's weights, elementwise

    def __init__(self, decay: float = 0.999):
        self.decay = decay
        self.average: nn.Module | None = None
        self._restored: dict[str, Any] | None = None
        self._handle = None

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.average = averaged(pl_module.generator, self.decay)
        if self._restored is not None:
            self.average.load_state_dict(self._restored)
        pl_module.samplers["ema"] = self.average.module
        opt_g = trainer.optimizers[0]
        self._handle = opt_g.register_step_post_hook(
            lambda *_: self.average.update_parameters(pl_module.generator)
        )

    def teardown(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def state_dict(self) -> dict[str, Any]:
        return {"average": self.average.state_dict()} if self.average is not None else {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._restored = state_dict.get("average")
