"""What a person sees: a progress bar over the generator-step budget, no dependency notices, and
pictures in which the run's own samples stand out."""

import os
import re
import subprocess
import sys

import numpy as np
import torch
from PIL import Image

from ganexp.callbacks.samples import save_picture


def test_a_normal_run_prints_a_bar_over_g_steps_and_no_notices(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB")}
    env |= {"WANDB_MODE": "offline", "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "ganexp", "model=mlp", "dataset=ring8", "train.g_steps=40",
         "eval.inception=false", f"hydra.run.dir={tmp_path / 'run'}"],  # W&B offline, as default
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    bars = re.findall(r"g_steps:\s+\d+%\|[^|]*\| (\d+)/(\d+) \[[^\]]*<([^\]]*)step/s, (\w+)=", out)
    assert bars, out[-3000:]
    done, total, _, metric = bars[-1]
    assert (done, total, metric) == ("40", "40", "w_estimate")  # the default loss is WGAN-GP
    for notice in ("Tip:", "LeafSpec", "weights_only", "anonymous setting", "Epoch 0/-"):
        assert notice not in out, notice


def test_point_samples_are_drawn_apart_from_the_data(tmp_path):
    real = torch.randn(500, 2)
    fake = torch.randn(500, 2) + 4
    save_picture(fake, real, tmp_path / "p.png", "test")
    rgb = np.asarray(Image.open(tmp_path / "p.png").convert("RGB")).astype(int)
    red = (rgb[..., 0] > 150) & (rgb[..., 1] < 90) & (rgb[..., 2] < 110)  # generated: crimson
    grey = (abs(rgb[..., 0] - rgb[..., 1]) < 8) & (abs(rgb[..., 1] - rgb[..., 2]) < 8)
    grey &= (rgb[..., 0] > 100) & (rgb[..., 0] < 220)  # data: mid grey
    assert red.sum() > 200 and grey.sum() > 200
    ys, xs = np.nonzero(red)
    gy, gx = np.nonzero(grey & ~red)
    # the generated cloud sits up and to the right of the data cloud, as drawn
    assert xs.mean() > gx.mean() + 20 and ys.mean() < gy.mean() - 20


def test_the_legend_of_a_points_picture_lies_outside_the_panel():
    from ganexp.callbacks.samples import points_figure

    for dim in (2, 1):
        grid = torch.cartesian_prod(torch.arange(-2.0, 3), torch.arange(-2.0, 3))[:, :dim] * 2
        fig = points_figure(grid + 0.05 * torch.randn_like(grid), grid, "grid")
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        (ax,) = fig.axes
        legend = ax.get_legend().get_window_extent(renderer)
        panel = ax.get_window_extent(renderer)
        assert not legend.overlaps(panel), (dim, legend, panel)  # it covers no data
