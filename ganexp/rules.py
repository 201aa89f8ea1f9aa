"""The rules that tie keys together, which no option's type states (schema.py states those): small
functions named for what they require, run in order on a resolved plan (plan.Plan) before anything
is built. They read the plan and what its classes declare (`capability`), never build or run them."""

from __future__ import annotations

from ganexp.errors import ConfigError, show
from ganexp.options import declared, option_node, options

SEPARATELY = "run its seeds as separate runs instead (-m train.seed=0,1,2,3,4)"


def pair(plan, joint: str = " ") -> str:
    return f"model={plan.run.model.name}{joint}loss={plan.run.loss.name}"


def replicas_are_vectorised(plan, dirs) -> None:
    """K > 1 replicas: a family and callbacks that declare `supports_replicas`, and no setting
    that acts on one run's nets."""
    run, key = plan.run, f"train.replicas={plan.run.train.replicas}"
    if run.train.replicas == 1:
        return
    for node in (
        n for n in (plan.family, *plan.callbacks) if not n.capability("supports_replicas")
    ):
        name = node.target.rsplit(".", 1)[-1]
        raise ConfigError(
            f"{key}: "
            + (
                f"the {name} family ({pair(plan, ', ')}) trains in its own steps, which are not vectorised"
                if node is plan.family
                else f"the callback {name} ({node.target}) does not know about "
                "replicas (a class attribute supports_replicas = True says it does)"
            )
            + f"; {SEPARATELY}"
        )
    if plan.d_norm == "spectral":
        raise ConfigError(
            f"{key}: model.d_norm=spectral updates its power iteration in place (out=), which "
            f"torch.vmap cannot batch; choose another model.d_norm (none, layer, batch) or {SEPARATELY}"
        )
    for name, value, what, _ in run.tagged("one_run"):
        raise ConfigError(
            f"{key}: {name}={show(value)} acts on {what}, not on replicas; set it to its "
            f"default or {SEPARATELY}"
        )


def penalties_see_single_samples(plan, dirs) -> None:
    if plan.gradient_penalty and plan.d_norm == "batch":
        r1 = " and callbacks=r1" if plan.run.callbacks.r1 is not None else ""
        raise ConfigError(
            f"model.d_norm=batch with loss={plan.run.loss.name}{r1}: a gradient penalty is per "
            "sample and BatchNorm mixes samples; allowed values are ['auto', 'layer', 'none', 'spectral']"
        )


def model_fits_the_data(plan, dirs) -> None:
    model, data = plan.run.model, plan.run.dataset
    if model.image_only and not data.image:
        images = [
            n for n in options("dataset", dirs) if option_node("dataset", n, dirs).get("image")
        ]
        raise ConfigError(
            f"model={model.name} needs images but dataset={data.name} is point data; allowed "
            f"datasets are {images} (or model=mlp for any data)"
        )
    if model.image_sizes is not None and data.image_size not in model.image_sizes:
        raise ConfigError(
            f"dataset.image_size={data.image_size}: model={model.name} allows {model.image_sizes}"
        )
    coarsest = data.image_size / 2 ** (model.levels - 1) if model.levels and data.image_size else 8
    if coarsest not in (8, 16, 32, 64):
        raise ConfigError(
            f"model.levels={model.levels} at dataset.image_size={data.image_size}: the coarsest "
            f"level would be {coarsest:g} px; allowed coarsest sizes are 8, 16, 32, 64"
        )


def one_game_for_alternating_options(plan, dirs) -> None:
    """Options declared to need one G and one D that alternate, under a family that does not."""
    for key, value, why, default in (
        plan.run.tagged("game") if not plan.family.capability("alternates", True) else ()
    ):
        raise ConfigError(
            f"{key}={show(value)} with {pair(plan)}: {why}; allowed values are [{show(default)}]"
        )


def family_plays_the_game(plan, dirs) -> None:
    """What a family declares it plays: `objectives`, `takes_callbacks`, `priors`."""
    run, objectives = plan.run, plan.family.capability("objectives", None)
    if objectives is not None and (run.loss.objective not in objectives or plan.gradient_penalty):
        raise ConfigError(
            f"{pair(plan, ' with ')}: allowed losses are [{', '.join(objectives)}], without a "
            "gradient penalty"
        )
    allowed = plan.family.capability("takes_callbacks", None)
    others = [n for n in run.callbacks.model_dump(exclude_unset=True) if n not in (allowed or [n])]
    if others:
        raise ConfigError(
            f"callbacks={others} with {pair(plan)} act on nets this family does not have; allowed values are {list(allowed)}"
        )
    priors = plan.family.capability("priors", ("normal", "uniform"))
    if run.model.prior not in priors:
        raise ConfigError(
            f"model.prior={run.model.prior} with {pair(plan)}: allowed values are {list(priors)}"
        )


def conditioning_has_an_embedding(plan, dirs) -> None:
    if plan.run.model.conditional and plan.run.model.embed_dim is None:
        models = [n for n in options("model", dirs) if "embed_dim" in option_node("model", n, dirs)]
        raise ConfigError(
            f"model.conditional=true with model={plan.run.model.name}: allowed models are {models}"
        )


def a_code_scale_needs_a_code(plan, dirs) -> None:
    model = plan.run.model
    if model.code_scale is not None and not model.codes:
        raise ConfigError(
            f"model.code_scale={model.code_scale:g} scales a discrete code, and model.codes=0 "
            "gives none; set model.codes=K (K >= 1), or leave model.code_scale=null"
        )


def rejection_reads_a_cross_entropy_critic(plan, dirs) -> None:
    """`sampling.rejection` reads log p_data / p_G from a critic trained by cross-entropy: the
    run's own (loss gan or ns), or a copy calibrated for `sampling.calibrate_steps` steps."""
    run = plan.run
    if run.sampling.rejection and run.model.conditional:
        raise ConfigError(
            f"sampling.rejection=true with {pair(plan)} model.conditional=true: rejection sampling "
            "reads log p_data / p_G from one unconditional discriminator"
        )
    if (
        run.sampling.rejection
        and run.loss.objective not in ("gan", "ns")
        and not run.sampling.calibrate_steps
    ):
        raise ConfigError(
            f"sampling.rejection=true with loss={run.loss.name} and sampling.calibrate_steps=0: only a "
            "critic trained by cross-entropy (loss gan or ns) reads as log p_data / p_G; set "
            "sampling.calibrate_steps to an integer >= 1 (e.g. 2000) to calibrate a copy of it"
        )


def data_for_the_model(plan, dirs) -> None:
    """A conditional model needs labels (its data module's `has_labels`); channels-last, images."""
    run = plan.run
    if run.model.conditional and not run.dataset.datamodule.capability("has_labels"):
        target = lambda n: option_node("dataset", n, dirs)["datamodule"]["_target_"]  # noqa: E731
        labelled = [n for n in options("dataset", dirs) if declared(target(n), "has_labels")]
        raise ConfigError(
            f"model.conditional=true needs class labels, and dataset={run.dataset.name} has none; "
            f"allowed datasets are {labelled}"
        )
    if run.channels_last and not run.dataset.image:
        raise ConfigError(
            f"channels_last=true needs images but dataset={run.dataset.name} is point data; "
            "allowed values are [false]"
        )


def small_data_options_need_images(plan, dirs) -> None:
    """`augment` transforms images, for a family that declares `augments`; `dataset.subset`
    keeps images of a finite set."""
    run = plan.run
    if run.augment.target and not run.dataset.image:
        raise ConfigError(
            f"augment={run.augment.name} transforms images and dataset={run.dataset.name} is "
            "point data; allowed values are [none]"
        )
    if run.augment.target and not plan.family.capability("augments", False):
        raise ConfigError(
            f"augment={run.augment.name} with {pair(plan)}: this family has no discriminator "
            "whose inputs it could augment; allowed values are [none]"
        )
    if run.dataset.subset is not None and not run.dataset.image:
        raise ConfigError(
            f"dataset.subset={run.dataset.subset}: dataset={run.dataset.name} is sampled from "
            "its distribution, not drawn from a finite set; allowed values are [null]"
        )


RULES = (
    replicas_are_vectorised,
    penalties_see_single_samples,
    model_fits_the_data,
    one_game_for_alternating_options,
    family_plays_the_game,
    conditioning_has_an_embedding,
    a_code_scale_needs_a_code,
    rejection_reads_a_cross_entropy_critic,
    data_for_the_model,
    small_data_options_need_images,
)


def check(plan, dirs) -> None:
    """Every rule, in order: the first that fails raises ConfigError."""
    for rule in RULES:
        rule(plan, dirs)
