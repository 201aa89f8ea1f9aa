"""What both of Arjovsky & Bottou's gradient claims run (2017, Figures 2 and 3): a DCGAN trained on
the bundled digits with the -log D loss, its generator saved at three stages (each stage resumes
the one before, so the three share one training), and for each stage a probe (`ganexp.probe`):
the generator frozen, a fresh discriminator trained from scratch by cross-entropy (Adam, lr 1e-3),
and at its first step and every 10 steps the norm of the generator's gradient under the saturating
loss (`gan`) and under the -log D trick (`ns`), each the mean and spread over 4 noise batches,
with the fresh D's accuracy on real and on generated samples and its mean output on the latter.
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
    """For each stage, its probe's `readings`."""
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
        found[stage] = readings(curves(probe))
    return found


# what a probe's fresh D is read by, beside the norms: its mean output on generated samples
# (epsilon; the saturating loss's slope is proportional to it) and its accuracy on each side
JUDGED = {
    "d_fake": "train/d_fake",
    "acc_real": "train/d_accuracy_real",
    "acc_fake": "train/d_accuracy_fake",
}


def readings(logged: dict) -> dict[str, list[float]]:
    """A probe's readings at the steps where the norms were measured: the norms' means and
    spreads, and what the fresh D's last step said (`JUDGED`)."""
    at, _ = logged["train/g_grad_norm/gan"]
    found = {"d_step": at.tolist()} | {
        f"{loss}{part}": logged[f"train/g_grad_norm/{loss}{part}"][1].tolist()
        for loss in ("gan", "ns")
        for part in ("", "/std")
    }
    for name, key in JUDGED.items():
        steps, values = logged[key]
        found[name] = values[np.searchsorted(steps, at)].tolist()
    return found


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
