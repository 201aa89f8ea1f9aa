"""The claims' figures: one row of panels, the legend below them (never on the data)."""

from __future__ import annotations

from pathlib import Path

from ganexp.atomic import save_figure


def figure_grid(n: int, width: float = 3.6, height: float = 3.0, rows: int = 1):
    """A figure of `n` panels in `rows` rows, and the panels as a flat list."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = -(-n // rows)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    flat = list(axes.flat)
    for ax in flat[n:]:
        ax.remove()
    return fig, flat[:n]


def show_samples(ax, run_dir: str | Path, title: str) -> None:
    """Panel `ax` shows the run's final sample grid (`samples/final.png`) under `title`."""
    import matplotlib.image as mpimg

    ax.imshow(mpimg.imread(Path(run_dir) / "samples" / "final.png"))
    ax.set_title(title, fontsize=9)
    ax.axis("off")


def save(fig, axes, path: Path, title: str | None = None) -> None:
    """Save `fig` at `path`, with one legend below the panels for the labels of all `axes`."""
    import matplotlib.pyplot as plt

    legend: dict[str, object] = {}
    for ax in axes if isinstance(axes, (list, tuple)) else [axes]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    if legend:
        fig.legend(
            list(legend.values()),
            list(legend),
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=min(len(legend), 4),
            frameon=False,
            fontsize=8,
        )
    save_figure(fig, path, dpi=110, bbox_inches="tight")
    plt.close(fig)
