"""The -log D trick's gradient grows and scatters as the discriminator improves, and the loss drops
modes (Arjovsky & Bottou 2017, Figure 3; docs/theory.md section 2).

Against the optimal discriminator the -log D loss is KL(q || p) - 2 JS(p || q) plus terms free of
G: it pushes JS up while pulling the reverse KL down, and the reverse KL barely punishes a missing
mode. The gradient runs are `generator_gradient.probes` (the same as `vanishing_gradient`): the
norm of the -log D loss's gradient, its mean and spread over 4 noise batches, as a fresh
discriminator learns. The mode runs train the non-saturating GAN's default MLP on the ring of 8
Gaussians and count the modes it covers.
"""

from __future__ import annotations

import numpy as np

from ganexp.claims import Claim, Study, summary
from ganexp.claims.generator_gradient import PROBE_STEPS, STAGES, norms_figure, probes

GROWTH = 10.0  # the check: the mean norm ends at least 10x above its first measurement
RING_STEPS = 3000


def run(study: Study) -> dict:
    found = probes(study)
    growth, spread = {}, {}
    for stage, r in found.items():
        mean, std = np.asarray(r["ns"]), np.asarray(r["ns/std"])
        growth[stage] = float(mean[-1] / mean[0])
        spread[stage] = float(std[-1] / mean[-1])  # relative spread over noise batches at the end
    steps = study.steps(RING_STEPS)
    ring = summary(
        study.train(
            "ring_ns",
            [
                "model=mlp",
                "dataset=ring8",
                "loss=ns",
                f"train.g_steps={steps}",
                f"eval.every_n_g_steps={steps}",
                f"train.sample_every={steps}",
            ],
        )
    )
    modes = ring["val/modes_covered"]
    held = all(g >= GROWTH for g in growth.values()) and modes < 8
    said = ", ".join(
        f"{stage}: {found[stage]['ns'][0]:.3g} -> {found[stage]['ns'][-1]:.3g} "
        f"({growth[stage]:.0f}x, spread {100 * spread[stage]:.0f}%)"
        for stage in found
    )
    said += f"; ring: {modes:.0f} of 8 modes covered"
    return {
        "held": held,
        "said": said,
        "growth": growth,
        "relative_spread": spread,
        "ring_modes_covered": modes,
        "ring_hq_fraction": ring["val/hq_fraction"],
        **found,
    }


CLAIM = Claim(
    name="unstable_gradient",
    statement="the -log D loss minimises KL(q || p) - 2 JS(p || q): as the discriminator "
    "improves its gradient grows and scatters, and it drops modes",
    check=f"for DCGAN digits generators after {', '.join(map(str, STAGES.values()))} steps, "
    f"each frozen while a fresh discriminator trains for {PROBE_STEPS} steps, the mean norm of "
    f"the -log D loss's gradient ends at least {GROWTH:g}x above its first measurement, and the "
    f"non-saturating MLP GAN on the ring of 8 covers fewer than 8 modes after {RING_STEPS} steps",
    anchor="Arjovsky & Bottou 2017, Figure 3",
    run=run,
    figure=norms_figure("ns", "-log D loss: mean and spread of the gradient", spread=True),
)
