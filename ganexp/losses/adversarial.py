"""Adversarial objectives as pure functions of discriminator logits (docs/theory.md sections 2 and 6).

`D(x) = sigmoid(d(x))`, so `log D = -softplus(-d)` and `log(1 - D) = -softplus(d)`: no function
here ever takes the log of a sigmoid. Every function returns a scalar to *minimise*.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

LOG4 = math.log(4.0)


def value(real: Tensor, fake: Tensor) -> Tensor:
    """Minibatch estimate of V(G, D) = E log D(x) + E log(1 - D(G(z)))."""
    return -F.softplus(-real).mean() - F.softplus(fake).mean()


def js_estimate(real: Tensor, fake: Tensor) -> Tensor:
    """(V^ + log 4) / 2: a lower bound on JS(p_data || p_g), tight at the optimal discriminator."""
    return (value(real, fake) + LOG4) / 2


def d_bce(real: Tensor, fake: Tensor) -> Tensor:
    """Discriminator of the original GAN: descend -V^ (binary cross-entropy, real 1, fake 0)."""
    return -value(real, fake)


def g_minimax(fake: Tensor) -> Tensor:
    """Saturating generator loss E log(1 - D(G(z)))."""
    return -F.softplus(fake).mean()


def g_non_saturating(fake: Tensor) -> Tensor:
    """The -log D trick: E[-log D(G(z))]."""
    return F.softplus(-fake).mean()


def d_hinge(real: Tensor, fake: Tensor) -> Tensor:
    """Hinge discriminator loss E[relu(1 - d(x))] + E[relu(1 + d(G(z)))]."""
    return F.relu(1 - real).mean() + F.relu(1 + fake).mean()


def g_hinge(fake: Tensor) -> Tensor:
    """Hinge generator loss -E[d(G(z))]."""
    return -fake.mean()


def d_least_squares(real: Tensor, fake: Tensor) -> Tensor:
    """LSGAN discriminator (a=0, b=1): 1/2 E[(d(x) - 1)^2] + 1/2 E[d(G(z))^2]."""
    return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean()


def g_least_squares(fake: Tensor) -> Tensor:
    """LSGAN generator (c=1): 1/2 E[(d(G(z)) - 1)^2]."""
    return 0.5 * ((fake - 1) ** 2).mean()


def critic_wasserstein(real: Tensor, fake: Tensor) -> Tensor:
    """WGAN critic loss E[D(G(z))] - E[D(x)]; its negation estimates W(p_data, p_g)."""
    return fake.mean() - real.mean()


def g_wasserstein(fake: Tensor) -> Tensor:
    """WGAN generator loss -E[D(G(z))]."""
    return -fake.mean()


def gradient_penalty(
    critic: Callable[[Tensor], Tensor],
    real: Tensor,
    fake: Tensor,
    eps: Tensor,
    one_sided: bool = False,
) -> Tensor:
    """WGAN-GP penalty E[(||grad D(x^)||_2 - 1)^2] with x^ = eps x + (1 - eps) x~.

    `eps` holds one U[0, 1] draw per sample: shape (n,), or (K, n) for K replicas' batches of
    shape (K, n, ...), whose K penalties come back as a tensor of shape (K,). `one_sided`
    penalises only norms above 1 (E[max(0, ||grad|| - 1)^2], the variant Gulrajani et al. also
    discuss). The graph is kept (create_graph) so the penalty can enter the critic's own backward
    pass.
    """
    lead = eps.dim()
    shape = eps.shape + (1,) * (real.dim() - lead)
    mixed = (eps.view(shape) * real + (1 - eps.view(shape)) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    excess = grad.flatten(lead).norm(dim=lead) - 1
    return ((excess.clamp(min=0) if one_sided else excess) ** 2).mean(-1)


def r1_penalty(critic: Callable[[Tensor], Tensor], real: Tensor, lead: int = 1) -> Tensor:
    """R1 (Mescheder et al. 2018): E_{x ~ p_data}[||grad_x D(x)||_2^2], the critic's gradient on
    the real data only. The graph is kept so the penalty enters the critic's own backward pass.
    `lead` = 2 for K replicas' batches (K, n, ...): K penalties, shape (K,)."""
    real = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(real).sum(), real, create_graph=True)
    return grad.flatten(lead).pow(2).sum(lead).mean(-1)
