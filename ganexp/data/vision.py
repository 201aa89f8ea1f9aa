"""torchvision image sets. Nothing downloads unless `dataset.download=true`; missing files stop the
run with one sentence saying where to put them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from ganexp.data.base import GANDataModule, TensorDataModule, complement, first, stratified
from ganexp.errors import ConfigError


def _open(name: str, root: str, download: bool, build):
    """Call torchvision's constructor; turn 'not found' and failed downloads into one sentence."""
    try:
        return build(root=str(Path(root).expanduser()), download=download)
    except Exception as err:  # torchvision raises RuntimeError, offline downloads URLError/OSError
        how = "the download failed (offline?)" if download else "its files are not there"
        raise ConfigError(
            f"dataset={name}: {how}; put the {name} files under dataset.root={root} "
            f"(torchvision layout) or run with dataset.download=true on a machine with internet "
            f"({type(err).__name__}: {err})"
        ) from None


def _to_images(x: Tensor, size: int) -> Tensor:
    """uint8 (N, H, W[, C]) -> float (N, C, size, size) in [-1, 1]."""
    x = x if x.dim() == 4 else x[..., None]
    x = x.permute(0, 3, 1, 2).float() / 255.0
    if x.shape[-1] != size:
        x = F.interpolate(x, size=size, mode="bilinear", antialias=True)
    return (x.clamp(0, 1) * 2 - 1).contiguous()


class TorchvisionTensors(TensorDataModule):
    """MNIST, Fashion-MNIST, CIFAR-10: the training split, held in memory as one tensor; the
    official test split is the held-out reference of the evaluation."""

    image = True
    _classes = {
        "mnist": ("MNIST", 1),
        "fashion_mnist": ("FashionMNIST", 1),
        "cifar10": ("CIFAR10", 3),
    }

    def __init__(self, name: str, root: str, image_size: int = 32, download: bool = False, **kw):
        super().__init__(**kw)
        if name not in self._classes:
            raise ConfigError(f"dataset.name={name!r}: allowed values are {sorted(self._classes)}")
        self.name, self.root, self.download, self.image_size = name, root, download, image_size
        self.shape = (self._classes[name][1], image_size, image_size)

    def setup(self, stage: str | None = None) -> None:
        if hasattr(self, "data"):
            return
        import torchvision.datasets as tvd

        cls = getattr(tvd, self._classes[self.name][0])
        train, test = (
            _open(self.name, self.root, self.download, lambda s=split, **a: cls(train=s, **a))
            for split in (True, False)
        )
        images = lambda ds: _to_images(torch.as_tensor(ds.data), self.image_size)  # noqa: E731
        labels = lambda ds: torch.as_tensor(ds.targets)  # noqa: E731
        self.keep(images(train), labels(train), images(test), labels(test))

    def reference_note(self) -> str:
        return super().reference_note() + f"; the official test split of {self.name}"


class ImageFiles(GANDataModule):
    """A folder of images in torchvision's ImageFolder layout (root/<class>/<image>), read from disk
    by DataLoader workers; the class folders are the labels of a conditional model.

    A fraction `holdout` of the images, stratified by class and fixed by `split_seed`, is held out
    for the evaluation; `subset=N` trains on N of the rest (stratified, fixed by `subset_seed`)."""

    image = True
    has_labels = True

    def __init__(
        self,
        name: str,
        root: str,
        image_size: int = 64,
        channels: int = 3,
        download: bool = False,
        num_workers: int = 2,
        holdout: float = 0.1,
        split_seed: int = 0,
        subset: int | None = None,
        subset_seed: int = 0,
        **kw,
    ):
        super().__init__(**kw)
        self.name, self.root, self.download = name, root, download
        self.holdout, self.split_seed = holdout, split_seed
        self.subset, self.subset_seed = subset, subset_seed
        self.image_size, self.num_workers = image_size, num_workers
        self.shape = (channels, image_size, image_size)

    def transform(self):
        """Resize the short side, crop the centre, convert to the model's channels, map to [-1, 1]."""
        import torchvision.transforms.v2 as T

        channels = self.shape[0]
        return T.Compose(
            [
                T.Resize(self.image_size),
                T.CenterCrop(self.image_size),
                T.Grayscale() if channels == 1 else T.RGB(),
                T.ToImage(),
                T.ToDtype(torch.float32, scale=True),
                T.Normalize([0.5] * channels, [0.5] * channels),
            ]
        )

    def open_dataset(self, transform):
        import torchvision.datasets as tvd

        if not Path(self.root).expanduser().is_dir():
            raise ConfigError(f"dataset.root={self.root}: no such folder of images")
        build = lambda root, download: tvd.ImageFolder(root, transform=transform)  # noqa: E731
        return _open(self.name, self.root, self.download, build)

    def setup(self, stage: str | None = None) -> None:
        if hasattr(self, "dataset"):
            return
        self.dataset = self.open_dataset(self.transform())
        targets = getattr(self.dataset, "targets", None) if self.has_labels else None
        labels = torch.as_tensor(targets if targets is not None else [0] * len(self.dataset))
        self.heldout_indices = stratified(
            labels, round(self.holdout * len(labels)), self.split_seed
        )
        self.train_indices = complement(self.heldout_indices, len(labels))
        if self.subset is not None:
            if self.subset > len(self.train_indices):
                raise ConfigError(
                    f"dataset.subset={self.subset}: the training split holds "
                    f"{len(self.train_indices)} images"
                )
            keep = stratified(labels[self.train_indices], self.subset, self.subset_seed)
            self.train_indices = self.train_indices[keep]

    def heldout(self, n: int | None = None) -> tuple[Tensor, Tensor | None] | None:
        if not len(self.heldout_indices):
            return None
        picked = self.heldout_indices[first(len(self.heldout_indices), n)].tolist()
        images, labels = self._collate([self.dataset[i] for i in picked], labelled=True)
        return images, labels if self.has_labels else None

    def reference_note(self) -> str:
        if not len(self.heldout_indices):
            return "the training images (dataset.holdout=0)"
        return (
            f"the held-out split: {len(self.heldout_indices)} images never trained on "
            f"({self.holdout:.0%} stratified by class, split seed {self.split_seed}; training on "
            f"{len(self.train_indices)} images)"
        )

    @property
    def num_classes(self) -> int | None:
        return len(self.dataset.classes) if self.has_labels else None

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return self.sample_labelled(n, generator)[0]

    def sample_labelled(
        self, n: int, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        idx = self.train_indices[torch.randint(len(self.train_indices), (n,), generator=generator)]
        return self._collate([self.dataset[i] for i in idx.tolist()], labelled=True)

    def _collate(self, items: list, labelled: bool | None = None):
        images = torch.stack([x for x, _ in items])
        if not (self.labelled if labelled is None else labelled):
            return images
        return images, torch.as_tensor([int(y) for _, y in items])

    def train_dataloader(self) -> Iterable[Tensor]:
        from torch.utils.data import DataLoader

        train, size = self.train_indices, len(self.train_indices)
        indices = self.step_stream(
            lambda g: train[torch.randint(size, (self.step_size,), generator=g)]
        )
        return DataLoader(
            self.dataset,
            batch_sampler=Flattened(indices),  # K replicas: their K batches' indices in turn
            num_workers=self.num_workers,
            collate_fn=self._collate_step,
            persistent_workers=self.num_workers > 0,
        )

    def _collate_step(self, items: list):
        """One step's batch; with K replicas, K batches stacked (K, step_size, ...)."""
        batch = self._collate(items)
        if self.replicas == 1:
            return batch
        split = lambda t: t.view(self.replicas, -1, *t.shape[1:])  # noqa: E731
        return tuple(map(split, batch)) if isinstance(batch, tuple) else split(batch)


class Flattened:
    """The index tensors of a step stream as flat lists (a DataLoader's batch sampler)."""

    def __init__(self, stream: Iterable[Tensor]):
        self.stream = stream

    def __iter__(self):
        return (idx.flatten().tolist() for idx in self.stream)


class CelebAFiles(ImageFiles):
    """torchvision CelebA, training split (no class labels: its attributes are not classes)."""

    has_labels = False

    def open_dataset(self, transform):
        import torchvision.datasets as tvd

        build = lambda **a: tvd.CelebA(split="train", target_type=[], transform=transform, **a)  # noqa: E731
        return _open(self.name, self.root, self.download, build)

    def _collate(self, items: list, labelled: bool | None = None):
        images = torch.stack([x for x, _ in items])
        return (images, None) if labelled else images

    def sample_labelled(self, n: int, generator: torch.Generator | None = None):
        raise NotImplementedError("CelebA has no class labels")

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        idx = self.train_indices[torch.randint(len(self.train_indices), (n,), generator=generator)]
        return self._collate([self.dataset[i] for i in idx.tolist()])
