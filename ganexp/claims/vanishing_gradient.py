"""The better the discriminator, the more the saturating generator's gradient vanishes (Arjovsky &
Bottou 2017, Figure 2; docs/theory.md section 2).

Against the optimal discriminator the saturating loss E log(1 - D(G(z))) is 2 JS - 2 log 2, and
with supports on low-dimensional manifolds JS is the constant log 2: its gradient goes to 0. The
runs are `generator_gradient.probes`: DCGAN digits generators at three stages of training, each
frozen while a fresh discriminator learns; the saturating loss's gradient norm is read every 10
of the fresh discriminator's steps.
"""

from __future__ import annotations

import numpy as np

from ganexp.claims import Claim, Study
from ganexp.claims.generator_gradient import PROBE_STEPS, STAGES, norms_figure, probes

FALL = 10.0  # the check: after its peak the norm falls at least 10x, for every stage


def run(study: Study) -> dict:
    found = probes(study)
    falls, at_end = {}, {}
    for stage, r in found.items():
        norms = np.asarray(r["gan"])
        peak = int(norms.argmax())
        falls[stage] = float(norms[peak] / norms[peak:].min())
        at_end[stage] = float(norms[peak] / norms[-1])  # the fresh D does not always stay its best
    held = all(f >= FALL for f in falls.values())
    said = ", ".join(
        f"{stage}: {max(found[stage]['gan']):.3g} -> {max(found[stage]['gan']) / f:.3g} ({f:.0f}x)"
        for stage, f in falls.items()
    )
    return {"held": held, "said": said, "falls": falls, "falls_at_end": at_end, **found}


CLAIM = Claim(
    name="vanishing_gradient",
    statement="the better the discriminator, the more the gradient of the saturating generator "
    "loss log(1 - D(G(z))) vanishes",
    check=f"for DCGAN digits generators after {', '.join(map(str, STAGES.values()))} steps, "
    f"each frozen while a fresh discriminator trains for {PROBE_STEPS} steps, the norm of the "
    f"saturating loss's gradient falls at least {FALL:g}x below its peak",
    anchor="Arjovsky & Bottou 2017, Figure 2",
    run=run,
    figure=norms_figure("gan", "saturating loss: the gradient vanishes as D learns"),
)
