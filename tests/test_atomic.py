"""Result files are written whole or not at all."""

import json

import pytest

from ganexp.atomic import save_figure, write_text, write_with


def test_a_write_that_fails_midway_leaves_the_old_file_whole(tmp_path):
    path = tmp_path / "summary.json"
    write_text(path, json.dumps({"g_steps": 100}))

    def crash(f):
        f.write('{"g_steps": 2')  # half a file
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_with(path, crash)
    assert json.loads(path.read_text()) == {"g_steps": 100}
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]  # no temporary left behind
    write_text(path, json.dumps({"g_steps": 200}))
    assert json.loads(path.read_text()) == {"g_steps": 200}


def test_figures_are_png_whatever_the_temporary_name(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    save_figure(fig, tmp_path / "curves.png", dpi=50)
    plt.close(fig)
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_runs_write_their_summary_through_the_atomic_writer(fit, tmp_path, monkeypatch):
    import importlib

    train_module = importlib.import_module("ganexp.train")  # the package exports train()
    written = []
    monkeypatch.setattr(
        train_module,
        "write_text",
        lambda path, text: written.append(path) or write_text(path, text),
    )
    fit(["model=mlp", "dataset=ring8", "loss=ns", "train.g_steps=2"])
    assert written == [tmp_path / "run" / "summary.json"]
    assert json.loads(written[0].read_text())["g_steps"] == 2
