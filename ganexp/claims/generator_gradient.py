"""What both of Arjovsky & Bottou's gradient claims run (2017, Figures 2 and 3): a DCGAN trained on
the bundled digits with the -log D loss, its generator saved at three stages (each stage resumes
the one before, so the three share one training), and for each stage a probe (`ganexp.probe`):
the generator frozen, a fresh discriminator trained from scratch by cross-entropy (Adam, lr 1e-3),
and at its first step and every 10 steps the norm of the generator's gradient under the saturating
loss (`gan`) and under the -log D trick (`ns`), each the mean and spread over 4 noise batches.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganexp.claims import Study, curves

STAGES = {"early": 50, "middle": 500, "late": 1500}  # generator steps at each saved stage
PROBE_STEPS = 1500
# the fresh D learns at 1e-3 (DCGAN's Adam, betas (0.5, 0.999)), so that it nears optimality within
# the probe; at DCGAN's 2e-4 it separated the two better generators only partly in 1,500 steps
PROBE_LR = 1e-3


def probes(study: Study) -> dict[str, dict[str, list[float]]]:
    """For each stage: the fresh D's step and the gradient norms' means and spreads."""
    previous, found = None, {}
    for stage, g_steps in STAGES.items():
        steps = study.steps(g_steps)
        run = study.train(
            f"dcgan_{stage}",
            [
                "model=dcgan",
                "dataset=digits",
                "loss=ns",
                f"train.g_steps={steps}",
                f"eval.every_n_g_steps={steps}",
                f"train.sample_every={steps}",
                f"train.checkpoint_every={steps}",
                *([f"resume={Path(previous).resolve()}"] if previous else []),
            ],
        )
        previous = run
        d_steps = study.steps(PROBE_STEPS, least=20)
        probe = study.probe(
            f"probe_{stage}",
            run,
            [
                "loss=gan",
                f"optimizer.d.lr={PROBE_LR}",
                f"train.g_steps={d_steps}",
                "callbacks.diagnostics.every=10",
                "trainer.log_every_n_steps=1",  # the logs hold the first step's reading too
            ],
        )
        logged = curves(probe)
        steps_at, _ = logged["train/g_grad_norm/gan"]
        found[stage] = {"d_step": steps_at.tolist()} | {
            f"{loss}{part}": logged[f"train/g_grad_norm/{loss}{part}"][1].tolist()
            for loss in ("gan", "ns")
            for part in ("", "/std")
        }
        found[stage]["d_accuracy"] = accuracy(logged)
    return found


def accuracy(logged: dict) -> list[float]:
    """The fresh D's mean output on real minus on fake, a stand-in for how well it separates."""
    real, fake = logged["train/d_real"][1], logged["train/d_fake"][1]
    return (np.asarray(real) - np.asarray(fake)).tolist()


def plot_norms(ax, numbers: dict, loss: str, title: str, spread: bool = False) -> None:
    for stage, color in zip(STAGES, ("tab:blue", "tab:orange", "tab:green")):
        r = numbers[stage]
        steps, mean = np.asarray(r["d_step"]), np.asarray(r[loss])
        ax.semilogy(steps, mean, color=color, label=f"G after {STAGES[stage]} steps ({stage})")
        if spread:
            std = np.asarray(r[f"{loss}/std"])
            ax.fill_between(
                steps, np.maximum(mean - std, 1e-12), mean + std, color=color, alpha=0.2
            )
    ax.set(title=title, xlabel="steps of the fresh discriminator", ylabel="||grad_G||")


def norms_figure(loss: str, title: str, spread: bool = False):
    """The figure function of a claim that plots `loss`'s gradient norm over every stage."""

    def figure(numbers: dict, path: Path) -> None:
        from ganexp.claims.plots import figure_grid, save

        fig, (ax,) = figure_grid(1, width=5.0, height=3.4)
        plot_norms(ax, numbers, loss, title, spread)
        save(fig, ax, path)

    return figure
