"""The critic's estimate is a loss that tracks sample quality; the GAN's is not (Arjovsky et al.
2017, WGAN, Figures 3-4; docs/theory.md sections 2 and 6).

A WGAN critic near its optimum estimates W1(data, generator), a distance that falls as the
generator approaches the data, so its curve over training is a learning curve. A GAN's
discriminator near its optimum estimates JS, which is log 2 whenever the supports do not meet and
says nothing about how far apart they are; in practice the GAN's estimate follows the balance of
the two players, not the samples.

Two data sets, each trained with WGAN-GP and with the non-saturating GAN on the same nets:
`balls45` (1-D, nine atoms, the `toy_balls45` preset's nets), whose quality is the exact W1 of the
samples as generated (`val/w1_unrounded`), and the bundled digits (the main job's DCGAN), whose
quality is the classifier FID. Each estimate is averaged over the generator steps between two
evaluations (the `train/` means of the evaluation history).
"""

from __future__ import annotations

from pathlib import Path

from ganexp.callbacks.evaluation import pearson, spearman
from ganexp.claims import Claim, Study, summary

TRACKS, BLIND = 0.8, 0.5  # the check: Pearson r of estimate and quality, WGAN-GP >=, GAN <
TOY_STEPS, DIGITS_STEPS = 1500, 1000
EVALUATIONS = 30  # per run

SETS = {
    "toy": {
        "overrides": [
            "model=mlp",
            "dataset=balls45",
            "train.batch_size=256",
        ],
        "wgan_gp": ["loss=wgan_gp", "loss.gp_one_sided=true"],
        "steps": TOY_STEPS,
        "quality": "val/w1_unrounded",
        "quality_label": "exact W1 (samples as generated)",
    },
    "digits": {
        "overrides": ["model=dcgan", "dataset=digits"],
        "wgan_gp": ["loss=wgan_gp"],
        "steps": DIGITS_STEPS,
        "quality": "val/fid_classifier",
        "quality_label": "classifier FID",
    },
}
ESTIMATES = {"wgan_gp": "train/w_estimate", "ns": "train/js_estimate"}


def run(study: Study) -> dict:
    numbers: dict = {}
    for data, spec in SETS.items():
        steps = study.steps(spec["steps"], least=6)
        every = max(1, steps // EVALUATIONS)
        for loss, estimate_key in ESTIMATES.items():
            run_dir = study.train(
                f"{data}_{loss}",
                [
                    *spec["overrides"],
                    *(spec["wgan_gp"] if loss == "wgan_gp" else ["loss=ns"]),
                    f"train.g_steps={steps}",
                    f"eval.every_n_g_steps={every}",
                    f"train.sample_every={steps}",
                    f"train.checkpoint_every={steps}",
                ],
            )
            history = summary(run_dir)["history"]
            rows = [r for r in history if estimate_key in r and spec["quality"] in r]
            estimate = [r[estimate_key] for r in rows]
            quality = [r[spec["quality"]] for r in rows]
            numbers[f"{data}/{loss}"] = {
                "steps": [r["g_step"] for r in rows],
                "estimate": estimate,
                "quality": quality,
                "pearson": pearson(estimate, quality),
                "spearman": spearman(estimate, quality),
            }
    wgan = [numbers[f"{d}/wgan_gp"]["pearson"] for d in SETS]
    # WGAN's Figure 4 is on images; on the toy the GAN's curve is shown beside, not checked
    held = all(r >= TRACKS for r in wgan) and not numbers["digits/ns"]["pearson"] >= BLIND
    said = "; ".join(
        f"{d}: WGAN-GP r = {numbers[f'{d}/wgan_gp']['pearson']:.2f}, "
        f"GAN r = {numbers[f'{d}/ns']['pearson']:.2f}"
        for d in SETS
    )
    return {"held": held, "said": said, **numbers}


def figure(numbers: dict, path: Path) -> None:
    from ganexp.claims.plots import figure_grid, save

    fig, axes = figure_grid(4, width=3.6, rows=2)
    legend_axes = []
    runs = [(data, loss) for data in SETS for loss in ESTIMATES]
    for ax, (data, loss) in zip(axes, runs):
        r = numbers[f"{data}/{loss}"]
        twin = ax.twinx()
        ax.plot(
            r["steps"],
            r["estimate"],
            "-",
            color="tab:red",
            label="the critic's (discriminator's) estimate",
        )
        twin.plot(r["steps"], r["quality"], "k--", label="sample quality (right axis)")
        name = "W estimate" if loss == "wgan_gp" else "JS estimate"
        ax.set(
            title=f"{data}, {'WGAN-GP' if loss == 'wgan_gp' else 'GAN (-log D)'}: r = {r['pearson']:.2f}",
            xlabel="generator step",
            ylabel=name,
        )
        twin.set_ylabel(SETS[data]["quality_label"])
        twin.set_yscale("log")  # both qualities fall by orders of magnitude, then level off
        if loss == "wgan_gp":
            ax.set_yscale("log")
        legend_axes += [ax, twin]
    save(fig, legend_axes, path)


CLAIM = Claim(
    name="meaningful_loss",
    statement="the WGAN critic's estimate of W1 is a loss curve that falls as the samples improve; "
    "the GAN discriminator's JS estimate is not",
    check=f"over {EVALUATIONS} evaluations of each run, the linear correlation of the critic's "
    f"W estimate with the sample quality (exact W1 on balls45 after {TOY_STEPS} steps, classifier "
    f"FID on digits after {DIGITS_STEPS}) is at least {TRACKS:g} under WGAN-GP on both, and that "
    f"of the GAN's JS estimate with the classifier FID is below {BLIND:g} on digits",
    anchor="Arjovsky et al. 2017 (WGAN), Figures 3-4",
    run=run,
    figure=figure,
)
