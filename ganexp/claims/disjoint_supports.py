"""Disjoint supports (WGAN, Arjovsky et al. 2017, Example 1 and Figure 2; docs/theory.md
sections 4 and 6).

The data are the vertical unit segment at x = 0 (`dataset=segment`); the generator is the same
segment at x = theta (`model=gaussian` with a uniform prior, mu = (theta, 0.5) and
sigma = (1e-6, 0.5)), frozen. For theta != 0 the supports are disjoint: JS = log 2 and KL is
infinite whatever theta is, so neither tells how far apart they are, while W1 = |theta|. For each
theta a fresh discriminator is trained by cross-entropy (its JS estimate) and a fresh critic with
the gradient penalty (its W estimate), both measured on 100,000 fresh samples.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ganexp.claims import Claim, Study, load_module

THETAS = (-1.0, 0.0, 0.25, 0.5, 1.0, 2.0)
JS_FLOOR = 0.9  # the check: JS estimate >= 0.9 log 2 wherever theta != 0 (<= 0.05 at 0)
W_TOLERANCE = 0.05  # W estimate within 5% of the penalised critic's value (0.05 of 0 at 0)
AT_ZERO = 0.05
GP_WEIGHT = 10.0  # loss.gp_weight, lambda


def penalised_w(theta: float) -> float:
    """The W estimate of the best critic under the two-sided penalty: for these segments it is
    linear, f(x) = k x_1, and max_k k |theta| - lambda (k - 1)^2 gives k = 1 + |theta| / (2 lambda),
    so the estimate k |theta| = |theta| + theta^2 / (2 lambda) overshoots W1 = |theta| (the penalty
    is soft: a slope above 1 pays less than it gains)."""
    return abs(theta) + theta**2 / (2 * GP_WEIGHT)


def overrides(theta: float, loss: str, steps: int) -> list[str]:
    return [
        "model=gaussian",
        "model.z_dim=2",
        "model.prior=uniform",
        f"model.generator.mu=[{theta},0.5]",
        "model.generator.sigma=[1e-6,0.5]",
        "dataset=segment",
        f"loss={loss}",
        "loss.n_critic=1",
        "train.freeze_generator=true",
        "optimizer.d.lr=1e-3",
        *([f"loss.gp_weight={GP_WEIGHT}"] if loss == "wgan_gp" else []),
        "train.batch_size=256",
        f"train.g_steps={steps}",
        f"eval.every_n_g_steps={steps}",
        f"train.sample_every={steps}",
    ]


def estimates(run_dir: Path, seed: int) -> tuple[float, float]:
    """(the JS estimate (V + log 4) / 2, the W estimate E D(x) - E D(G(z))) of the run's D."""
    module = load_module(run_dir)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        u = torch.rand(100_000, generator=gen)
        real = torch.stack([torch.zeros_like(u), u], 1)
        d_real = module.discriminator(real).flatten()
        d_fake = module.discriminator(module.sample(100_000, gen)).flatten()
    js = (-F.softplus(-d_real).mean() - F.softplus(d_fake).mean() + math.log(4)) / 2
    return float(js), float(d_real.mean() - d_fake.mean())


def run(study: Study) -> dict:
    steps = study.steps(1500)
    rows = []
    for theta in THETAS:
        gan = study.train(f"gan_theta{theta}", overrides(theta, "gan", steps))
        critic = study.train(f"wgan_gp_theta{theta}", overrides(theta, "wgan_gp", steps))
        js_hat, w_hat = estimates(gan, study.seed)[0], estimates(critic, study.seed)[1]
        exact_js = math.log(2) if theta else 0.0
        rows.append(
            {
                "theta": theta,
                "js": exact_js,
                "js_estimate": js_hat,
                "w1": abs(theta),
                "w_penalised": penalised_w(theta),
                "w_estimate": w_hat,
            }
        )
    apart = [r for r in rows if r["theta"]]
    (together,) = [r for r in rows if not r["theta"]]
    min_js = min(r["js_estimate"] for r in apart)
    worst_w = max(abs(r["w_estimate"] - r["w_penalised"]) / r["w_penalised"] for r in apart)
    worst_w1 = max(abs(r["w_estimate"] - r["w1"]) / r["w1"] for r in apart)
    held = (
        min_js >= JS_FLOOR * math.log(2)
        and worst_w <= W_TOLERANCE
        and together["js_estimate"] <= AT_ZERO
        and abs(together["w_estimate"]) <= AT_ZERO
    )
    said = (
        f"JS estimate {min_js:.3f} to {max(r['js_estimate'] for r in apart):.3f} for theta != 0 "
        f"(log 2 = {math.log(2):.3f}), {together['js_estimate']:.3f} at 0; W estimate within "
        f"{100 * worst_w:.1f}% of the penalised critic's value and {100 * worst_w1:.1f}% of "
        f"|theta|, {together['w_estimate']:.3f} at 0"
    )
    return {
        "held": held,
        "said": said,
        "rows": rows,
        "min_js_estimate": min_js,
        "worst_w_error_penalised": worst_w,
        "worst_w_error_w1": worst_w1,
    }


def figure(numbers: dict, path: Path) -> None:
    from ganexp.claims.plots import figure_grid, save

    fig, (ax_js, ax_w) = figure_grid(2, width=4.2)
    rows = sorted(numbers["rows"], key=lambda r: r["theta"])
    fine = np.linspace(min(THETAS), max(THETAS), 401)
    theta = [r["theta"] for r in rows]
    ax_js.plot(fine, np.where(fine == 0, 0, math.log(2)), "k-", lw=1, label="exact")
    ax_js.plot([0], [0], "ko", ms=4)
    ax_js.plot(
        theta, [r["js_estimate"] for r in rows], "o", color="tab:red", label="trained estimate"
    )
    ax_js.set(title="JS: a constant log 2 for every theta != 0", xlabel="theta", ylim=(-0.05, 0.8))
    ax_w.plot(fine, np.abs(fine), "k-", lw=1, label="exact")
    ax_w.plot(fine, [penalised_w(t) for t in fine], "k:", lw=1, label="penalised critic's optimum")
    ax_w.plot(
        theta, [r["w_estimate"] for r in rows], "o", color="tab:red", label="trained estimate"
    )
    ax_w.set(title="W1: |theta|", xlabel="theta")
    save(fig, [ax_js, ax_w], path)


CLAIM = Claim(
    name="disjoint_supports",
    statement="when the supports do not overlap, JS is the constant log 2 (and KL infinite) "
    "however far apart they are, while the Wasserstein distance still measures the distance",
    check=f"for two unit segments theta apart, theta in {list(THETAS)}: the trained "
    f"discriminator's JS estimate is at least {JS_FLOOR} log 2 for every theta != 0, the "
    f"gradient-penalty critic's W estimate is within {int(100 * W_TOLERANCE)}% of the penalised "
    f"critic's exact value |theta| + theta^2 / (2 lambda), and both are within {AT_ZERO} of 0 at "
    "theta = 0",
    anchor="Arjovsky et al. 2017 (WGAN), Example 1 and Figure 2",
    run=run,
    figure=figure,
)
