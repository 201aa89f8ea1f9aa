"""Pictures of the generator from one fixed noise batch, at intervals and at the end of training:
an image grid for image data, a scatter over the data for 2-D points, a histogram for 1-D data."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
import torch
from torch import Tensor

from ganexp.atomic import save_figure
from ganexp.data.stream import SAMPLE_STREAM, step_key

MAX_REPLICA_PICTURES = 8  # a replicated run draws its first live replicas, each in its own folder
MIN_TILE_PX = 48  # small images are enlarged (nearest neighbour, no smoothing) to at least this


def save_picture(
    fake: Tensor, real: Tensor, path: Path, title: str, nrow: int | None = None
) -> None:
    """Write `fake` (and `real` for reference, where it helps) as a PNG at `path`; images go in
    rows of `nrow` (default: a square grid), each enlarged by a whole factor to at least
    `MIN_TILE_PX` pixels so that its own pixels stay visible."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fake.dim() == 4:
        from torchvision.utils import save_image

        nrow = nrow or int(len(fake) ** 0.5)
        factor = -(-MIN_TILE_PX // fake.shape[-1])  # ceil
        if factor > 1:
            fake = fake.repeat_interleave(factor, dim=-2).repeat_interleave(factor, dim=-1)
        save_image(fake, path, nrow=nrow, normalize=True, value_range=(-1, 1))
        return
    import matplotlib.pyplot as plt

    fig = points_figure(fake, real, title)
    save_figure(fig, path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def points_figure(fake: Tensor, real: Tensor, title: str):
    """A scatter of 2-D points (or a histogram of 1-D ones) over the data, its legend below the
    panel so that it never covers a mode."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 5) if fake.shape[1] == 2 else (6, 3.5))
    if fake.shape[1] == 2:
        ax.scatter(*real.T, s=4, alpha=0.35, c="0.35", linewidths=0, label="data")
        ax.scatter(*fake.T, s=5, alpha=0.7, c="crimson", linewidths=0, label="generated")
        ax.set_aspect("equal")
    else:
        lo, hi = torch.cat([real, fake]).quantile(torch.tensor([0.001, 0.999])).tolist()
        bins = torch.linspace(lo - 0.5, hi + 0.5, 80).tolist()
        ax.hist(real[:, 0].tolist(), bins=bins, density=True, color="0.6", label="data")
        ax.hist(fake[:, 0].tolist(), bins=bins, density=True, histtype="step", lw=1.8,
                color="crimson", label="generated")
    # below the tick labels, outside the panel
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, markerscale=3, frameon=False)
    ax.set_title(title)
    fig.tight_layout()
    return fig


class SampleGrid(pl.Callback):
    """Saves `samples/g_step_XXXXXX.png` every `every_n_g_steps` and `samples/final.png` at the end.

    A conditional image generator gets one row per class, `per_class` images each. A pyramid
    (LAPGAN) also leaves `samples/final_level{k}.png`, each level at its own size. A replicated
    run (`train.replicas`) draws each of its first eight live replicas in `samples/replica_<k>/`,
    the picture the separate run of its seed draws."""

    def __init__(
        self,
        dirpath: str,
        every_n_g_steps: int = 500,
        n: int = 64,
        n_points: int = 2000,
        per_class: int = 8,
    ):
        self.dirpath, self.every = Path(dirpath), every_n_g_steps
        self.n, self.n_points, self.per_class = n, n_points, per_class

    def _save(self, trainer: pl.Trainer, module: pl.LightningModule, name: str) -> None:
        if module.replicas == 1:
            return self._save_one(trainer, module, self.dirpath / f"{name}.png")
        # replicas: the first MAX_REPLICA_PICTURES live ones, each as the separate run draws it
        views = module.replica_views()
        live = [k for k in range(len(views)) if k not in module.diverged]
        for k in live[:MAX_REPLICA_PICTURES]:
            path = self.dirpath / f"replica_{k}" / f"{name}.png"
            self._save_one(trainer, views[k], path, f"replica {k} (seed {views[k].seed}), ")

    def _save_one(self, trainer, module, path: Path, label: str = "") -> None:
        dm = trainer.datamodule
        n = self.n if dm.image else self.n_points
        gen = torch.Generator(device=module.device).manual_seed(
            step_key(module.seed, SAMPLE_STREAM, 0, 0)
        )
        labels, nrow = None, None
        if dm.image and module.num_classes:
            classes = torch.arange(module.num_classes, device=module.device)
            labels, nrow = classes.repeat_interleave(self.per_class), self.per_class
            n = len(labels)
        fake = module.sample(n, gen, labels).float().cpu()
        real = dm.sample(n, torch.Generator().manual_seed(module.seed))
        save_picture(fake, real, path, f"{label}g_step {module.g_step}", nrow)
        if hasattr(trainer.logger, "log_image"):
            trainer.logger.log_image("samples", [str(path)], step=module.g_step)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.every and pl_module.g_step % self.every == 0 and trainer.is_global_zero:
            self._save(trainer, pl_module, f"g_step_{pl_module.g_step:06d}")

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        self._save(trainer, pl_module, "final")
        if hasattr(pl_module, "sample_levels"):
            gen = torch.Generator(device=pl_module.device).manual_seed(
                step_key(pl_module.seed, SAMPLE_STREAM, 0, 0)
            )
            for k, images in enumerate(pl_module.sample_levels(self.n, gen)):
                path = self.dirpath / f"final_level{k}.png"
                save_picture(images.float().cpu(), None, path, f"level {k}")
