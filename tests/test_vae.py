"""The VAE baseline: its ELBO against closed forms, and against the data's own entropy."""

import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from ganexp.losses.vae import elbo, gaussian_log_likelihood, kl_to_standard_normal, reparameterise


def test_kl_and_likelihood_match_torch_distributions():
    mu, log_var = torch.randn(5, 3), torch.randn(5, 3)
    expected = kl_divergence(Normal(mu, (0.5 * log_var).exp()), Normal(0.0, 1.0)).sum(1)
    torch.testing.assert_close(kl_to_standard_normal(mu, log_var), expected)
    x, mean = torch.randn(5, 2, 3), torch.randn(5, 2, 3)
    expected = Normal(mean, 0.3).log_prob(x).flatten(1).sum(1)
    torch.testing.assert_close(gaussian_log_likelihood(x, mean, 0.3), expected)


def test_elbo_at_the_exact_posterior_is_the_log_likelihood():
    """Linear Gaussian decoder x = W z + b + N(0, s^2 I): p(x) = N(b, W W^T + s^2 I), and the
    posterior is Gaussian (diagonal for orthogonal columns of W), so the bound is tight there."""
    torch.manual_seed(0)
    W = torch.tensor([[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]], dtype=torch.float64)
    b, s = torch.tensor([0.5, -1.0, 0.0], dtype=torch.float64), 0.5
    x = torch.tensor([[1.0, 0.3, -0.2]], dtype=torch.float64)
    marginal = torch.distributions.MultivariateNormal(b, W @ W.T + s**2 * torch.eye(3))
    log_px = marginal.log_prob(x).item()
    cov = torch.linalg.inv(torch.eye(2, dtype=torch.float64) + W.T @ W / s**2)
    mu = ((x - b) @ W / s**2) @ cov
    log_var = cov.diagonal().log()[None]
    n = 400_000
    eps = torch.randn(n, 2, dtype=torch.float64)
    z = reparameterise(mu.expand(n, 2), log_var.expand(n, 2), eps)
    bound, _, _ = elbo(x.expand(n, 3), z @ W.T + b, mu.expand(n, 2), log_var.expand(n, 2), s)
    assert bound.mean().item() == pytest.approx(log_px, abs=0.01)
    # any other posterior gives less
    off, _, _ = elbo(x.expand(n, 3), (z + 0.3) @ W.T + b, mu + 0.3, log_var.expand(n, 2), s)
    assert off.mean().item() < log_px - 0.1


def test_vae_on_a_gaussian_approaches_the_data_entropy_from_below(fit):
    """E_data[ELBO] <= E_data[log p_model] <= E_data[log p_data] = -H(N(2, 1)) = -1.419 nats."""
    s = fit(
        [
            "model=mlp",
            "dataset=gauss1d",
            "loss=vae",
            "train.g_steps=1000",
            "train.batch_size=64",
            "eval.every_n_g_steps=250",
        ]
    )
    entropy = 0.5 * math.log(2 * math.pi * math.e)
    last = s["history"][-1]  # train/ values averaged over steps 751 to 1,000
    assert last["g_step"] == 1000
    assert -entropy - 0.6 < last["train/elbo"] < -entropy, last["train/elbo"]
    assert last["train/kl"] > 0 and s["val/w1"] < 0.4  # decoded prior samples match the data
