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


def run_at_a_terminal(args, tmp_path, env) -> str:
    """`python -m ganexp ARGS` with its stdout and stderr on a pseudo-terminal, as typed."""
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    # a terminal of 24 x 120 characters (a fresh pseudo-terminal has no size: tqdm draws nothing)
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ganexp", *args], stdout=follower, stderr=follower,
        env=env, cwd=tmp_path,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the run ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    assert proc.wait(timeout=300) == 0, b"".join(chunks)[-3000:]
    os.close(leader)
    return b"".join(chunks).decode(errors="replace")


def quiet_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB")}
    return env | {"WANDB_MODE": "offline", "HOME": str(tmp_path)}


def test_a_normal_run_prints_a_bar_over_g_steps_and_no_notices(tmp_path):
    out = run_at_a_terminal(
        ["model=mlp", "dataset=ring8", "train.g_steps=40", "eval.inception=false",
         f"hydra.run.dir={tmp_path / 'run'}"],  # W&B offline, as default
        tmp_path, quiet_env(tmp_path),
    )
    bars = re.findall(r"g_steps:\s+\d+%\|[^|]*\| (\d+)/(\d+) \[[^\]]*<([^\]]*)step/s, (\w+)=", out)
    assert bars, out[-3000:]
    done, total, _, metric = bars[-1]
    assert (done, total, metric) == ("40", "40", "w_estimate")  # the default loss is WGAN-GP
    for notice in ("Tip:", "LeafSpec", "weights_only", "anonymous setting", "Epoch 0/-"):
        assert notice not in out, notice


def test_a_batch_job_logs_a_few_plain_progress_lines(tmp_path):
    log = tmp_path / "job.log"
    with open(log, "w") as f:  # as a scheduler does: output to a file, no terminal
        proc = subprocess.run(
            [sys.executable, "-m", "ganexp", "model=mlp", "dataset=ring8", "loss=ns",
             "train.g_steps=300", "train.progress_every_s=0.5", "eval.inception=false",
             "logger=none", f"hydra.run.dir={tmp_path / 'run'}"],
            stdout=f, stderr=subprocess.STDOUT, timeout=300, env=quiet_env(tmp_path),
            cwd=tmp_path,
        )
    text = log.read_text()
    assert proc.returncode == 0, text[-3000:]
    assert "\r" not in text and "|" not in text  # no bar redrawn in place
    lines = re.findall(
        r"^g_steps (\d+)/300 \(\d+%\), [\d.e+]+ step/s, \d+:\d\d:\d\d left, js_estimate=\S+$",
        text, re.MULTILINE,
    )
    assert lines and lines[-1] == "300", text[-3000:]  # the last line is the end of the run
    assert len(lines) < 60  # a line per half second at most, not one per step


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


def test_time_left_reads_whichever_budget_ends_the_run_first():
    from types import SimpleNamespace

    from pytorch_lightning.callbacks import Timer

    from ganexp.callbacks.progress import GeneratorStepProgress, reachable

    bar = GeneratorStepProgress()
    bar._start, bar._start_step = 0.0, 0
    module = SimpleNamespace(budget=1_000_000, g_step=1000, last_metrics={})
    module.trainer = SimpleNamespace(callbacks=[])  # the steps alone: 999,000 steps at 10 step/s
    assert "1 day, 3:45:00 left" in bar.line(module, now=100.0)
    module.trainer.callbacks = [Timer(duration="00:00:03:00")]  # max_time: three minutes
    assert ", 0:03:00 left" in bar.line(module, now=100.0)
    assert reachable(module, rate=10.0) == 1000 + 1800  # the bar counts to where the clock ends it
    module.budget = 1200  # the steps end first again
    assert ", 0:00:20 left" in bar.line(module, now=100.0) and reachable(module, 10.0) == 1200
