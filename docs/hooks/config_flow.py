"""Draws docs/img/config_flow.png, the way of a configuration through the code (docs/contributing.md):
`python docs/hooks/config_flow.py`."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

STAGES = [
    ("compose", "Hydra", "conf/ + your --config-dir\n+ the command line\n(train.py, options.py)"),
    (
        "parse",
        "schema.py",
        "every option's type, range,\ndefault and help;\none line for a bad value",
    ),
    (
        "resolve",
        "plan.py",
        "d_norm=auto, the family,\nthe objective, the callbacks,\neach replica's plan",
    ),
    (
        "check",
        "rules.py",
        "rules across keys, read off\nwhat classes declare\n(supports_replicas, ...)",
    ),
    (
        "build",
        "build.py",
        "trainer and callbacks, data\n(its contract), nets, family\n(the nets' contract)",
    ),
    ("fit", "families/base.py", "the game: critic steps,\ngenerator step, logging"),
]
PARTS = "the game's parts beside it: packing.py, conditioning.py,\nrejection.py, replica_axis.py, contract.py"


def draw(path: Path) -> None:
    fig, ax = plt.subplots(figsize=(13, 3.2), dpi=110)
    ax.set_xlim(0, len(STAGES) * 2.2)
    ax.set_ylim(0.1, 3.3)
    ax.axis("off")
    for i, (stage, where, what) in enumerate(STAGES):
        x = 0.15 + i * 2.2
        colour = "#e8eef9" if i < 4 else "#eaf5ea"
        ax.add_patch(
            FancyBboxPatch((x, 0.9), 1.8, 2.3, boxstyle="round,pad=0.04", fc=colour, ec="#4a5a78")
        )
        ax.text(x + 0.9, 2.95, stage, ha="center", va="center", fontsize=13, weight="bold")
        ax.text(x + 0.9, 2.6, where, ha="center", va="center", fontsize=9.5, family="monospace")
        ax.text(x + 0.9, 1.6, what, ha="center", va="center", fontsize=8.5, linespacing=1.4)
        if i:
            ax.add_patch(
                FancyArrowPatch(
                    (x - 0.38, 2.05),
                    (x - 0.02, 2.05),
                    arrowstyle="-|>",
                    mutation_scale=16,
                    color="#4a5a78",
                )
            )
    ax.text(
        4.3,
        0.55,
        "checked once, before anything is built: a read-only Plan",
        ha="center",
        fontsize=9.5,
        style="italic",
    )
    ax.text(10.9, 0.5, PARTS, ha="center", fontsize=8.5, style="italic")
    fig.tight_layout()
    fig.savefig(path)


if __name__ == "__main__":
    draw(Path(__file__).resolve().parents[1] / "img" / "config_flow.png")
