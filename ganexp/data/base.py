"""The datamodule contract every dataset follows.

One training batch holds everything one generator step consumes: `draws_per_step` (= n_critic)
real minibatches of `batch_size`, stacked as one tensor of `draws_per_step * batch_size` samples;
with `labelled=True` (a conditional GAN) the pair (samples, class labels).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytorch_lightning as pl
import torch
from torch import Tensor

from ganexp.data.stream import StepStream


class GANDataModule(pl.LightningDataModule):
    """Base: subclasses set `shape` and `image`, and implement `sample(n, generator)`."""

    shape: tuple[int, ...]
    image: bool = False
    has_labels: bool = False  # whether `sample_labelled` exists (conditional GANs)
    replicas: int = 1  # > 1: each training batch stacks the batches of K seeds (ganexp.replicas)

    def __init__(
        self, batch_size: int = 64, draws_per_step: int = 1, seed: int = 0, labelled: bool = False
    ):
        super().__init__()
        self.batch_size, self.draws_per_step, self.seed = batch_size, draws_per_step, seed
        self.labelled = labelled

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """`n` samples of the data distribution, shape (n, *shape)."""
        raise NotImplementedError

    @property
    def num_classes(self) -> int | None:
        """How many classes the labels of `sample_labelled` take (None: the data have none)."""
        return None

    def sample_labelled(
        self, n: int, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """`n` samples and their class labels (int64 in [0, num_classes))."""
        raise NotImplementedError

    @property
    def step_size(self) -> int:
        """Samples one generator step consumes."""
        return self.batch_size * self.draws_per_step

    def step_stream(self, draw: Callable[[torch.Generator], Any]) -> StepStream:
        """Keyed draws from the module's current generator step on (so a resumed run continues)."""
        trainer = self.trainer
        start = trainer.lightning_module.g_step if trainer is not None else 0
        rank = trainer.global_rank if trainer is not None else 0
        return StepStream(draw, self.seed, rank, start, self.replicas)

    def check_contract(self) -> None:
        """Once set up, before any net is built: `sample(n)` (and `sample_labelled(n)` for a
        conditional model) gives what `shape` and `num_classes` say, or one line says what not."""
        from ganexp.errors import ConfigError

        what = f"dataset.datamodule ({type(self).__module__}.{type(self).__name__})"
        shape = getattr(self, "shape", None)
        if not (
            isinstance(shape, (tuple, list)) and shape and all(isinstance(s, int) for s in shape)
        ):
            raise ConfigError(
                f"{what}: `shape` is {shape!r}; it must be the sample shape, e.g. (2,)"
            )
        gen = torch.Generator().manual_seed(0)
        x = self.sample(2, gen)
        if not torch.is_tensor(x) or tuple(x.shape) != (2, *shape):
            got = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
            raise ConfigError(f"{what}: sample(2) gives {got}; its `shape` says {(2, *shape)}")
        if self.labelled and self.num_classes is not None:
            _, y = self.sample_labelled(2, gen)
            k = self.num_classes
            if y.dtype != torch.int64 or y.shape != (2,) or not bool(((y >= 0) & (y < k)).all()):
                raise ConfigError(
                    f"{what}: sample_labelled(2) labels must be int64 of shape (2,) in [0, {k})"
                )

    def exact_metrics(self, x: Tensor) -> dict[str, float]:
        """Metrics of generated samples `x` against the known data distribution (none by default)."""
        return {}

    def train_dataloader(self) -> Iterable[Tensor]:
        draw = self.sample_labelled if self.labelled else self.sample
        return self.step_stream(lambda g: draw(self.step_size, g))


class TensorDataModule(GANDataModule):
    """A data set small enough to live in memory as one tensor (no DataLoader workers per step)."""

    data: Tensor
    labels: Tensor | None = None
    has_labels = True

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return self.data[torch.randint(len(self.data), (n,), generator=generator)]

    @property
    def num_classes(self) -> int | None:
        return None if self.labels is None else int(self.labels.max()) + 1

    def sample_labelled(
        self, n: int, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        idx = torch.randint(len(self.data), (n,), generator=generator)
        return self.data[idx], self.labels[idx]
