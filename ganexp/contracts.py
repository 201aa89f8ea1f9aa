"""What a user implements to bring their own piece into ganexp, in one place.

Each piece is named in a YAML file of the user's own config folder (`--config-dir`) by its
`_target_`, and ganexp builds it exactly as it builds its own:

- a **network** (`model.generator`, `model.discriminator`): an `nn.Module` built with the YAML's
  keys plus `shape` (the data's sample shape) and, for the discriminator, `norm` (the resolved
  `model.d_norm`); see `Generator` and `Discriminator` for the call signatures;
- a **dataset** (`dataset.datamodule`): a `GANDataModule` (or `TensorDataModule`, or
  `GaussianMixture` for 2-D mixtures whose exact metrics come for free), built with the YAML's
  keys plus `batch_size`, `draws_per_step`, `seed` and `labelled`;
- an **objective** (`loss.objective: {_target_: ...}`): a callable returning an `Objective`;
- a **critic penalty**: a `CriticPenalty` callback (`callbacks=[...]` or `loss.callbacks`).

At start-up ganexp calls each piece once on a tiny batch and stops with one line naming the piece
and the part of its contract it breaks (e.g. a generator whose output is not the data's shape).
"""

from __future__ import annotations

from typing import Protocol

from torch import Tensor

from ganexp.callbacks.penalty import CriticPenalty
from ganexp.data.base import GANDataModule, TensorDataModule
from ganexp.data.toy import GaussianMixture
from ganexp.losses import Objective

__all__ = [
    "CriticPenalty",
    "Discriminator",
    "GANDataModule",
    "GaussianMixture",
    "Generator",
    "Objective",
    "TensorDataModule",
]


class Generator(Protocol):
    """`G(z)`: noise of shape (n, z_dim) (`model.z_dim`; `model.prior` draws it) to samples of
    shape (n, *shape) in data space (images in [-1, 1]: end with tanh). A conditional model wraps
    it: the net receives (n, z_dim + model.embed_dim)."""

    def __call__(self, z: Tensor) -> Tensor: ...


class Discriminator(Protocol):
    """`D(x)`: samples of shape (n, *shape) to one real score per sample, shape (n,) or (n, 1):
    a logit for the GAN losses, an unbounded critic value for WGAN, `V(x)` for f-GAN. With
    `model.pack=m` its input has m times the channels (packs of m samples); a conditional model
    adds the one-hot label's channels. Under a gradient penalty it must judge each sample on its
    own (no BatchNorm). A critic step calls it once on the real and the fake batch concatenated,
    unless it holds BatchNorm or one of its modules sets `mixes_samples = True` (a score that
    depends on the rest of the batch, such as minibatch statistics): then once on each."""

    def __call__(self, x: Tensor) -> Tensor: ...
