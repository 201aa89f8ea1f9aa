"""The plan of a run: its parsed configuration and the settings derived from it, resolved once.
Builders (build.py) read its typed fields; none re-reads a raw key or checks one again."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ganexp.schema import Run, Target, parse


@dataclass(frozen=True)
class Plan:
    """What a run builds, read-only."""

    run: Run  # the checked configuration, every default filled in
    config: dict  # the same as plain data, as composed (summary.json, checkpoints, the logger)
    family: Target  # the LightningModule that plays: the model's own (LAPGAN), else the loss's
    objective: Target  # what returns the Objective: the loss's own node, or the named objective
    d_norm: str  # model.d_norm, `auto` resolved
    callbacks: tuple[Target, ...]  # the loss's own (clipping, penalty), then those of callbacks=
    gradient_penalty: bool  # a penalty on D's input gradient: per-sample critic, double backward
    singles: tuple[Plan, ...] = ()  # train.replicas = K > 1: each replica's separate run

    def for_replica(self, k: int) -> Plan:
        """The plan of the separate run that replica k is: seed `train.seed + k`, one replica."""
        changes = {"seed": self.run.train.seed + k, "replicas": 1}
        run = self.run.model_copy(update={"train": self.run.train.model_copy(update=changes)})
        config = {**self.config, "train": {**self.config["train"], **changes}}
        return replace(self, run=run, config=config, singles=())


def resolve(config: dict, files: bool = True) -> Plan:
    """`config` parsed (schema.py; `files`: the files it names exist) and its derived settings."""
    run = parse(config, files)
    chosen = [
        getattr(run.callbacks, n, None) or run.callbacks.model_extra[n]
        for n in config.get("callbacks", {})
    ]
    callbacks = (*run.loss.callbacks.values(), *chosen)  # in the order they were composed
    penalty = any(node.capability("needs_input_gradients") for node in callbacks)
    norm = run.model.d_norm
    if norm == "auto":
        norm = "layer" if penalty else "batch" if run.model.image_only else "none"
    family = run.model.family or run.loss.family
    objective, loss = run.loss.objective, run.loss
    if isinstance(objective, str):  # a named objective (losses/__init__.py)
        named = {"name": objective, "divergence": loss.divergence, "g_objective": loss.g_objective}
        objective = Target.model_validate({"_target_": "ganexp.losses.make_objective", **named})
    plan = Plan(run, config, family, objective, norm, callbacks, penalty)
    singles = tuple(plan.for_replica(k) for k in range(run.train.replicas))
    return replace(plan, singles=singles) if run.train.replicas > 1 else plan
