"""The datamodule contract every dataset follows.

One training batch holds everything one generator step consumes: `draws_per_step` (= n_critic)
real minibatches of `batch_size`, stacked as one tensor of `draws_per_step * batch_size` samples;
with `labelled=True` (a conditional GAN) the pair (samples, class labels).

A finite image set also keeps a held-out split the GAN never trains on (`heldout`): the reference
that the evaluation scores generated images against. `subset=N` trains on N of the training
images, stratified by class and fixed by `subset_seed` whatever the run's seed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytorch_lightning as pl
import torch
from torch import Tensor

from ganexp.data.stream import StepStream


def stratified(labels: Tensor, n: int, seed: int) -> Tensor:
    """The sorted indices of `n` items of `labels`, each class in proportion to its count (largest
    remainders break ties, the more common class first), drawn by a permutation keyed by `seed`."""
    gen = torch.Generator().manual_seed(seed)
    classes, counts = labels.unique(return_counts=True)
    quota = counts.double() * n / len(labels)
    take = quota.floor().long()
    extra = (quota - take).argsort(descending=True, stable=True)[: n - int(take.sum())]
    take[extra] += 1
    picked = []
    for c, k in zip(classes.tolist(), take.tolist()):
        members = (labels == c).nonzero().squeeze(1)
        picked.append(members[torch.randperm(len(members), generator=gen)[:k]])
    return torch.cat(picked).sort().values


def first(size: int, n: int | None) -> Tensor:
    """`n` of range(size) (all with None) in a fixed shuffled order: the same images every time."""
    return torch.randperm(size, generator=torch.Generator().manual_seed(0))[:n]


def complement(indices: Tensor, size: int) -> Tensor:
    """The indices in range(size) that are not in `indices`, sorted."""
    keep = torch.ones(size, dtype=torch.bool)
    keep[indices] = False
    return keep.nonzero().squeeze(1)


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

    def heldout(self, n: int | None = None) -> tuple[Tensor, Tensor | None] | None:
        """Up to `n` held-out images (all with None), in a fixed order, and their labels (None: no
        held-out split; the evaluation then compares with `sample`, which is fair for a
        distribution known in closed form)."""
        return None

    def reference_note(self) -> str:
        """What the evaluation compares generated samples with, in words (summary.json)."""
        return "samples of the data distribution"

    def exact_metrics(self, x: Tensor) -> dict[str, float]:
        """Metrics of generated samples `x` against the known data distribution (none by default)."""
        return {}

    def train_dataloader(self) -> Iterable[Tensor]:
        draw = self.sample_labelled if self.labelled else self.sample
        return self.step_stream(lambda g: draw(self.step_size, g))


class TensorDataModule(GANDataModule):
    """A data set small enough to live in memory as one tensor (no DataLoader workers per step).

    A subclass's `setup` calls `keep(images, labels, heldout, heldout_labels)`: the held-out split
    is set aside for the evaluation, and with `subset=N` only N training images are kept."""

    data: Tensor
    labels: Tensor | None = None
    has_labels = True
    pool: int = 0  # the training images before `subset`

    def __init__(self, subset: int | None = None, subset_seed: int = 0, **kw):
        super().__init__(**kw)
        self.subset, self.subset_seed = subset, subset_seed
        self.heldout_data: Tensor | None = None
        self.heldout_labels: Tensor | None = None
        self.pool_data: Tensor | None = None
        self.pool_labels: Tensor | None = None

    def keep(
        self,
        data: Tensor,
        labels: Tensor | None = None,
        heldout: Tensor | None = None,
        heldout_labels: Tensor | None = None,
    ) -> None:
        """Train on `data` (or `subset` of it, stratified by `labels`); set `heldout` aside."""
        from ganexp.errors import ConfigError

        self.pool_data, self.pool_labels, self.pool = data, labels, len(data)
        self.heldout_data, self.heldout_labels = heldout, heldout_labels
        if self.subset is not None:
            if self.subset > len(data):
                raise ConfigError(
                    f"dataset.subset={self.subset}: the training split holds {len(data)} images"
                )
            group = labels if labels is not None else torch.zeros(len(data), dtype=torch.int64)
            idx = stratified(group, self.subset, self.subset_seed)
            data, labels = data[idx], None if labels is None else labels[idx]
        self.data, self.labels = data.contiguous(), labels

    def heldout(self, n: int | None = None) -> tuple[Tensor, Tensor | None] | None:
        if self.heldout_data is None:
            return None
        idx = first(len(self.heldout_data), n)
        labels = self.heldout_labels
        return self.heldout_data[idx], None if labels is None else labels[idx]

    def reference_note(self) -> str:
        if self.heldout_data is None:
            return "the training images (this data set has no held-out split)"
        kept = f"{len(self.data)} of {self.pool}" if self.subset is not None else str(self.pool)
        return (
            f"the held-out split: {len(self.heldout_data)} images never trained on "
            f"(training on {kept} images)"
        )

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
