"""The optimal discriminator (Goodfellow et al. 2014, Figure 1; docs/theory.md section 2).

For a fixed generator, the discriminator that maximises V(G, D) is D*(x) = p(x) / (p(x) + q(x)),
and at D* the value gives JS: (V(G, D*) + log 4) / 2 = JS(p || q). Three generators of the 1-D data
N(2, 1), from far to equal, are frozen (`train.freeze_generator=true`) while a fresh MLP
discriminator trains against each by cross-entropy; its D(x) is compared with D*(x) on a grid and
its JS estimate, on 200,000 fresh samples, with the exact JS by quadrature.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ganexp.claims import Claim, Study, load_module

DATA = (2.0, 1.0)  # dataset=gauss1d: N(2, 1)
GENERATORS = {"far": (-1.0, 0.5), "near": (1.0, 0.7), "equal": (2.0, 1.0)}  # (mu, sigma) of G
MAX_ERROR, MAX_JS_GAP = 0.05, 0.03  # the check
GRID = np.linspace(-4.0, 8.0, 4001)


def normal_pdf(x: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    return np.exp(-0.5 * ((x - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))


def exact_js(p: np.ndarray, q: np.ndarray, x: np.ndarray) -> float:
    """JS(p || q) of two densities on the grid `x`, by the trapezoid rule."""
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p / m), 0.0) + np.where(q > 0, q * np.log(q / m), 0.0)
    return float(np.trapezoid(terms / 2, x))


def measure(run_dir: Path, mu: float, sigma: float, seed: int) -> dict:
    module = load_module(run_dir)
    with torch.no_grad():
        logits = module.discriminator(torch.tensor(GRID, dtype=torch.float32)[:, None]).flatten()
        gen = torch.Generator().manual_seed(seed)
        real = DATA[0] + DATA[1] * torch.randn(200_000, 1, generator=gen)
        fake = module.sample(200_000, gen)
        d_real, d_fake = module.discriminator(real).flatten(), module.discriminator(fake).flatten()
        js_hat = (-F.softplus(-d_real).mean() - F.softplus(d_fake).mean() + math.log(4)) / 2
    p, q = normal_pdf(GRID, *DATA), normal_pdf(GRID, mu, sigma)
    d, d_star = torch.sigmoid(logits).numpy(), p / (p + q)
    error = float(np.trapezoid((p + q) / 2 * np.abs(d - d_star), GRID))
    return {
        "mu": mu,
        "sigma": sigma,
        "error": error,
        "js": exact_js(p, q, GRID),
        "js_estimate": float(js_hat),
        "d": d[::20].tolist(),  # every 20th grid point, for the figure
    }


def run(study: Study) -> dict:
    steps = study.steps(3000)
    results = {}
    for name, (mu, sigma) in GENERATORS.items():
        run_dir = study.train(
            name,
            [
                "model=gaussian",
                "dataset=gauss1d",
                "loss=gan",
                "train.freeze_generator=true",
                f"model.generator.mu={mu}",
                f"model.generator.sigma={sigma}",
                "optimizer.d.lr=1e-3",
                "train.batch_size=256",
                f"train.g_steps={steps}",
                f"eval.every_n_g_steps={steps}",
                f"train.sample_every={steps}",
            ],
        )
        results[name] = measure(run_dir, mu, sigma, study.seed)
    worst_error = max(r["error"] for r in results.values())
    worst_gap = max(abs(r["js_estimate"] - r["js"]) for r in results.values())
    held = worst_error <= MAX_ERROR and worst_gap <= MAX_JS_GAP
    said = ", ".join(
        f"{k}: E|D - D*| {r['error']:.3f}, JS^ {r['js_estimate']:.3f} vs JS {r['js']:.3f}"
        for k, r in results.items()
    )
    return {
        "held": held,
        "said": said,
        "worst_error": worst_error,
        "worst_js_gap": worst_gap,
        **results,
    }


def figure(numbers: dict, path: Path) -> None:
    from ganexp.claims.plots import figure_grid, save

    fig, axes = figure_grid(len(GENERATORS))
    x = GRID[::20]
    for ax, name in zip(axes, GENERATORS):
        r = numbers[name]
        p, q = normal_pdf(x, *DATA), normal_pdf(x, r["mu"], r["sigma"])
        ax.plot(x, p, "k--", label="data p")
        ax.plot(x, q, "g-", label="generator q")
        ax.plot(x, p / (p + q), color="tab:orange", lw=3, alpha=0.6, label="D* = p / (p + q)")
        ax.plot(x, r["d"], "b-", label="trained D")
        ax.set_title(f"{name}: JS {r['js']:.3f}, estimate {r['js_estimate']:.3f}", fontsize=9)
        ax.set_ylim(-0.02, 1.02)
    save(fig, axes[0], path)


CLAIM = Claim(
    name="optimal_discriminator",
    statement="against a fixed generator the trained discriminator is D* = p / (p + q), and its "
    "value (V + log 4) / 2 is the Jensen-Shannon divergence",
    check=f"for three frozen 1-D generators (far, near, equal to the data), the mean of |D - D*| "
    f"under (p + q) / 2 is at most {MAX_ERROR} and the JS estimate is within {MAX_JS_GAP} of the "
    "exact JS",
    anchor="Goodfellow et al. 2014, Figure 1",
    run=run,
    figure=figure,
)
