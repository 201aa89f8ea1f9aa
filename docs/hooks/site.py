"""MkDocs hooks (mkdocs.yml `hooks:`).

- The site's home page is the README, its links into `docs/` made relative to the site.
- `<!-- configuration reference -->` in a page becomes the reference of every config group,
  option and key: what each key allows and its help, from the schema (`ganexp/schema.py`), and
  each option's defaults, from the configs that ship in `ganexp/conf/`, so the reference cannot
  drift from either.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "ganexp" / "conf"
MARKER = "<!-- configuration reference -->"
KEY = re.compile(
    r"^(?P<indent> *)(?P<key>[A-Za-z_][\w]*):(?: +(?P<value>[^#]*?))? *(?:# ?(?P<comment>.*))?$"
)
COMMENT = re.compile(r"^(?P<indent> *)# ?(?P<text>.*)$")
SKIPPED = {"_target_", "defaults", "hydra"}


def on_files(files, config):
    from mkdocs.structure.files import File

    files.append(File.generated(config, "index.md", content=home((ROOT / "README.md").read_text())))
    return files


def on_page_markdown(markdown, page, config, files):
    return markdown.replace(MARKER, reference(CONF)) if MARKER in markdown else markdown


def home(readme: str) -> str:
    """The README as the site's home page: `docs/x.md` is `x.md` there."""
    return readme.replace("](docs/", "](")


def entries(text: str) -> tuple[str, list[tuple[str, str, str]]]:
    """A YAML file's leading comment, and (dotted key, default, comment) for each key in it.

    A key's comment is its inline comment, the comment lines indented below it, and the comment
    lines at its own indentation just above it."""
    head: list[str] = []
    rows: list[list[str]] = []
    stack: list[tuple[int, str]] = []  # (indent, key) of the enclosing mappings
    above: list[str] = []
    last_indent = None
    for line in text.splitlines():
        if not line.strip() or line.startswith("# @package"):
            continue
        comment, key = COMMENT.match(line), KEY.match(line)
        if comment:
            indent = len(comment["indent"])
            if not rows and not stack and indent == 0:
                head.append(comment["text"])
            elif last_indent is not None and indent > last_indent and rows:
                rows[-1][2] += " " + comment["text"]
            else:
                above.append(comment["text"])
            continue
        if not key:
            last_indent = None  # a list item or a block string: not a key
            continue
        indent = len(key["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = ".".join([k for _, k in stack] + [key["key"]])
        value = (key["value"] or "").strip()
        if value:
            rows.append([path, value, " ".join([*above, key["comment"] or ""]).strip()])
        else:
            stack.append((indent, key["key"]))
            if above or key["comment"]:  # a mapping with a comment: a row of its own
                rows.append([path, "", " ".join([*above, key["comment"] or ""]).strip()])
        above, last_indent = [], indent
    kept = [
        (k, v, c)
        for k, v, c in rows
        if not SKIPPED & set(k.split(".")) and k.split(".")[-1] != "name"
    ]
    return " ".join(head), kept


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def code(text: str) -> str:
    return f"`{cell(text)}`" if text != "" else ""


def declared(prefix: str) -> list[tuple[str, str, str]]:
    """The schema's (key, what it allows, help) under `prefix` (e.g. `model.`)."""
    from ganexp.schema import describe

    return [row for row in describe() if row[0].startswith(prefix)]


def schema_table(rows: list[tuple[str, str, str]], defaults: dict | None = None) -> list[str]:
    head = (
        "| key | default | allowed | what it does |"
        if defaults is not None
        else "| key | allowed | what it does |"
    )
    lines = [head, "|---|---|---|---|" if defaults is not None else "|---|---|---|"]
    for key, allowed, help in rows:
        default = [code(str(defaults.get(key, "")))] if defaults is not None else []
        allowed = allowed.removeprefix("must be ").removeprefix("allowed values are ")
        lines.append("| " + " | ".join([f"`{key}`", *default, cell(allowed), cell(help)]) + " |")
    return lines


def option_table(rows: list[tuple[str, str, str]], prefix: str, helps: dict) -> list[str]:
    """An option's keys and defaults; a key the schema declares takes its help from there."""
    lines = ["| key | default | what it does |", "|---|---|---|"]
    for key, value, comment in rows:
        about = helps.get(prefix + key) or comment
        lines.append(f"| `{prefix}{key}` | {code(value)} | {cell(about)} |")
    return lines


def flat(node: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in node.items():
        if isinstance(value, dict):
            out |= flat(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = (
                "null"
                if value is None
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
    return out


def reference(conf: Path) -> str:
    """Markdown: the run's own keys (the schema's defaults), then every group: the keys its
    schema declares, and each option's defaults."""
    from ganexp.schema import RUN_KEYS, run_defaults

    helps = {key: help for key, _, help in declared("")}
    own = [row for row in declared("") if row[0].split(".")[0] in RUN_KEYS]
    out = ["### Keys of every run", "", *schema_table(own, flat(run_defaults())), ""]
    for group in sorted(p for p in conf.iterdir() if p.is_dir()):
        options = sorted(group.glob("*.yaml"))
        out += [
            f"### `{group.name}`",
            "",
            "Options: " + ", ".join(f"`{p.stem}`" for p in options),
            "",
        ]
        rows = declared(f"{group.name}.")
        if rows:
            out += [
                "What the schema allows (every option of the group):",
                "",
                *schema_table(rows),
                "",
            ]
        for option in options:
            text = option.read_text()
            about, rows = entries(text)
            glob = "@package _global_" in text
            prefix = "" if glob or group.name == "callbacks" else f"{group.name}."
            if group.name == "callbacks":
                prefix = "callbacks."
            out += [f"#### `{group.name}={option.stem}`", "", about or "", ""]
            if rows:
                out += [*option_table(rows, prefix, helps), ""]
    return "\n".join(out)
