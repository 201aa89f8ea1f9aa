"""The -log D trick's gradient grows and scatters as the discriminator improves, and the loss drops
modes (Arjovsky & Bottou 2017, Figure 3; docs/theory.md section 2).

Against the optimal discriminator the -log D loss is KL(q || p) - 2 JS(p || q) plus terms free of
G: it pushes JS up while pulling the reverse KL down, and the reverse KL barely punishes a missing
mode. The gradient runs are `generator_gradient.probes` (the same as `vanishing_gradient`): the
norm of the -log D loss's gradient, its mean and spread over 4 noise batches, as a fresh
discriminator learns. The mode runs train PacGAN's nets on the ring of 8 Gaussians (the
`toy_ring8` preset without its discrete code, which would give G a map per mode, and its
generator alone): as the -log D GAN with a discriminator kept closer to
optimal (10 critic steps per generator step on batches of 64, one sample per judgement), and as
the preset itself (packs of 2), which covers every mode; each is scored by the same rule (2,500 samples, high
quality within 3 standard deviations of a mode).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganexp.claims import Claim, Study, robust, summary
from ganexp.claims.generator_gradient import PROBE_STEPS, STAGES, plot_norms, probes

GROWTH = 5.0  # the check: the mean norm's end lies at least 5x above its first reading (the
# fresh discriminator before it learned, a mean over 4 noise batches) ...
HIGH_QUALITY = 0.5  # ... and the -log D GAN covers fewer than 8 modes, with this share or more
# of its samples of high quality: a collapse, not a generator that did not train

# PacGAN's nets, one continuous map of the noise (no code), the generator alone
RING = ["experiment=toy_ring8", "model.codes=0", "sampling.rejection=false"]
CRITIC_STEPS, BATCH = 10, 64  # a discriminator kept near optimal, on small batches
RINGS = {  # name: (overrides, generator steps, label)
    "ring_ns": (
        [*RING, "model.pack=1", f"loss.n_critic={CRITIC_STEPS}", f"train.batch_size={BATCH}"],
        1000,
        f"-log D, {CRITIC_STEPS} critic steps a generator step, batch {BATCH}",
    ),
    "ring_pacgan": (RING, 5000, "PacGAN2, the toy_ring8 preset without its code"),
}


def verdict(found: dict[str, dict], ring: dict) -> dict:
    """The check on every stage's readings (`generator_gradient.readings`) and on the -log D
    GAN's ring (its summary)."""
    growth, spread = {}, {}
    for stage, r in found.items():
        mean, std = np.asarray(r["ns"]), np.asarray(r["ns/std"])
        growth[stage] = robust.end(mean) / float(mean[0])  # the first reading: D before it learned
        spread[stage] = robust.end(std / mean)  # relative spread over noise batches at the end
    modes, hq = int(ring["val/modes_covered"]), float(ring["val/hq_fraction"])
    collapsed = modes < 8 and hq >= HIGH_QUALITY
    held = all(g >= GROWTH for g in growth.values()) and collapsed
    return {
        "held": held,
        "growth": growth,
        "relative_spread": spread,
        "ring_modes_covered": modes,
        "ring_hq_fraction": hq,
    }


def run(study: Study) -> dict:
    found = probes(study)
    rings = {}
    for name, (overrides, steps, _) in RINGS.items():
        steps = study.steps(steps)
        run_dir = study.train(
            name,
            [
                *overrides,
                f"train.g_steps={steps}",
                f"eval.every_n_g_steps={steps}",
                f"train.sample_every={steps}",
                f"train.checkpoint_every={steps}",
            ],
        )
        s = summary(run_dir)
        rings[name] = {k: s[f"val/{k}"] for k in ("modes_covered", "hq_fraction", "mode_kl")}
        rings[name]["run"] = str(run_dir)
    numbers = verdict(found, {f"val/{k}": v for k, v in rings["ring_ns"].items()})
    said = ", ".join(
        f"{stage}: {found[stage]['ns'][0]:.3g} -> {robust.end(found[stage]['ns']):.3g} "
        f"({numbers['growth'][stage]:.0f}x, spread {100 * numbers['relative_spread'][stage]:.0f}%)"
        for stage in found
    )
    said += "; ring: " + ", ".join(
        f"{RINGS[n][2]} {r['modes_covered']:.0f} of 8 modes, {100 * r['hq_fraction']:.1f}% "
        "high quality"
        for n, r in rings.items()
    )
    return {"said": said, **numbers, "rings": rings, **found}


def figure(numbers: dict, path: Path) -> None:
    """The norms over every stage, and the two rings' samples."""
    from ganexp.claims.plots import figure_grid, save, show_samples

    fig, axes = figure_grid(1 + len(RINGS), width=4.2, height=3.6)
    plot_norms(axes[0], numbers, "ns", "-log D loss: mean and spread of the gradient", True)
    for ax, (name, r) in zip(axes[1:], numbers["rings"].items()):
        title = (
            f"{RINGS[name][2]}:\n{r['modes_covered']:.0f} of 8 modes, "
            f"{100 * r['hq_fraction']:.1f}% high quality"
        )
        show_samples(ax, r["run"], title)
    save(fig, axes[0], path)


CLAIM = Claim(
    name="unstable_gradient",
    statement="the -log D loss minimises KL(q || p) - 2 JS(p || q): as the discriminator "
    "improves its gradient grows and scatters, and it drops modes",
    check=f"for DCGAN digits generators after {', '.join(map(str, STAGES.values()))} steps, "
    f"each frozen while a fresh discriminator trains for {PROBE_STEPS} steps, the mean norm of "
    f"the -log D loss's gradient ends (the median of its last tenth) at least {GROWTH:g}x above "
    "its first reading; and on the ring of 8 the -log D GAN with PacGAN's nets and "
    f"{CRITIC_STEPS} critic steps a generator step (batches of {BATCH}) covers fewer than 8 modes "
    f"after {RINGS['ring_ns'][1]} steps, with at least {100 * HIGH_QUALITY:g}% of its samples of "
    "high quality",
    anchor="Arjovsky & Bottou 2017, Figure 3",
    run=run,
    figure=figure,
)
