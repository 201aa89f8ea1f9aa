"""The schema of a run's configuration: every option's type, allowed values or range, default and
one line of help, declared once, side by side.

The composed config (Hydra: conf/ plus the user's folders and the command line) is parsed into a
`Run`: typed, read-only, every default filled in. A value the schema refuses stops the run before
anything is built, with one line naming the key, its value and what it allows
(`train.batch_size=abc: must be an integer >= 1`). Rules that tie several keys together live
beside it in `rules.py`; the settings derived from a checked `Run` in `plan.py`.

Nodes with a `_target_` (nets, data modules, callbacks, optimizers, the trainer) are open: besides
the keys declared here they take whatever the class they build takes, so a user's own pieces go
through the same parse. The configuration reference (docs) is generated from this file.
"""

from __future__ import annotations

import inspect
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from ganexp.errors import ConfigError, show
from ganexp.names import (
    AUGMENT_OPS,
    COARSEST,
    DIVERGENCES,
    F_G_OBJECTIVES,
    GAME_OBJECTIVES,
    GENERATOR_NORMS,
    NORMS,
    OBJECTIVE_NAMES,
)
from ganexp.options import declared, located

DAYS = r"^\d+:\d\d:\d\d:\d\d$"  # Lightning's DD:HH:MM:SS
VAL, TRAIN_OR_VAL = r"^val/", r"^(train|val)/"


# -- the kinds of option: each says, in one line, what it allows --------------------------------
def _field(
    default: Any, help: str, says: str | None = None, needs: dict | None = None, **constraints: Any
) -> Any:
    """An option: its default, its help, what it allows in words (`says`), and what its values
    other than the default need (`needs`, read by rules.py with `Node.tagged`): `game`, one G and one D
    that alternate (and why); `one_run`, one run's nets (not replicas)."""
    extra = {"says": says, **(needs or {})} if says or needs else None
    return Field(default, description=help, json_schema_extra=extra, **constraints)


def integer(default: Any, help: str, minimum: int = 1, **needs: str) -> Any:
    return _field(default, help, f"must be an integer >= {minimum}", needs, ge=minimum, strict=True)


def number(default: Any, help: str, above: float | None = 0, at_least: float | None = None) -> Any:
    bound = {"gt": above} if at_least is None else {"ge": at_least}
    says = (
        f"must be a number > {above:g}" if at_least is None else f"must be a number >= {at_least:g}"
    )
    return _field(default, help, says, strict=True, **bound)


def fraction(default: Any, help: str) -> Any:
    return _field(default, help, "must be a number in (0, 1)", gt=0, lt=1, strict=True)


def flag(default: Any, help: str, **needs: str) -> Any:
    return _field(default, help, "allowed values are [true, false]", needs, strict=True)


def choice(default: Any, help: str) -> Any:
    """A Literal option: what it allows is read from its annotation."""
    return _field(default, help)


def text(
    default: Any, help: str, pattern: str | None = None, says: str | None = None, **needs: str
) -> Any:
    return _field(default, help, says, needs, pattern=pattern)


def _on_disk(key: str):
    """A path that must exist when the run starts (not when a finished run is read again)."""

    def check(value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not (info.context or {}).get("files"):
            return value
        if key == "train.init_generator":  # a run directory or a .ckpt file
            from ganexp.checkpoints import find_checkpoint

            find_checkpoint(value, key=key)
        elif not Path(value).expanduser().is_file():
            raise ConfigError(
                f"{key}={value}: no such file; expected the Inception-v3 weights file "
                "(weights-inception-2015-12-05-6726825d.pth), or null"
            )
        return value

    return AfterValidator(check)


class Node(BaseModel):
    """A group of ganexp's own keys: no other key."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def tagged(self, tag: str, prefix: str = "") -> list[tuple[str, Any, str, Any]]:
        """(key, value, what it needs, its default) for every option under this node that
        declares a need `tag` (see `_field`) and whose value is not its default."""
        found = []
        for name, info in type(self).model_fields.items():
            value, extra = getattr(self, name), info.json_schema_extra
            if isinstance(value, Node):
                found += value.tagged(tag, f"{prefix}{name}.")
            elif isinstance(extra, dict) and tag in extra and value != info.default:
                found.append((f"{prefix}{name}", value, extra[tag], info.default))
        return found


class Open(Node):
    """A group that also takes keys of the user's own (read by interpolation or by a class)."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class Target(Open):
    """A node built by `hydra.utils.instantiate`: its `_target_` and the keys the class takes."""

    target: str = Field(alias="_target_", description="the class (or function) that builds it")

    def spec(self) -> dict:
        """The node as written (no filled-in defaults), for `instantiate`."""
        return self.model_dump(by_alias=True, exclude_unset=True)

    def capability(self, name: str, default: Any = False) -> Any:
        """What the class declares it can do (a class attribute such as `supports_replicas`),
        read without building it."""
        return declared(self.target, name, default)

    @model_validator(mode="after")
    def _takes_its_keys(self, info: ValidationInfo) -> Target:
        """Every key is one its class takes, unless it takes **kwargs (a preset's Adam `betas`
        left under optimizer=sgd). A function, or a class not found, is left to `instantiate`."""
        if not (info.context or {}).get("imports") or not self.target:
            return self
        try:
            takes = inspect.signature(located(self.target)).parameters
        except (ImportError, AttributeError, ValueError, TypeError):
            return self
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in takes.values()):
            return self
        for name in self.spec():
            if name not in (*takes, "_target_"):
                keys = [n for n in takes if n != "params"]
                context = {"target": self.target, "name": name, "keys": str(keys)}
                raise PydanticCustomError(
                    "takes_no", "{target} takes no {name}; its keys are {keys}", context
                )
        return self


# -- groups ---------------------------------------------------------------------------------------
class Generator(Target):
    norm: Literal[GENERATOR_NORMS] | None = choice(
        None, "the MLP's: BatchNorm or LayerNorm before each ReLU"
    )


class Discriminator(Target):
    maxout: int | None = integer(None, "the MLP's: maxout units of this many pieces (1: LeakyReLU)")


class Family(Target):
    decoder_std: float | None = number(None, "the VAE's: std of p(x|z) = N(G(z), std^2 I)")


class Model(Open):
    name: str = text(..., "the option's name")
    image_only: bool = flag(False, "the nets need images (not point data)")
    image_sizes: list[int] | None = _field(None, "the image sizes the nets are built for")
    z_dim: int = integer(..., "the noise dimension")
    prior: Literal["normal", "uniform"] = choice(
        "normal", "p_z: standard normal, or uniform on [-1, 1]"
    )
    conditional: bool = flag(
        False,
        "G(z, y) and D(x, y) see the class label (datasets with labels)",
        game="conditioning needs one game of G(z, y) and D(x, y)",
    )
    embed_dim: int | None = integer(
        None, "size of the label embedding G sees beside z (conditional)"
    )
    codes: int = integer(
        0,
        "a discrete latent code: G sees one of this many equally likely one-hot codes beside z, "
        "read off z's first coordinate, so it can map its noise onto separate pieces (0: none)",
        minimum=0,
        game="a discrete code needs one generator fed by the prior's noise",
    )
    code_scale: float | None = number(
        None, "the one-hot code's scale as G's input (none: sqrt(model.codes), unit second moment)"
    )
    pack: int = integer(
        1,
        "PacGAN: D judges packs of this many samples (1: one sample)",
        game="packing needs one discriminator judging whole samples",
    )
    d_norm: Literal[("auto", *NORMS)] = choice(
        "auto",
        "the critic's normalisation; auto: layer with a gradient penalty, else batch for "
        "image nets and none for the MLP",
    )
    levels: int | None = integer(None, "LAPGAN: pyramid levels up to dataset.image_size")
    coarsest: Literal[COARSEST] | None = choice(
        None, "LAPGAN: level 0's nets, convolutional or MLP"
    )
    family: Family | None = _field(None, "a family the model brings (LAPGAN's pyramid)")
    generator: Generator = _field(..., "G's net")
    discriminator: Discriminator = _field(..., "D's net (the VAE's encoder)")


class Loss(Open):
    name: str = text(..., "the option's name")
    family: Family | None = _field(None, "the LightningModule that plays the game")
    objective: Literal[OBJECTIVE_NAMES] | Target = _field(
        ...,
        "the objective by name, or a node whose _target_ returns an Objective",
        f"allowed values are {sorted(OBJECTIVE_NAMES)}, or a node with a _target_ that returns a "
        "ganexp.contracts.Objective",
    )
    n_critic: int = integer(..., "critic steps per generator step")
    divergence: Literal[DIVERGENCES] | None = choice(None, "f-GAN: the f-divergence")
    g_objective: Literal[F_G_OBJECTIVES] | None = choice(
        None, "f-GAN: bound (G descends the bound) or ns (G ascends E_Q[T])"
    )
    clip: float | None = number(None, "WGAN: the critic's weights are clipped to [-clip, clip]")
    gp_weight: float | None = number(None, "WGAN-GP: lambda, the penalty's weight", at_least=0)
    gp_one_sided: bool | None = flag(None, "WGAN-GP: penalise only gradient norms above 1")
    gp_every: int | None = integer(
        None, "WGAN-GP: the penalty at every k-th critic step, k x heavier"
    )
    encoder: bool = flag(False, "the VAE: D's net is built with 2 * z_dim outputs")
    callbacks: dict[str, Target] = _field({}, "the loss's own callbacks (clipping, penalty)")

    @model_validator(mode="after")
    def _fgan_names_its_divergence(self) -> Loss:
        for key, allowed in (("divergence", DIVERGENCES), ("g_objective", F_G_OBJECTIVES)):
            if self.objective == "fgan" and getattr(self, key) is None:
                raise ConfigError(f"loss.{key}=null: allowed values are {list(allowed)}")
        return self


class Dataset(Open):
    name: str = text(..., "the option's name")
    image: bool = flag(..., "images (true) or points (false)")
    image_size: int | None = integer(None, "images are resized to image_size x image_size")
    subset: int | None = integer(
        None,
        "train on N images of the training split, stratified by class, the same N whatever "
        "train.seed (image sets; null: all of them)",
    )
    subset_seed: int = integer(0, "which N images dataset.subset keeps", minimum=0)
    holdout: float | None = fraction(
        None,
        "the fraction of the images held out, never trained on: the evaluation's reference "
        "(digits, image folders; torchvision sets hold out their official test split)",
    )
    split_seed: int = integer(0, "which images dataset.holdout holds out", minimum=0)
    datamodule: Target = _field(..., "the GANDataModule")


class OptimizerOf(Target):
    lr: float = number(..., "learning rate")
    betas: (
        Annotated[list[Annotated[float, Field(ge=0, lt=1)]], Field(min_length=2, max_length=2)]
        | None
    ) = text(None, "Adam's (beta1, beta2)", says="must be two numbers in [0, 1)")
    weight_decay: float | None = number(None, "L2 weight decay", at_least=0)
    momentum: float | None = number(None, "momentum (RMSProp, SGD)", at_least=0)


class Optimizer(Open):
    name: str = text(..., "the option's name")
    g: OptimizerOf = _field(..., "the generator's optimizer")
    d: OptimizerOf = _field(..., "the discriminator's optimizer")


class Trainer(Target):
    max_time: str | None = text(
        None,
        "a wall-clock budget as well: the run stops at whichever of train.g_steps and "
        "max_time comes first",
        DAYS,
        "a wall-clock budget as DD:HH:MM:SS (e.g. 00:00:05:00 for five minutes), or null",
    )
    log_every_n_steps: int = integer(10, "generator steps between logged values")
    enable_progress_bar: bool = flag(True, "a live bar at a terminal, plain lines in a log file")


class Logger(Open):
    target: str | None = Field(None, alias="_target_", description="the Lightning logger")


class EMA(Target):
    decay: float = fraction(0.999, "the average's decay per generator step")


class R1(Target):
    gamma: float = number(10.0, "(gamma / 2) E_data ||grad D(x)||^2", at_least=0)
    every: int = integer(1, "lazy: the penalty at every k-th critic step only, k times heavier")


class InstanceNoise(Target):
    std: float = number(0.1, "N(0, std^2) on every input of D", at_least=0)
    anneal_g_steps: float = number(..., "generator steps over which std falls linearly to 0")


class Diagnostics(Target):
    every: int = integer(10, "generator steps between measurements")
    g_objectives: list[Literal[GAME_OBJECTIVES]] = choice(
        [], "other generator losses measured at the same D"
    )
    g_repeats: int = integer(1, "noise batches per measurement (> 1 adds the spread)")
    input_gradients: bool = flag(True, "||grad_x D(x)|| on real, fake and interpolates")
    histograms: bool = flag(True, "D's weights as a histogram in W&B / TensorBoard")


class Callbacks(Open):
    __pydantic_extra__: dict[str, Target]  # the user's own callbacks
    diagnostics: Diagnostics | None = _field(None, "gradient norms and weights as train/ metrics")
    ema: EMA | None = _field(None, "the generator's exponential moving average samples")
    instance_noise: InstanceNoise | None = _field(None, "annealed noise on D's inputs")
    r1: R1 | None = _field(None, "R1 penalty on D's input gradient at the data")
    lecam: LeCam | None = _field(
        None, "LeCam: D's outputs kept near the moving averages of the other side's"
    )
    consistency: Consistency | None = _field(
        None, "bCR: D's scores kept under jitter of its inputs, real and generated"
    )


class Augment(Target):
    """`augment`: none, or a differentiable augmentation of every image D judges in training."""

    target: str | None = Field(None, alias="_target_", description="the augmentation (none: null)")
    name: str = text("none", "the option's name")
    policy: list[Literal[AUGMENT_OPS]] | None = choice(
        None, "the ops, applied in this order (flip is not in the defaults: it changes digits)"
    )
    brightness: float | None = number(None, "color: a shift of U(-b, b)", at_least=0)
    saturation: float | None = number(None, "color: a factor of U(1 - s, 1 + s)", at_least=0)
    contrast: float | None = number(None, "color: a factor of U(1 - c, 1 + c)", at_least=0)
    translation: float | None = number(
        None, "a whole-pixel shift of up to this fraction of the side", at_least=0
    )
    cutout: float | None = number(
        None, "a square of this fraction of the side set to 0", at_least=0
    )
    target_rt: float | None = number(
        None, "ada: the r_t = E[sign D(real)] its p steers to", above=-1
    )
    speed: int | None = integer(None, "ada: images over which p can move from 0 to 1")
    interval: int | None = integer(None, "ada: critic steps between adjustments of p")

    def spec(self) -> dict:
        return {k: v for k, v in super().spec().items() if k != "name"}


class LeCam(Target):
    weight: float = number(0.3, "lambda, the weight of the regulariser", at_least=0)
    decay: float = fraction(0.99, "the decay of the moving averages of D's outputs per critic step")
    start: int = integer(0, "the generator step from which the regulariser applies", minimum=0)


class Consistency(Target):
    weight: float = number(10.0, "lambda, the weight of the regulariser", at_least=0)
    std: float = number(0.01, "T: Gaussian jitter of this std on every input coordinate")


class EarlyStopping(Node):
    metric: str | None = text(
        None,
        "a val/ metric (null: never stop early)",
        VAL,
        "allowed values are null or a val/ metric",
        one_run="one run's nets",
    )
    patience: int = integer(3, "evaluations without an improvement before the run stops")
    min_delta: float = number(0.0, "the least change that counts as an improvement", at_least=0)


class Train(Node):
    g_steps: int = integer(
        2000, "budget in generator steps; each brings loss.n_critic critic steps"
    )
    batch_size: int = integer(64, "per device (packs of model.pack samples)")
    lr_schedule: Literal["constant", "linear"] = choice(
        "constant", "linear: both rates decay to 0 at g_steps"
    )
    g_warmup: int = integer(0, "generator steps over which G's learning rate ramps up", minimum=0)
    seed: int = integer(0, "initialisation, data order and noise", minimum=0)
    replicas: int = integer(1, "K > 1: seeds seed ... seed + K - 1 trained together, vectorised")
    init_generator: Annotated[str | None, _on_disk("train.init_generator")] = text(
        None, "a run directory or .ckpt: G starts from its weights", one_run="one run's nets"
    )
    freeze_generator: bool = flag(
        False,
        "G never steps; D alone trains against it (ganexp.probe)",
        game="freezing G is for the families that alternate one G and one D",
    )
    top_k: float = _field(
        1.0,
        "top-k generator updates: the least share of each batch's fakes, those D rates most "
        "real, that steps G (Sinha et al. 2020); 1 keeps every fake",
        "must be a number in (0, 1]",
        {"game": "top-k updates rank one discriminator's scores of one generator's fakes"},
        gt=0,
        le=1,
        strict=True,
    )
    top_k_decay: float = _field(
        0.99,
        "top-k: the kept share starts at 1 and is multiplied by this every generator step "
        "until it reaches train.top_k",
        "must be a number in (0, 1]",
        gt=0,
        le=1,
        strict=True,
    )
    checkpoint_every: int = integer(500, "generator steps between checkpoints")
    sample_every: int = integer(500, "generator steps between sample pictures")
    snapshot_every_s: float = number(
        0,
        "> 0: also keep checkpoints/snapshots/<seconds>s.ckpt every this many seconds of "
        "training (a score against time, read after the run)",
        at_least=0,
    )
    progress_every_s: float = number(30, "seconds between plain progress lines (no terminal)")
    keep_best: str | None = text(
        None,
        "a val/ metric: also keep checkpoints/best.ckpt, the state where it was best",
        VAL,
        "allowed values are null or a val/ metric",
        one_run="one run's nets",
    )
    early_stopping: EarlyStopping = _field(
        EarlyStopping(), "stop when a val/ metric stops improving"
    )


class Eval(Node):
    every_n_g_steps: int = integer(500, "generator steps between evaluations (and one at the end)")
    num_samples: int = integer(2500, "generated samples per evaluation")
    nearest_k: int = integer(5, "k of the k-NN manifolds of precision / recall")
    inception: bool = flag(True, "FID / KID / IS with Inception-v3 (skipped offline)")
    inception_weights: Annotated[str | None, _on_disk("eval.inception_weights")] = text(
        None, "a local Inception-v3 weights file"
    )
    cache_dir: str = text(
        "${oc.env:GANEXP_DATA,data}/classifiers", "where the evaluation classifiers are kept"
    )


class Sampling(Node):
    rejection: bool = flag(
        False,
        "discriminator rejection sampling (Azadi et al. 2019): keep each sample or pack "
        "with probability exp(logit D - max); it changes sampling, not training",
        game="rejection sampling reads log p_data / p_G from one unconditional discriminator; it "
        "is for adversarial losses, without lapgan or model.conditional",
    )
    calibrate_steps: int = integer(
        0, "> 0: rejection reads a copy of D calibrated by cross-entropy", minimum=0
    )


class Run(Open):
    """The whole configuration of one run."""

    model: Model
    optimizer: Optimizer
    loss: Loss
    dataset: Dataset
    trainer: Trainer
    logger: Logger = Logger()
    callbacks: Callbacks = Callbacks()
    augment: Augment = Augment()
    train: Train = Train()
    eval: Eval = Eval()
    sampling: Sampling = Sampling()
    compile: bool = flag(
        False, "torch.compile the nets (under a gradient penalty only G)", one_run="one run's nets"
    )
    channels_last: bool = flag(
        False, "channels-last memory format for image nets and batches", one_run="one run's nets"
    )
    metric: str | None = text(
        None,
        "the summary value a sweeper optimises",
        TRAIN_OR_VAL,
        "allowed values are null or a train/ or val/ key",
    )
    resume: str | None = text(None, "a run directory or .ckpt file to continue from")


RUN_KEYS = ("train", "eval", "sampling", "compile", "channels_last", "metric", "resume")


def run_defaults() -> dict:
    """The run's own keys (not chosen from a group) with their declared defaults: the Hydra
    config `ganexp_run` that conf/config.yaml composes first."""
    plain = lambda v: v.model_dump() if isinstance(v, BaseModel) else v  # noqa: E731
    return {key: plain(Run.model_fields[key].default) for key in RUN_KEYS}


# -- parsing, and one line for what it refuses ---------------------------------------------------
def parse(config: dict, files: bool = True) -> Run:
    """`config` (plain data) as a checked `Run`; the first value the schema refuses raises
    ConfigError naming the key, the value and what the key allows. `files`: the files it names
    exist (not checked for a finished run's config)."""
    try:  # types and ranges first, which import nothing; then files and the keys classes take
        Run.model_validate(config, context={"files": False, "imports": False})
        return Run.model_validate(config, context={"files": files, "imports": True})
    except ValidationError as err:
        raise ConfigError(explain(err.errors()[0], config)) from None


def explain(error: dict, config: dict) -> str:
    """One line for one pydantic error: `key=value: what it allows`."""
    keys, value, model, info, index = [], config, Run, None, None
    for part in error["loc"]:
        if isinstance(part, int):
            index = part
            break
        found = _field_of(model, part)
        extra = error["type"] == "extra_forbidden"
        if found is None and not extra and not _is_mapping(model, info):
            break  # a branch of a union: the key so far is the one at fault
        keys.append(part)
        value = value.get(part) if isinstance(value, dict) else None
        info = found if found is not None else ENTRY
        model = _model_of(info.annotation if info is not None else None)
    key, allowed = ".".join(keys), _says(info)
    if error["type"] == "missing":
        if len(keys) == 3 and keys[0] == "callbacks" and keys[2] == "_target_":  # settings alone
            node = ".".join(keys[:-1])
            return (
                f"{key}: missing; {node}.* is set (a preset's settings, say) without its callback "
                f"in callbacks=[...]: add {keys[1]} to the list, or remove them with ~{node}"
            )
        return f"{key}: missing; {allowed or 'it has no default'}"
    if isinstance((error.get("ctx") or {}).get("error"), ConfigError):
        return str(error["ctx"]["error"])  # a check that words its own line (files)
    if error["type"] == "takes_no":
        name = error["ctx"]["name"]
        return f"{key}.{name}={show(value[name])}: {error['msg']} (remove it with ~{key}.{name})"
    if error["type"] == "extra_forbidden":
        parent = ".".join(keys[:-1])
        names = [f.alias or n for n, f in _fields(_model_at(keys[:-1])).items()]
        return f"{key}={show(value)}: no such key; the keys of {parent or 'a run'} are {names}"
    if index is not None and _literal_args(_element(info)):
        options = _literal_args(_element(info))
        bad = [v for v in value if v not in options]
        return f"{key}={value}: unknown {bad}; allowed values are {list(options)}"
    return f"{key}={show(value)}: {allowed or error['msg']}"


def _fields(model: Any) -> dict[str, FieldInfo]:
    return model.model_fields if isinstance(model, type) and issubclass(model, BaseModel) else {}


def _field_of(model: Any, key: str) -> FieldInfo | None:
    return next((f for n, f in _fields(model).items() if key in (n, f.alias)), None)


def _is_mapping(model: Any, info: FieldInfo | None) -> bool:
    """Whether the next key names an entry of a dict (a user's callback), not a field."""
    if model is Callbacks:
        return True
    return info is not None and typing.get_origin(info.annotation) is dict


ENTRY = FieldInfo(annotation=Target)  # what an entry of a dict-valued node (callbacks) is


def _model_at(keys: list[str]) -> Any:
    model = Run
    for key in keys:
        info = _field_of(model, key)
        model = _model_of(info.annotation) if info is not None else Target
    return model


def _model_of(annotation: Any) -> Any:
    """The node class inside an annotation (`X | None`), or None for a plain value."""
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _element(info: FieldInfo | None) -> Any:
    args = typing.get_args(info.annotation) if info is not None else ()
    return args[0] if args else None


def _literal_args(annotation: Any) -> tuple:
    if typing.get_origin(annotation) is Literal:
        return typing.get_args(annotation)
    for arg in typing.get_args(annotation):
        if typing.get_origin(arg) is Literal:
            return typing.get_args(arg)
    return ()


def _says(info: FieldInfo | None) -> str:
    """What a key allows, in words: declared with the option, or read off its Literal."""
    if info is None:
        return ""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if extra.get("says"):
        return extra["says"]
    options = _literal_args(info.annotation)
    return f"allowed values are {list(options)}" if options else ""


def describe(model: type[BaseModel] = Run, prefix: str = "") -> list[tuple[str, str, str]]:
    """(key, what it allows, help) for every declared option under `model`, for the reference."""
    rows = []
    for name, info in model.model_fields.items():
        key, inner = f"{prefix}{info.alias or name}", _model_of(info.annotation)
        if name == "target":
            continue
        if (
            inner is not None
            and inner is not Target
            and typing.get_origin(info.annotation) is not dict
        ):
            rows += describe(inner, f"{key}.")
        else:
            rows.append((key, _says(info) or _type_name(info.annotation), info.description or ""))
    return rows


def _type_name(annotation: Any) -> str:
    names = {str: "text", int: "integer", float: "number", bool: "true or false"}
    for arg in (annotation, *typing.get_args(annotation)):
        if arg in names:
            return names[arg]
        if typing.get_origin(arg) in (list, dict):
            inner = _type_name(typing.get_args(arg)[-1]) if typing.get_args(arg) else ""
            kind = "a list" if typing.get_origin(arg) is list else "a mapping"
            return f"{kind} of {inner}s" if inner else kind
        if isinstance(arg, type) and issubclass(arg, Target):
            return "a node with a _target_"
    return ""
