"""The VAE's evidence lower bound (Kingma and Welling 2014; docs/theory.md section 11), per sample:

    ELBO(x) = E_{q(z|x)}[log p(x|z)] - KL(q(z|x) || N(0, I)) <= log p(x),

with q(z|x) = N(mu, diag(sigma^2)) from the encoder, z = mu + sigma * eps (reparameterised) and a
Gaussian decoder p(x|z) = N(G(z), std^2 I) of fixed `std`. Everything is in nats per sample.
"""

from __future__ import annotations

import math

from torch import Tensor


def kl_to_standard_normal(mu: Tensor, log_var: Tensor) -> Tensor:
    """KL(N(mu, exp(log_var)) || N(0, I)) = 1/2 sum(mu^2 + sigma^2 - log sigma^2 - 1), per sample."""
    return 0.5 * (mu**2 + log_var.exp() - log_var - 1).flatten(1).sum(1)


def gaussian_log_likelihood(x: Tensor, mean: Tensor, std: float) -> Tensor:
    """log N(x; mean, std^2 I), per sample."""
    sq = ((x - mean) ** 2).flatten(1).sum(1)
    dims = x[0].numel()
    return -sq / (2 * std**2) - dims * math.log(std * math.sqrt(2 * math.pi))


def reparameterise(mu: Tensor, log_var: Tensor, eps: Tensor) -> Tensor:
    """z = mu + sigma * eps: a sample of q(z|x) through which gradients reach mu and sigma."""
    return mu + (0.5 * log_var).exp() * eps


def elbo(x: Tensor, decoded: Tensor, mu: Tensor, log_var: Tensor, std: float) -> tuple[Tensor, ...]:
    """(ELBO, reconstruction log-likelihood, KL), each per sample, for one z drawn per x."""
    recon = gaussian_log_likelihood(x, decoded, std)
    kl = kl_to_standard_normal(mu, log_var)
    return recon - kl, recon, kl
