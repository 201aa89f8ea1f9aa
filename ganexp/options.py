"""The options of ganexp's config groups, from its own conf/ and from the user's config folders.

A user adds options to any group (`model`, `loss`, `dataset`, `callbacks`, `experiment`,
`optimizer`, ...) by keeping YAML files in a folder of their own with the same layout, e.g.
`my_project/conf/loss/my_loss.yaml`, and naming it with Hydra's `--config-dir my_project/conf` on
the command line (or `train(..., config_dir=...)` in Python, which adds it to
`hydra.searchpath`). `--help`, the option checks and the start-up validation all see it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from ganexp.errors import ConfigError

CONF_DIR = Path(__file__).resolve().parent / "conf"  # inside the package: installs carry it


def source_dir(path: str, schema: str = "file") -> Path | None:
    """The folder of a Hydra config source: `file` paths as they are, `pkg` modules where their
    package is installed (None where it is not)."""
    if schema == "file":
        return Path(path).expanduser().resolve()
    if schema == "pkg":
        from importlib.resources import files

        try:
            return Path(str(files(path.replace("/", "."))))
        except (ModuleNotFoundError, TypeError):
            return None
    return None


def _entry(entry: str) -> Path | None:
    schema, _, path = entry.rpartition("://")
    return source_dir(path, schema or "file")


def dirs_from_args(args: Sequence[str]) -> list[Path]:
    """ganexp's conf/ and the folders a command line adds: `--config-dir DIR` (`-cd DIR`) and
    `hydra.searchpath=[file://DIR, pkg://module]`."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import OverrideParseException

    dirs, args = [CONF_DIR], list(args)
    for i, arg in enumerate(args):
        if arg in ("--config-dir", "-cd") and i + 1 < len(args):
            dirs.append(source_dir(args[i + 1]))
        elif arg.startswith(("--config-dir=", "-cd=")):
            dirs.append(source_dir(arg.split("=", 1)[1]))
        elif arg.lstrip("+").startswith("hydra.searchpath="):
            try:
                (override,) = OverridesParser.create().parse_overrides([arg])
            except OverrideParseException:
                continue
            value = override.value()
            dirs += [_entry(str(e)) for e in (value if isinstance(value, list) else [value])]
    return [d for d in dirs if d is not None]


def dirs_from_hydra(hydra_node) -> list[Path]:
    """ganexp's conf/ and the user's folders of a composed run (its `hydra.runtime.config_sources`)."""
    dirs = [CONF_DIR]
    for source in hydra_node.runtime.get("config_sources", []):
        if source.provider in ("hydra", "main", "schema"):
            continue
        found = source_dir(source.path, source.schema)
        if found is not None and found not in dirs:
            dirs.append(found)
    return dirs


def options(group: str, dirs: Iterable[Path] = (CONF_DIR,)) -> list[str]:
    """The choices of a config group: the YAML files in <dir>/<group>/ of every folder."""
    return sorted({p.stem for d in dirs for p in (Path(d) / group).glob("*.yaml")})


def option_file(group: str, name: str, dirs: Iterable[Path] = (CONF_DIR,)) -> Path:
    """The YAML file of option `name` of `group` (the first folder that has it)."""
    for d in dirs:
        path = Path(d) / group / f"{name}.yaml"
        if path.is_file():
            return path
    raise ConfigError(f"{group}={name}: no such option; the options are {options(group, dirs)}")


def option_node(group: str, name: str, dirs: Iterable[Path] = (CONF_DIR,)) -> dict:
    """Option `name` of `group` as plain data (its YAML file, not composed)."""
    from omegaconf import OmegaConf

    return OmegaConf.to_container(OmegaConf.load(option_file(group, name, dirs)))


def located(target: str):
    """The class (or function) a `_target_` names, imported, never called."""
    import importlib

    module, _, attribute = target.rpartition(".")
    return getattr(importlib.import_module(module), attribute)


def declared(target: str, name: str, default=False):
    """What the class a `_target_` names declares: its attribute `name` (such as
    `supports_replicas` or `has_labels`), read by importing it, never by building it."""
    return getattr(located(target), name, default)


OPTIONAL_GROUPS = ("experiment",)  # `optional` in config.yaml's defaults list


def check_group_lists(args: Sequence[str]) -> None:
    """Every name in a list-valued group override (`callbacks=[ema,r1]`, or a sweep of such lists)
    and every option of an optional group (`experiment=toy_ring8`) is one of the group's options,
    the user's included. Hydra's own message for a list omits the options, and it silently skips
    an unknown option of an optional group (a mistyped preset would train the default job)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import ChoiceSweep
    from hydra.errors import OverrideParseException

    dirs = dirs_from_args(args)
    parser = OverridesParser.create()
    for arg in (a for a in args if "=" in a and not a.startswith("-")):
        try:
            (override,) = parser.parse_overrides([arg])
        except OverrideParseException:
            continue  # Hydra reports malformed overrides itself
        group = override.key_or_group
        if override.package is not None or not any((d / group).is_dir() for d in dirs):
            continue
        value, allowed = override.value(), options(group, dirs)
        values = value.list if isinstance(value, ChoiceSweep) else [value]
        names = [n for v in values if isinstance(v, list) for n in v]
        if group in OPTIONAL_GROUPS:  # Hydra skips an unknown option of an optional group
            names += [v for v in values if isinstance(v, str)]
        unknown = [n for n in names if n not in allowed]
        if unknown:
            raise ConfigError(
                f"{group}={override.input_line.split('=', 1)[1]}: unknown {unknown}; "
                f"the options of '{group}' are {', '.join(allowed)}"
            )
