"""Instance noise (Arjovsky & Bottou 2017, section 4; Sonderby et al. 2017; docs/theory.md
section 8).

The data are N(0, 0.05^2) and the generator N(4, 0.05^2) (`model=gaussian`): 80 standard
deviations apart, the supports do not overlap in any numerical sense. The saturating GAN with a
strong discriminator (five critic steps per generator step) then sees D reject every fake with
certainty, and log(1 - D(G(z))) has no slope left: the generator stalls. Gaussian noise on every
input of D (`callbacks=[instance_noise]`, std 2 falling to 0 over the run) makes the two noisy
distributions overlap, so D can be trained as well as it can be without starving G, and the
generator converges. Both runs share everything else, including the seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ganexp.claims import Claim, Study, curves, load_module, robust

START, SPREAD = 4.0, 0.05  # the generator starts at N(4, 0.05^2); the data are N(0, 0.05^2)
STALLED, CONVERGED = 0.9, 0.05  # the check: W1 to the data at the end / START, without and with
# noise (W1 between two Gaussians of one spread is the distance between their means)
NOISE = 2.0


def overrides(steps: int, noise: bool) -> list[str]:
    return [
        "model=gaussian",
        "dataset=mixture1d",
        "dataset.datamodule.means=[0.0]",
        f"dataset.datamodule.std={SPREAD}",
        "dataset.datamodule.weights=[1.0]",
        f"model.generator.mu={START}",
        f"model.generator.sigma={SPREAD}",
        "loss=gan",
        "loss.n_critic=5",
        "optimizer=sgd",
        "optimizer.d.lr=0.05",
        "optimizer.g.lr=0.05",
        "train.batch_size=256",
        f"train.g_steps={steps}",
        f"eval.every_n_g_steps={max(1, steps // 20)}",
        f"train.sample_every={steps}",
        "trainer.log_every_n_steps=10",
        *(["callbacks=[instance_noise]", f"callbacks.instance_noise.std={NOISE}"] if noise else []),
    ]


def verdict(bare: Sequence[float], noisy: Sequence[float]) -> dict:
    """The check on the W1 curves without and with noise: how much of its distance to the data
    the generator keeps at the end (the median of the last tenth of the evaluations)."""
    kept, left = robust.end(bare) / START, robust.end(noisy) / START
    return {"held": kept >= STALLED and left <= CONVERGED, "kept": kept, "left": left}


def run(study: Study) -> dict:
    steps = study.steps(2000, least=10)
    rows = {}
    for name, noise in (("without noise", False), ("with noise", True)):
        run_dir = study.train(name.replace(" ", "_"), overrides(steps, noise))
        generator = load_module(run_dir).generator
        found = curves(run_dir)
        rows[name] = {
            "mu": float(generator.mu),
            "sigma": float(generator.sigma),
            "w1": found["val/w1"][1].tolist(),
            "w1_steps": found["val/w1"][0].tolist(),
            "js_estimate": found["train/js_estimate"][1].tolist(),
            "js_steps": found["train/js_estimate"][0].tolist(),
        }
    numbers = verdict(rows["without noise"]["w1"], rows["with noise"]["w1"])
    said = (
        f"without noise G keeps {100 * numbers['kept']:.1f}% of its distance to the data, with "
        f"noise {100 * numbers['left']:.2f}% of it (its final mu {rows['without noise']['mu']:.3f} "
        f"and {rows['with noise']['mu']:.3f})"
    )
    return {**numbers, "said": said, **rows}


def figure(numbers: dict, path: Path) -> None:
    from ganexp.claims.plots import figure_grid, save

    fig, (ax_w, ax_js) = figure_grid(2, width=4.2)
    for name, style in (("without noise", "k-"), ("with noise", "r-")):
        r = numbers[name]
        ax_w.plot(r["w1_steps"], r["w1"], style, label=name)
        ax_js.plot(r["js_steps"], r["js_estimate"], style, label=name)
    ax_w.set(title="exact W1 to the data", xlabel="generator step", yscale="log")
    ax_js.set(title="D's JS estimate (noisy inputs with noise)", xlabel="generator step")
    save(fig, [ax_w], path)


CLAIM = Claim(
    name="instance_noise",
    statement="instance noise makes the supports overlap, so the discriminator can be trained "
    "to optimality without balancing it against the generator",
    check=f"from N({START:g}, {SPREAD}^2) against data N(0, {SPREAD}^2), the saturating GAN with "
    f"five critic steps per generator step keeps at least {int(100 * STALLED)}% of its distance "
    f"to the data without noise, and ends within {int(100 * CONVERGED)}% of it with instance "
    f"noise (std {NOISE:g} annealed to 0); the distance is W1 to the data, the median over the "
    "last tenth of the evaluations",
    anchor="Arjovsky & Bottou 2017, section 4 (instance noise); Sonderby et al. 2017",
    run=run,
    figure=figure,
)
