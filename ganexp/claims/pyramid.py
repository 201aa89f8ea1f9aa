"""LAPGAN's pyramid against one GAN at full size, over the same wall-clock time (Denton et al.
2015; docs/theory.md section 10).

LAPGAN splits 32 px generation into an 8 px GAN and two conditional GANs that each add the detail
of one octave, each an easier problem than the whole image. The comparison that matters to a
user is at equal cost: every model trains for the same measured wall-clock time
(`trainer.max_time`, whatever its step count), keeps a snapshot every `1 / READINGS` of it
(`train.snapshot_every_s`), and each snapshot is then scored by classifier FID on 2,500 samples,
so each model gives its FID against training time. The pyramid is the `lapgan_digits` preset.
The single GAN is the DCGAN at 32 px with the same loss (-log D), trained twice: with the
pyramid's optimizer settings and generator EMA (Adam betas (0, 0.9), EMA decay 0.99), so that
only the generator's design differs, and with DCGAN's own (betas (0.5, 0.999), no EMA). The
pyramid is compared with the better of the two at the end of the budget, read off each curve's
trend over the second half of the time (a Theil-Sen line through log FID): where the pyramid
still falls fast, a median over that stretch lags behind where it ends, and a last reading is one
evaluation; the trend uses every reading, and one lucky evaluation cannot carry it far.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ganexp.atomic import write_text
from ganexp.claims import Claim, Study, summary
from ganexp.claims.robust import trend_end

SECONDS = 220  # each model's wall-clock budget at scale 1: the preset's 2,000 steps on 2 cores
READINGS = 11  # FID readings along it, the last at the end ...
LEAST_GAP = 10  # ... at least this many seconds apart (a reading costs a few seconds)
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


def over_time(run_dir: Path, seconds: float) -> dict[str, list[float]]:
    """Classifier FID (`fid`) and generator steps (`g_steps_at`) at every snapshot of a run and
    at its end (`seconds`), kept beside the run in `over_time.json` so a second reading costs
    nothing."""
    from ganexp.callbacks.snapshots import snapshot_seconds, snapshots
    from ganexp.evaluate import evaluate_each

    kept = Path(run_dir) / "over_time.json"
    if kept.is_file():
        return json.loads(kept.read_text())
    # those taken as the clock ran out are the end, read below
    before = [p for p in snapshots(run_dir) if snapshot_seconds(p) < seconds]
    scores = evaluate_each(run_dir, checkpoints=before) if before else []
    found = {
        "seconds": [snapshot_seconds(p) for p in before],
        "fid": [s["val/fid_classifier"] for s in scores],
        "g_steps_at": [s["g_steps"] for s in scores],
    }
    end = summary(run_dir)
    found["seconds"].append(float(seconds))
    found["fid"].append(end["val/fid_classifier"])
    found["g_steps_at"].append(end["g_steps"])
    write_text(kept, json.dumps(found))
    return found


def end_fid(curve: dict) -> float:
    """The FID at the end of the time on the trend of the second half: the Theil-Sen line
    through log FID over those readings (FID falls roughly geometrically), read at the end."""
    t, fid = np.asarray(curve["seconds"]), np.asarray(curve["fid"])
    half = t >= t[-1] / 2
    return float(np.exp(trend_end(t[half], np.log(fid[half]))))


def verdict(curves: dict[str, dict]) -> dict:
    """Whether the pyramid's FID at the end of the time, on the trend of its second half, is at
    most the better single GAN's, and at which readings (in order, each model's k-th) it leads."""
    ends = {n: end_fid(c) for n, c in curves.items()}
    single = min((n for n in curves if n != "pyramid"), key=ends.get)
    n = min(len(c["fid"]) for c in curves.values())
    best_single = np.min([curves[m]["fid"][:n] for m in curves if m != "pyramid"], axis=0)
    leads = np.asarray(curves["pyramid"]["fid"][:n]) <= best_single
    return {
        "held": ends["pyramid"] <= ends[single],
        "end_fid": ends,
        "better_single": single,
        "leads_at_s": [curves["pyramid"]["seconds"][k] for k in range(n) if leads[k]],
        "trails_at_s": [curves["pyramid"]["seconds"][k] for k in range(n) if not leads[k]],
    }


def run(study: Study) -> dict:
    seconds = study.steps(SECONDS, least=5)
    numbers: dict = {"seconds": seconds}
    curves = {}
    for name, (model, _) in MODELS.items():
        run_dir = study.train(
            name,
            [
                *model,
                *SHARED,
                f"train.g_steps={UNLIMITED}",
                f"trainer.max_time={max_time(seconds)}",
                f"train.snapshot_every_s={max(seconds / READINGS, LEAST_GAP)}",
                f"eval.every_n_g_steps={UNLIMITED}",  # once, at the end (outside the time)
                f"train.sample_every={UNLIMITED}",
                f"train.checkpoint_every={UNLIMITED}",
            ],
        )
        s = summary(run_dir)
        curves[name] = over_time(run_dir, seconds)
        numbers[name] = {
            "fid_classifier": s["val/fid_classifier"],
            "classes_covered": s["val/classes_covered"],
            "g_steps": s["g_steps"],
            "g_steps_per_s": s["g_steps_per_s"],
            **curves[name],
        }
    found = verdict(curves)
    said = f"FID at {seconds} s on the trend of the last {seconds - seconds // 2} s: " + ", ".join(
        f"{MODELS[n][1]} {found['end_fid'][n]:.1f}" for n in MODELS
    )
    said += f"; the pyramid leads at {fmt(found['leads_at_s'])} s, trails at {fmt(found['trails_at_s'])} s"
    return {"said": said, "runs": dict(study.runs), **found, **numbers}


def fmt(seconds: list[float]) -> str:
    return "[" + ", ".join(f"{s:.0f}" for s in seconds) + "]"


def figure(numbers: dict, path: Path) -> None:
    """FID against training time for the three models, and their final samples."""
    from ganexp.claims.plots import figure_grid, save, show_samples

    fig, axes = figure_grid(1 + len(MODELS), width=3.6, height=3.9)
    curve = axes[0]
    for name, (_, label) in MODELS.items():
        r = numbers[name]
        curve.semilogy(r["seconds"], r["fid"], marker="o", markersize=3, label=label)
    curve.axvspan(numbers["seconds"] / 2, numbers["seconds"], color="0.9", zorder=0)
    curve.set(
        title="classifier FID against training time",
        xlabel="seconds of training",
        ylabel="classifier FID",
    )
    for ax, (name, (_, label)) in zip(axes[1:], MODELS.items()):
        r = numbers[name]
        title = f"{label}: FID {r['fid_classifier']:.1f}\n{r['g_steps']} steps in {numbers['seconds']} s"
        show_samples(ax, numbers["runs"][name], title)
    save(fig, axes, path)


CLAIM = Claim(
    name="pyramid",
    statement="a Laplacian pyramid of GANs (LAPGAN) makes better 32 px digits than one GAN at "
    "full size for the same training time",
    check=f"over {SECONDS} s of training each (trainer.max_time), classifier FID read {READINGS} "
    "times: at the end of the time, on the trend of the second half's readings (a Theil-Sen "
    "line through log FID), the LAPGAN preset's FID is at most that of the DCGAN at 32 px with "
    "the same loss, under the better of two recipes (the pyramid's optimizer settings and EMA, "
    "or DCGAN's own)",
    anchor="Denton et al. 2015 (LAPGAN), section 4 and Figure 3",
    run=run,
    figure=figure,
)
