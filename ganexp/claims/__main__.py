"""`python -m ganexp.claims [NAME seed=N out=DIR [scale=S] [overrides ...]]`.

Without arguments: the claims, one a line, name first. With a name: runs that claim (every run it
needs, through the ordinary training path, seeded from `seed`), writes `<out>/<NAME>.png` and
`<out>/<NAME>.json` (the numbers and `held`), says in one line whether its check held, and exits 0
when it held and 1 when it did not. `scale` multiplies every step count (default 1: at most about
10 minutes on a 2-core CPU); any other `key=value` overrides every run, e.g.
`trainer.accelerator=gpu`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ganexp.divergence import Diverged
from ganexp.errors import ConfigError


def parse(args: list[str]) -> tuple[int, Path | None, float, list[str]]:
    """seed, out, scale and the run overrides of the arguments after the claim's name."""
    seed, out, scale, extra = 0, None, 1.0, []
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep:
            raise ConfigError(
                f"{arg}: expected key=value (seed=N, out=DIR, scale=S or a run override)"
            )
        if key == "seed":
            if not value.isdigit():
                raise ConfigError(f"seed={value}: must be an integer >= 0")
            seed = int(value)
        elif key == "out":
            out = Path(value)
        elif key == "scale":
            try:
                scale = float(value)
            except ValueError:
                scale = -1.0
            if not scale > 0:
                raise ConfigError(f"scale={value}: must be a number > 0")
        else:
            extra.append(arg)
    return seed, out, scale, extra


def main(argv: list[str]) -> int:
    from ganexp.claims import Study, claims, save_result

    known = claims()
    if not argv:
        for claim in known.values():
            print(f"{claim.name}: {claim.statement}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in known:
        print(
            f"ganexp.claims: unknown claim {name!r}; the claims are {list(known)}", file=sys.stderr
        )
        return 2
    try:
        seed, out, scale, extra = parse(rest)
        out = out or Path("outputs") / "claims" / f"{name}_seed{seed}"
        out.mkdir(parents=True, exist_ok=True)
        study = Study(out, seed, scale, extra)
        claim = known[name]
        started = time.perf_counter()
        numbers = claim.run(study)
        claim.figure(numbers, out / f"{name}.png")
        result = save_result(claim, study, numbers, time.perf_counter() - started)
    except (ConfigError, Diverged) as err:  # a config that cannot work, or a run that diverged
        print(f"ganexp.claims: {err}", file=sys.stderr)
        return 2
    verdict = "held" if result["held"] else "did not hold"
    print(f"ganexp.claims: {name} {verdict} (seed {seed}): {claim.check} [{numbers['said']}]")
    print(f"ganexp.claims: wrote {out / (name + '.png')} and {out / (name + '.json')}")
    return 0 if result["held"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
