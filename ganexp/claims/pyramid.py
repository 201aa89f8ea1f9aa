"""LAPGAN's pyramid against one GAN at full size, at equal wall-clock time (Denton et al. 2015;
docs/theory.md section 10).

LAPGAN splits 32 px generation into an 8 px GAN and two conditional GANs that each add the detail
of one octave, each an easier problem than the whole image. The comparison that matters to a
user is at equal cost: every model trains for the same measured wall-clock time
(`trainer.max_time`, whatever its step count), and is then scored by classifier FID on 2,500
samples. The pyramid is the `lapgan_digits` preset. The single GAN is the DCGAN at 32 px with the
same loss (-log D), trained twice: with the pyramid's optimizer settings and generator EMA (Adam
betas (0, 0.9), EMA decay 0.99), so that only the generator's design differs, and with DCGAN's
own (betas (0.5, 0.999), no EMA). The pyramid is compared with the better of the two.
"""

from __future__ import annotations

from pathlib import Path

from ganexp.claims import Claim, Study, summary

SECONDS = 180  # each model's wall-clock budget at scale 1
UNLIMITED = 10**7  # steps: the time is the budget

SHARED = ["dataset=digits", "dataset.image_size=32", "loss=ns"]
PYRAMID_RECIPE = [
    "optimizer.g.betas=[0.0,0.9]",
    "optimizer.d.betas=[0.0,0.9]",
    "callbacks=[ema]",
    "callbacks.ema.decay=0.99",
]
MODELS = {  # name: (overrides, label)
    "pyramid": (["experiment=lapgan_digits", *PYRAMID_RECIPE], "LAPGAN pyramid"),
    "single": (["model=dcgan", *PYRAMID_RECIPE], "DCGAN, the pyramid's recipe"),
    "single_own": (["model=dcgan"], "DCGAN, its own recipe"),
}


def max_time(seconds: int) -> str:
    """Lightning's `DD:HH:MM:SS`."""
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days:02d}:{hours:02d}:{minutes:02d}:{seconds:02d}"


def run(study: Study) -> dict:
    seconds = study.steps(SECONDS, least=5)
    numbers: dict = {"seconds": seconds}
    for name, (model, _) in MODELS.items():
        s = summary(
            study.train(
                name,
                [
                    *model,
                    *SHARED,
                    f"train.g_steps={UNLIMITED}",
                    f"trainer.max_time={max_time(seconds)}",
                    f"eval.every_n_g_steps={UNLIMITED}",  # once, at the end (outside the time)
                    f"train.sample_every={UNLIMITED}",
                    f"train.checkpoint_every={UNLIMITED}",
                ],
            )
        )
        numbers[name] = {
            "fid_classifier": s["val/fid_classifier"],
            "classes_covered": s["val/classes_covered"],
            "g_steps": s["g_steps"],
            "g_steps_per_s": s["g_steps_per_s"],
        }
    pyramid = numbers["pyramid"]["fid_classifier"]
    best = min(numbers[n]["fid_classifier"] for n in MODELS if n != "pyramid")
    said = f"in {seconds} s each, classifier FID: " + ", ".join(
        f"{MODELS[n][1]} {numbers[n]['fid_classifier']:.1f} ({numbers[n]['g_steps']} steps)"
        for n in MODELS
    )
    return {"held": pyramid <= best, "said": said, "runs": dict(study.runs), **numbers}


def figure(numbers: dict, path: Path) -> None:
    """The runs' final sample grids side by side, titled with their scores."""
    from ganexp.claims.plots import figure_grid, save, show_samples

    fig, axes = figure_grid(len(MODELS), width=4.0, height=4.3)
    for ax, (name, (_, label)) in zip(axes, MODELS.items()):
        r = numbers[name]
        title = f"{label}: FID {r['fid_classifier']:.1f}\n{r['g_steps']} steps in {numbers['seconds']} s"
        show_samples(ax, numbers["runs"][name], title)
    save(fig, axes, path)


CLAIM = Claim(
    name="pyramid",
    statement="a Laplacian pyramid of GANs (LAPGAN) makes better 32 px digits than one GAN at "
    "full size for the same training time",
    check=f"after {SECONDS} s of training each (trainer.max_time), the LAPGAN preset's classifier "
    "FID is at most that of the DCGAN at 32 px with the same loss, under the better of two "
    "recipes (the pyramid's optimizer settings and EMA, or DCGAN's own)",
    anchor="Denton et al. 2015 (LAPGAN), section 4 and Figure 3",
    run=run,
    figure=figure,
)
