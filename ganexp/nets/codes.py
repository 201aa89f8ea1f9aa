"""A discrete latent code beside the noise (`model.codes=K`): G(z) = net([z, one_hot(c(z))]).

The code c is read off the noise's first coordinate, c = floor(K Phi(z_1)), so each of the K
codes is equally likely and the prior, its random streams and every sampler stay as they are.
A generator is a continuous map: from connected noise it can only make a connected set, and on
data of separate modes the path between two modes costs it samples off the data (trails). With
K codes it is K continuous maps sharing their weights, and each can land on a mode of its own
(a mixture of generators: Hoang et al. 2018, MGAN; Khayatkhoei et al. 2018).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def code_of(z: Tensor, codes: int) -> Tensor:
    """The code of each noise vector: floor(K Phi(z_1)), K equally likely values 0..K-1."""
    u = torch.special.ndtr(z[:, 0])
    return (u * codes).floor().clamp(0, codes - 1).long()


class DiscreteCode(nn.Module):
    """G(z) = net([z, s one_hot(code_of(z))]), `net` built for z_dim + K inputs, s = `scale`
    (`model.code_scale`; sqrt(K) unless given).

    The one-hot is scaled by sqrt(K), so that each of its inputs has a noise coordinate's second
    moment (1): at 0 and 1 a code's inputs barely move G's first layer beside z's, and G starts
    as the one map of the noise it would be without the code, which its codes then split between
    modes (on the ring, 13 of 16 codes still straddled two modes at the end). At sqrt(K) the code
    moves G from the start, and each code lands on one mode."""

    def __init__(self, net: nn.Module, codes: int, scale: float | None = None):
        super().__init__()
        self.net, self.codes = net, codes
        self.scale = codes**0.5 if scale is None else scale

    def forward(self, z: Tensor) -> Tensor:
        levels = torch.arange(self.codes, device=z.device)
        onehot = (code_of(z, self.codes)[:, None] == levels).to(z.dtype)
        return self.net(torch.cat([z, onehot * self.scale], dim=1))
