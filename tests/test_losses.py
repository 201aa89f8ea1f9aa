"""Every objective against its closed form on hand-picked logits, computed from probabilities."""

import math

import pytest
import torch

from ganexp.losses import OBJECTIVES
from ganexp.losses import adversarial as A

L3 = math.log(3.0)  # sigmoid(log 3) = 3/4
REAL = torch.tensor([0.0, L3])  # D = 1/2, 3/4
FAKE = torch.tensor([0.0, -L3])  # D = 1/2, 1/4


def test_bce_discriminator_and_value():
    v = 0.5 * (math.log(0.5) + math.log(0.75)) + 0.5 * (math.log(0.5) + math.log(0.75))
    assert A.value(REAL, FAKE).item() == pytest.approx(v, rel=1e-6)
    assert A.d_bce(REAL, FAKE).item() == pytest.approx(-v, rel=1e-6)


def test_generator_losses():
    assert A.g_minimax(FAKE).item() == pytest.approx(
        0.5 * (math.log(0.5) + math.log(0.75)), rel=1e-6
    )
    assert A.g_non_saturating(FAKE).item() == pytest.approx(
        -0.5 * (math.log(0.5) + math.log(0.25)), rel=1e-6
    )


def test_js_estimate_is_zero_when_d_is_one_half_everywhere():
    half = torch.zeros(5)
    assert A.js_estimate(half, half).item() == pytest.approx(0.0, abs=1e-7)


def test_js_estimate_reaches_log2_for_a_perfect_discriminator():
    assert A.js_estimate(torch.full((4,), 50.0), torch.full((4,), -50.0)).item() == pytest.approx(
        math.log(2), rel=1e-6
    )


def test_extreme_logits_stay_finite():
    big = torch.tensor([-200.0, 200.0])
    for obj in OBJECTIVES.values():
        assert torch.isfinite(obj.d_loss(big, -big)) and torch.isfinite(obj.g_loss(big))
    assert A.g_non_saturating(torch.tensor([-200.0])).item() == pytest.approx(200.0)


def test_hinge():
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.5])
    assert A.d_hinge(real, fake).item() == pytest.approx((0 + 0.5) / 2 + (0 + 1.5) / 2)
    assert A.g_hinge(fake).item() == pytest.approx(0.75)


def test_least_squares():
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([0.0, 2.0])
    assert A.d_least_squares(real, fake).item() == pytest.approx(
        0.5 * (0 + 4) / 2 + 0.5 * (0 + 4) / 2
    )
    assert A.g_least_squares(fake).item() == pytest.approx(0.5 * (1 + 1) / 2)


def test_wasserstein():
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([-1.0, 0.0])
    assert A.critic_wasserstein(real, fake).item() == pytest.approx(-0.5 - 2.0)
    assert A.g_wasserstein(fake).item() == pytest.approx(0.5)


def test_gradient_penalty_of_a_linear_critic_is_closed_form():
    w = torch.tensor([3.0, 4.0])  # ||w|| = 5, penalty (5 - 1)^2 = 16 at every point
    critic = torch.nn.Linear(2, 1)
    with torch.no_grad():
        critic.weight.copy_(w[None])
    real, fake = torch.randn(7, 2), torch.randn(7, 2)
    gp = A.gradient_penalty(lambda x: critic(x).squeeze(-1), real, fake, torch.rand(7))
    assert gp.item() == pytest.approx(16.0, rel=1e-6)
    gp.backward()  # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||
    assert torch.allclose(critic.weight.grad[0], 2 * 4 * w / 5)


def test_one_sided_penalty_ignores_norms_below_one():
    critic = torch.nn.Linear(2, 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[0.3, 0.4]]))  # ||w|| = 0.5
    f = lambda x: critic(x).squeeze(-1)  # noqa: E731
    real, fake, eps = torch.randn(5, 2), torch.randn(5, 2), torch.rand(5)
    assert A.gradient_penalty(f, real, fake, eps).item() == pytest.approx(0.25)
    assert A.gradient_penalty(f, real, fake, eps, one_sided=True).item() == 0.0
    with torch.no_grad():
        critic.weight.mul_(6)  # ||w|| = 3: both sides agree, (3 - 1)^2
    assert A.gradient_penalty(f, real, fake, eps, one_sided=True).item() == pytest.approx(4.0)


def test_gradient_penalty_gradient_equals_autograd_on_the_explicit_penalty():
    torch.manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Linear(3, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    f = lambda x: critic(x).squeeze(-1)  # noqa: E731
    real, fake, eps = torch.randn(6, 3), torch.randn(6, 3), torch.rand(6)
    params = list(critic.parameters())

    A.gradient_penalty(f, real, fake, eps).backward()
    batched = [torch.zeros_like(p) if p.grad is None else p.grad.clone() for p in params]
    critic.zero_grad()

    terms = []
    for i in range(6):  # one sample at a time: x^ = e x + (1 - e) x~, (||grad D(x^)|| - 1)^2
        x = (eps[i] * real[i] + (1 - eps[i]) * fake[i]).requires_grad_(True)
        (g,) = torch.autograd.grad(f(x[None]).sum(), x, create_graph=True)
        terms.append((g.norm() - 1) ** 2)
    explicit = torch.autograd.grad(torch.stack(terms).mean(), params, allow_unused=True)
    explicit = [torch.zeros_like(p) if g is None else g for p, g in zip(params, explicit)]
    assert batched[0].abs().sum() > 0
    for b, e in zip(batched, explicit):
        assert torch.allclose(b, e, atol=1e-6)
