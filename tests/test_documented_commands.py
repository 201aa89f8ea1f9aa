"""Every `python -m ganexp ...` command in the README and the docs composes its configuration
(without training), so a renamed key or option fails here instead of in a reader's terminal; the
slow suite runs the main ones at a tiny budget."""

import re
import shlex
from pathlib import Path

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import ChoiceSweep, RangeSweep

from ganexp.config import make_plan
from ganexp.train import compose

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "sweeps" / "README.md"]
COMMAND = re.compile(r"(?:^|[\s`(])python -m ganexp(?=[\s`]|$)(?P<args>[^`#\n]*)")
FLAGS = {"-m", "--multirun", "--help", "-h", "..."}


def commands() -> list[tuple[str, str]]:
    """(page, the arguments of one documented command), continuation lines joined."""
    found = []
    for page in PAGES:
        text = page.read_text().replace("\\\n", " ")
        for match in COMMAND.finditer(text):
            found.append((str(page.relative_to(ROOT)), match["args"].strip()))
    return found


def parse(args: str) -> tuple[list[str], Path | None, str | None]:
    """The overrides, the user's config folder and the primary config's name of a command."""
    tokens = shlex.split(args.split("$(")[0])  # a shell substitution is the reader's own
    overrides, config_dir, config_name = [], None, None
    while tokens:
        token = tokens.pop(0)
        if token == "--config-dir":
            name = tokens.pop(0)
            # the examples' commands run in examples/, the sweeps' in the checkout
            config_dir = next(p for p in (ROOT / "examples" / name, ROOT / name) if p.is_dir())
        elif token == "--config-name":
            config_name = tokens.pop(0)
        elif token in FLAGS or any(c in token for c in ("<", ">", "$", "...")):
            continue  # a flag, or a placeholder for the reader's own run
        elif token.startswith("resume=") or token.startswith("hydra."):
            continue  # needs a finished run / only names directories
        else:
            overrides.append(token)
    return overrides, config_dir, config_name


def points(overrides: list[str]) -> list[list[str]]:
    """A sweep's points: every key at its first value, then each swept value once."""
    parser = OverridesParser.create()
    parsed = [parser.parse_override(o) for o in overrides]
    choices = []
    for o in parsed:
        v = o.value()
        if isinstance(v, ChoiceSweep):
            choices.append(list(v.list))
        elif isinstance(v, RangeSweep):
            choices.append(list(range(v.start, v.stop, v.step or 1)))
        else:
            choices.append(None)
    base = [o.input_line if c is None else f"{o.key_or_group}={fmt(c[0])}" for o, c in zip(parsed, choices)]
    out = [base]
    for i, (o, c) in enumerate(zip(parsed, choices)):
        for value in (c or [])[1:]:
            out.append([*base[:i], f"{o.key_or_group}={fmt(value)}", *base[i + 1 :]])
    return out


def fmt(value) -> str:
    if isinstance(value, list):
        return "[" + ",".join(map(str, value)) + "]"
    return str(value)


def compose_primary(overrides: list[str], config_dir: Path | None, config_name: str | None):
    if config_name is None:
        return compose(overrides, config_dir=config_dir)
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from ganexp.options import CONF_DIR

    # the named config lives in the user's folder; its defaults list reaches ganexp's `config`
    with initialize_config_dir(str(config_dir), version_base=None):
        search = f"hydra.searchpath=[file://{CONF_DIR}]"
        return hydra_compose(config_name, overrides=[search, *overrides], return_hydra_config=True)


def test_the_pages_document_many_commands():
    assert len(commands()) >= 25


@pytest.mark.parametrize("page,args", commands(), ids=[f"{p}: {a}" for p, a in commands()])
def test_every_documented_command_composes(page, args):
    overrides, config_dir, config_name = parse(args)
    for point in points(overrides):
        cfg = compose_primary(point, config_dir, config_name)
        if config_dir is None:  # the user's examples bring their own classes
            make_plan(cfg)


TINY = [
    "train.g_steps=2",
    "eval.every_n_g_steps=2",
    "eval.num_samples=64",
    "eval.inception=false",
    "sampling.calibrate_steps=0",
    "logger=none",
    "trainer.enable_progress_bar=false",
]
RUNNABLE = [  # the pages that present their commands as the ones to type first
    (page, args)
    for page, args in commands()
    if page in ("README.md", "docs/getting-started.md")
    and not any(s in args for s in ("<", "--help", "image_folder"))
]


@pytest.mark.slow
@pytest.mark.parametrize("page,args", RUNNABLE, ids=[f"{p}: {a}" for p, a in RUNNABLE])
def test_the_first_commands_run_at_a_tiny_budget(tmp_path, page, args):
    import subprocess
    import sys

    tokens = shlex.split(args)
    sweep = "-m" in tokens
    where = [f"hydra.sweep.dir={tmp_path}"] if sweep else [f"hydra.run.dir={tmp_path / 'run'}"]
    proc = subprocess.run(
        [sys.executable, "-m", "ganexp", *tokens, *TINY, *where],
        capture_output=True, text=True, timeout=900, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summaries = list(tmp_path.glob("**/summary.json"))
    assert summaries and all(s.stat().st_size > 0 for s in summaries)
