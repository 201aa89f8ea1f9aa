"""`python -m ganexp.evaluate RUN_DIR [key=value ...]`: evaluate a finished run's checkpoint again.

Keys: `which=best` (RUN_DIR/checkpoints/best.ckpt, kept with train.keep_best; default `last`),
`replica=k` (replica k of a run of `train.replicas` seeds trained together, evaluated as the
separate run of its seed),
`checkpoint=PATH` (any .ckpt file), `rejection=true|false` (sample with or without the
discriminator's rejection sampling, whatever the run's `sampling.rejection`), `calibrate_steps=N`
(read rejection through a copy of D calibrated by cross-entropy, `sampling.calibrate_steps`;
needed for a critic not trained by loss gan or ns) and any `eval.*` key
without the prefix (`num_samples=10000`, `inception=false`, ...). Prints the metrics as JSON and
writes them to RUN_DIR/evaluation.json.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from omegaconf import OmegaConf

from ganexp.atomic import write_text
from ganexp.errors import ConfigError
from ganexp.sampling import RejectionStalled


def evaluate_run(run_dir: str | Path, overrides: list[str] = ()) -> dict:
    """Evaluate a finished run's checkpoint again; the metrics, also written to
    `<run_dir>/evaluation.json`.

    `overrides` are `key=value` strings, as on the command line: `which=best`,
    `checkpoint=PATH`, `replica=k`, `rejection=true|false`, `calibrate_steps=N`, or any `eval.*`
    key without its prefix (`num_samples=10000`, `inception=false`). An unknown key raises
    `ConfigError`.
    """
    (result,) = evaluate_each(run_dir, overrides)
    write_text(Path(run_dir) / "evaluation.json", json.dumps(result, indent=2))
    return result


def evaluate_each(
    run_dir: str | Path, overrides: list[str] = (), checkpoints: Sequence[str | Path] = ()
) -> list[dict]:
    """`evaluate_run`'s metrics for each of `checkpoints` of one run (snapshots along it, say),
    or for the one checkpoint `overrides` name; one evaluator reads them all (its reference set
    and classifier prepared once), with the first checkpoint's evaluation settings."""
    from ganexp.build import build_datamodule
    from ganexp.checkpoints import find_checkpoint, read_checkpoint
    from ganexp.config import make_plan
    from ganexp.load import load

    options = OmegaConf.from_dotlist(list(overrides))
    which = options.pop("which", "last")
    replica = options.pop("replica", None)
    named = find_checkpoint(options.pop("checkpoint", None) or run_dir, which)
    paths = [Path(c) for c in checkpoints] or [named]
    config = read_checkpoint(paths[0])["ganexp"]["config"]
    plan = make_plan(config, files=False)
    if replica is not None:
        plan = plan.for_replica(replica)
    sampling = {k: options.pop(k) for k in ("rejection", "calibrate_steps") if k in options}
    keys = list(plan.run.eval.model_dump())
    unknown = set(options) - set(keys)
    if unknown:
        raise ConfigError(
            f"{sorted(unknown)}: allowed keys are which, checkpoint, replica, rejection, "
            f"calibrate_steps, {', '.join(keys)}"
        )
    if sampling:  # the sampler asked for is one the run's critic can read
        make_plan(
            {**plan.config, "sampling": {**plan.config.get("sampling", {}), **sampling}},
            files=False,
        )
    settings = {**plan.run.eval.model_dump(), **OmegaConf.to_container(options)}
    settings.pop("every_n_g_steps")
    datamodule, evaluator = None, None
    results = []
    for checkpoint in paths:
        module = load(checkpoint, replica=replica)  # a replicated run without replica= stops here
        module.rejection = sampling.get("rejection", module.rejection)
        module.calibrate_steps = sampling.get("calibrate_steps", module.calibrate_steps)
        if evaluator is None:
            from ganexp.metrics.evaluator import Evaluator

            datamodule = build_datamodule(plan)
            datamodule.setup("fit")
            evaluator = Evaluator(datamodule, seed=plan.run.train.seed, **settings)
        metrics = evaluator(module)
        result = {**metrics, "g_steps": module.g_step, "checkpoint": str(checkpoint)}
        if replica is not None:
            result |= {"replica": replica, "seed": plan.run.train.seed}
        result["rejection"] = module.rejection
        result["calibrate_steps"] = module.calibrate_steps
        results.append(result)
    return results


def main(argv: list[str]) -> None:
    if not argv or argv[0] in ("-h", "--help"):
        sys.exit(__doc__)
    try:
        print(json.dumps(evaluate_run(argv[0], argv[1:]), indent=2))
    except (ConfigError, RejectionStalled) as err:
        sys.exit(f"ganexp.evaluate: {err}")


if __name__ == "__main__":
    main(sys.argv[1:])
