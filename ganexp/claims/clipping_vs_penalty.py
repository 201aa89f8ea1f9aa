"""Weight clipping against the gradient penalty (WGAN-GP, Gulrajani et al. 2017, Figure 1;
docs/theory.md section 6).

A deep critic (12 linear layers of 128 units, LeakyReLU) trains on the swiss roll under WGAN's
weight clipping with c = 0.1, 0.01 and 0.001, and under the gradient penalty. The diagnostics
callback records ||d D(x) / d h_i||, the critic's gradient with respect to the input h_i of each
layer i, as it flows back from the output to the data.
Backpropagation multiplies by each layer's weight matrix, whose entries clipping bounds by c: with
a large c the gradient grows layer after layer towards the input (explodes), with a small c it
shrinks (vanishes), and the clipped weights pile up at the faces of the box [-c, c]. The penalty
asks for unit input gradients instead, and gradients keep their size through depth.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ganexp.claims import Claim, Study, curves, load_module

DEPTH, WIDTH = 12, 128
CLIPS = (0.1, 0.01, 0.001)
DECADE = 1.0  # the check, in decades (log10) of input-layer norm / output-layer norm
AT_FACES = 0.5  # share of clipped weights at the box's faces (c = 0.01, 0.001)


def overrides(loss: str, steps: int, clip: float | None = None) -> list[str]:
    hidden = ",".join([str(WIDTH)] * (DEPTH - 1))
    return [
        "model=mlp",
        "dataset=swissroll",
        f"loss={loss}",
        *([f"loss.clip={clip}"] if clip is not None else []),
        f"model.discriminator.hidden=[{hidden}]",
        "callbacks=[diagnostics]",
        "callbacks.diagnostics.every=10",
        "trainer.log_every_n_steps=10",
        f"train.g_steps={steps}",
        f"eval.every_n_g_steps={steps}",
        f"train.sample_every={steps}",
    ]


def layer_norms(run_dir: Path) -> list[float]:
    """||d D(x) / d h_i|| for each layer's input h_i (diagnostics' `d_backprop_norm`), the
    geometric mean over the second half of training."""
    found = curves(run_dir)
    norms = []
    for i in range(DEPTH):
        steps, values = found[f"train/d_backprop_norm/{i}"]
        late = values[steps > steps.max() / 2]
        norms.append(float(np.exp(np.log(np.maximum(late, 1e-30)).mean())))
    return norms


def weights(run_dir: Path) -> np.ndarray:
    from ganexp.callbacks.diagnostics import weight_layers

    module = load_module(run_dir)
    return np.concatenate(
        [w.detach().flatten().numpy() for w in weight_layers(module.discriminator)]
    )


def run(study: Study) -> dict:
    steps = study.steps(1000, least=20)
    runs = {f"clip {c}": study.train(f"wgan_clip{c}", overrides("wgan", steps, c)) for c in CLIPS}
    runs["gradient penalty"] = study.train("wgan_gp", overrides("wgan_gp", steps))
    rows = {}
    for name, run_dir in runs.items():
        norms, w = layer_norms(run_dir), weights(run_dir)
        clip = float(name.split()[1]) if name.startswith("clip") else None
        rows[name] = {
            "layer_grad_norms": norms,
            "decades": math.log10(norms[0] / norms[-1]),  # > 0: grows towards the input
            "at_faces": float(np.mean(np.abs(w) >= 0.99 * clip)) if clip else None,
            "weights": np.histogram(w, bins=60)[0].tolist(),
            "weight_range": [float(w.min()), float(w.max())],
        }
    big, small = rows["clip 0.1"], [rows["clip 0.01"], rows["clip 0.001"]]
    gp = rows["gradient penalty"]
    held = (
        big["decades"] >= DECADE
        and all(r["decades"] <= -DECADE for r in small)
        and abs(gp["decades"]) < DECADE
        and all(r["at_faces"] >= AT_FACES for r in small)
    )
    said = ", ".join(f"{k}: {r['decades']:+.1f} decades" for k, r in rows.items())
    said += "; at the faces: " + ", ".join(
        f"{k} {100 * r['at_faces']:.0f}%" for k, r in rows.items() if r["at_faces"] is not None
    )
    return {"held": held, "said": said, **rows}


def figure(numbers: dict, path: Path) -> None:
    from ganexp.claims.plots import figure_grid, save

    fig, (ax_norm, ax_clip, ax_gp) = figure_grid(3, width=4.0)
    names = [k for k in numbers if isinstance(numbers[k], dict)]
    for name in names:
        norms = numbers[name]["layer_grad_norms"]
        ax_norm.semilogy(range(1, DEPTH + 1), norms, "o-", ms=3, label=name)
    ax_norm.set(title="||dD / d(input of layer)||", xlabel="layer (1 = input)")
    for ax, name in ((ax_clip, "clip 0.01"), (ax_gp, "gradient penalty")):
        lo, hi = numbers[name]["weight_range"]
        counts = numbers[name]["weights"]
        edges = np.linspace(lo, hi, len(counts) + 1)
        ax.stairs(counts, edges, fill=True, color="tab:blue" if "clip" in name else "tab:red")
        ax.set(title=f"critic weights, {name}", xlabel="weight", yscale="log")
    save(fig, [ax_norm], path)


CLAIM = Claim(
    name="clipping_vs_penalty",
    statement="weight clipping piles the critic's weights at +-c and makes its gradients explode "
    "or vanish through depth; the gradient penalty does not",
    check=f"in a {DEPTH}-layer critic on the swiss roll, the gradient norm at the input layer is "
    f"at least {DECADE:g} decade above the output layer's with c = 0.1 and at least {DECADE:g} "
    f"below with c = 0.01 and 0.001, within {DECADE:g} decade with the penalty, and at least "
    f"{int(100 * AT_FACES)}% of the weights clipped at 0.01 and 0.001 sit at the box's faces",
    anchor="Gulrajani et al. 2017 (WGAN-GP), Figure 1",
    run=run,
    figure=figure,
)
