"""The better the discriminator, the more the saturating generator's gradient vanishes (Arjovsky &
Bottou 2017, Figure 2; docs/theory.md section 2).

Against the optimal discriminator the saturating loss E log(1 - D(G(z))) is 2 JS - 2 log 2, and
with supports on low-dimensional manifolds JS is the constant log 2: its gradient goes to 0. The
runs are `generator_gradient.probes`: DCGAN digits generators at three stages of training, each
frozen while a fresh discriminator learns; the saturating loss's gradient norm is read every 10
of the fresh discriminator's steps, with D's accuracy on real and on generated samples.

The check reads medians over stretches of a tenth of the readings (`robust`): the norm around
its peak against the norm over the last tenth, which no single low reading meets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganexp.claims import Claim, Study, robust
from ganexp.claims.generator_gradient import PROBE_STEPS, STAGES, plot_norms, probes

FALL = 5.0  # the check: for every stage the norm's end lies at least 5x below its peak ...
NEAR_OPTIMAL = (
    0.99  # ... against a fresh D that ends this accurate on real and on generated samples
)


def verdict(found: dict[str, dict]) -> dict:
    """The check on every stage's readings (`generator_gradient.readings`)."""
    falls, accuracy, relative = {}, {}, {}
    for stage, r in found.items():
        falls[stage] = robust.fall(r["gan"])
        accuracy[stage] = min(robust.end(r["acc_real"]), robust.end(r["acc_fake"]))
        # the norm in units of the -log D loss's at the same D: Arjovsky & Bottou's bound
        # M eps / (1 - eps) over M, the size of D's own gradient
        relative[stage] = robust.fall(np.divide(r["gan"], r["ns"]))
    held = all(falls[s] >= FALL and accuracy[s] >= NEAR_OPTIMAL for s in found)
    return {"held": held, "falls": falls, "end_accuracy": accuracy, "relative_falls": relative}


def run(study: Study) -> dict:
    found = probes(study)
    numbers = verdict(found)
    said = ", ".join(
        f"{stage}: {robust.peak(found[stage]['gan'])[0]:.3g} -> {robust.end(found[stage]['gan']):.3g} "
        f"({numbers['falls'][stage]:.0f}x; D {100 * numbers['end_accuracy'][stage]:.1f}% accurate)"
        for stage in found
    )
    return {"said": said, **numbers, **found}


def figure(numbers: dict, path: Path) -> None:
    """The saturating loss's norm over every stage, and how well each fresh D judges: its mean
    output on generated samples (the loss's slope is proportional to it)."""
    from ganexp.claims.plots import figure_grid, save

    fig, (norms, judged) = figure_grid(2, width=4.6, height=3.4)
    plot_norms(norms, numbers, "gan", "saturating loss: the gradient vanishes as D learns")
    for stage, color in zip(STAGES, ("tab:blue", "tab:orange", "tab:green")):
        r = numbers[stage]
        judged.semilogy(r["d_step"], r["d_fake"], color=color)
    judged.set(
        title="the fresh D's mean output on generated samples",
        xlabel="steps of the fresh discriminator",
        ylabel="E D(G(z))",
    )
    save(fig, [norms, judged], path)


CLAIM = Claim(
    name="vanishing_gradient",
    statement="the better the discriminator, the more the gradient of the saturating generator "
    "loss log(1 - D(G(z))) vanishes",
    check=f"for DCGAN digits generators after {', '.join(map(str, STAGES.values()))} steps, "
    f"each frozen while a fresh discriminator trains for {PROBE_STEPS} steps, D ends at least "
    f"{100 * NEAR_OPTIMAL:g}% accurate on real and on generated samples and the norm of the "
    f"saturating loss's gradient ends at least {FALL:g}x below its peak (medians over a tenth "
    "of the readings each)",
    anchor="Arjovsky & Bottou 2017, Figure 2",
    run=run,
    figure=figure,
)
