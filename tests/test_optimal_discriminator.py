"""A discriminator trained with the GAN objective approaches D* = p / (p + q) (docs/theory.md section 2),
and (V^ + log 4) / 2 at that discriminator approaches the exact JS divergence."""

import math

import torch

from ganexp.losses.adversarial import d_bce, js_estimate
from ganexp.nets.mlp import MLPDiscriminator


def normal_logpdf(x, mu):
    return -0.5 * (x - mu) ** 2 - 0.5 * math.log(2 * math.pi)


def exact_js(mu_p, mu_q):
    x = torch.linspace(-12, 14, 200_001, dtype=torch.float64)
    p, q = normal_logpdf(x, mu_p).exp(), normal_logpdf(x, mu_q).exp()
    m = (p + q) / 2
    integrand = 0.5 * p * (p / m).log() + 0.5 * q * (q / m).log()
    return torch.trapezoid(integrand, x).item()


def test_trained_discriminator_is_optimal_and_estimates_js():
    torch.manual_seed(0)
    mu_p, mu_q = 0.0, 2.0
    d = MLPDiscriminator((1,), hidden=[32, 32], norm="none")
    opt = torch.optim.Adam(d.parameters(), lr=3e-3)
    for _ in range(1500):
        real, fake = torch.randn(512, 1) + mu_p, torch.randn(512, 1) + mu_q
        loss = d_bce(d(real), d(fake))
        opt.zero_grad()
        loss.backward()
        opt.step()

    with torch.no_grad():
        x = torch.linspace(-1.0, 3.0, 41)[:, None]  # where both densities have mass
        d_star = torch.sigmoid(normal_logpdf(x, mu_p) - normal_logpdf(x, mu_q))[:, 0]
        assert (d(x).sigmoid() - d_star).abs().max() < 0.05

        real, fake = torch.randn(200_000, 1) + mu_p, torch.randn(200_000, 1) + mu_q
        estimate = js_estimate(d(real), d(fake)).item()
    js = exact_js(mu_p, mu_q)
    assert 0.3 < js < 0.4  # N(0,1) vs N(2,1): about 0.35 nats, far from 0 and from log 2
    assert abs(estimate - js) < 0.01
