"""The schema (ganexp/schema.py): each kind of option refuses a bad value with one line naming the
key, the value and what it allows; its allowed values are the implementation's; its defaults
are the run's."""

import pytest

from ganexp.errors import ConfigError
from ganexp.schema import Run, describe, parse, run_defaults
from ganexp.train import compose


def config(*overrides: str) -> dict:
    from ganexp.config import make_plan

    return make_plan(compose(list(overrides))).config


def refusal(data: dict) -> str:
    with pytest.raises(ConfigError) as err:
        parse(data)
    assert "\n" not in str(err.value)
    return str(err.value)


def test_the_default_run_parses_with_every_default_filled_in():
    run = parse(config())
    assert isinstance(run, Run)
    assert (run.train.g_steps, run.model.pack, run.sampling.rejection) == (2000, 1, False)
    assert run.model.generator.target == "ganexp.nets.dcgan.DCGANGenerator"


@pytest.mark.parametrize(
    "change, line",
    [
        (("train", "batch_size", "abc"), "train.batch_size=abc: must be an integer >= 1"),
        (("train", "g_steps", True), "train.g_steps=true: must be an integer >= 1"),
        (("train", "seed", -1), "train.seed=-1: must be an integer >= 0"),
        (("train", "progress_every_s", 0), "train.progress_every_s=0: must be a number > 0"),
        (
            ("sampling", "rejection", "yes"),
            "sampling.rejection=yes: allowed values are [true, false]",
        ),
        (
            ("train", "lr_schedule", "cosine"),
            "train.lr_schedule=cosine: allowed values are ['constant', 'linear']",
        ),
        (
            ("train", "keep_best", "fid"),
            "train.keep_best=fid: allowed values are null or a val/ metric",
        ),
        (("train", "no_such_key", 1), "train.no_such_key=1: no such key; the keys of train are"),
    ],
)
def test_each_kind_of_option_names_key_value_and_what_it_allows(change, line):
    data = config()
    group, key, value = change
    data[group][key] = value
    assert refusal(data).startswith(line)


def test_nested_and_open_nodes_name_their_whole_key():
    data = config("callbacks=[ema,diagnostics]")
    data["callbacks"]["ema"]["decay"] = 1.5
    assert refusal(data) == "callbacks.ema.decay=1.5: must be a number in (0, 1)"
    data = config("callbacks=[diagnostics]")
    data["callbacks"]["diagnostics"]["g_objectives"] = ["ns", "foo"]
    assert refusal(data) == (
        "callbacks.diagnostics.g_objectives=['ns', 'foo']: unknown ['foo']; allowed values are "
        "['gan', 'ns', 'hinge', 'lsgan', 'wgan']"
    )
    data = config()
    data["callbacks"] = {"mine": {"weight": 1.0}}  # a user's callback without its class
    assert refusal(data).startswith("callbacks.mine._target_: missing")
    data = config()
    data["optimizer"]["g"]["betas"] = [0.5]
    assert refusal(data) == "optimizer.g.betas=[0.5]: must be two numbers in [0, 1)"


def test_an_objective_is_a_name_or_a_node():
    data = config()
    data["loss"]["objective"] = "foo"
    assert refusal(data).startswith("loss.objective=foo: allowed values are ['elbo', 'fgan', 'gan'")
    data["loss"]["objective"] = {"_target_": "my.objective", "smoothing": 0.9}
    assert parse(data).loss.objective.spec() == {"_target_": "my.objective", "smoothing": 0.9}


def test_a_node_is_built_as_written_without_filled_in_defaults():
    run = parse(config("model=mlp"))
    # the schema declares `norm` and `maxout` for ganexp's MLP; the YAML sets them, the DCGAN's not
    assert run.model.discriminator.spec() == {
        "_target_": "ganexp.nets.mlp.MLPDiscriminator",
        "hidden": [256, 256, 256],
        "maxout": 1,
    }
    assert "maxout" not in parse(config()).model.discriminator.spec()


def test_allowed_values_are_the_implementations():
    from ganexp import names
    from ganexp.losses import OBJECTIVES
    from ganexp.losses.fdivergence import DIVERGENCES, G_OBJECTIVES

    assert tuple(OBJECTIVES) == names.GAME_OBJECTIVES
    assert tuple(DIVERGENCES) == names.DIVERGENCES and G_OBJECTIVES == names.F_G_OBJECTIVES


def test_the_runs_own_keys_are_declared_once_and_composed_from_the_schema():
    cfg = config()
    for key, value in run_defaults().items():
        assert cfg[key] == value or key == "eval"  # eval.cache_dir is resolved from the environment
    declared = {key for key, _, _ in describe()}
    flat = [
        f"{g}.{k}" for g in ("train", "eval", "sampling") for k in cfg[g] if k != "early_stopping"
    ]
    assert set(flat) <= declared
    assert all(help for key, _, help in describe()), "every declared option has its help"


def test_a_key_its_class_does_not_take_is_named_with_the_keys_it_does():
    from ganexp.config import make_plan

    with pytest.raises(ConfigError) as err:
        make_plan(compose(["+model.generator.hiden=[8]"]))  # a typo Hydra lets through with +
    assert str(err.value) == (
        "model.generator.hiden=[8]: ganexp.nets.dcgan.DCGANGenerator takes no hiden; its keys are "
        "['z_dim', 'shape', 'width'] (remove it with ~model.generator.hiden)"
    )


def test_the_configuration_reference_is_generated_from_the_schema():
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("site_hooks", root / "docs" / "hooks" / "site.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    page = hooks.reference(root / "ganexp" / "conf")
    for key, _, help in describe():
        assert f"`{key}`" in page and hooks.cell(help) in page, key
    assert "| `train.g_steps` | `2000` | an integer >= 1 |" in page  # default and range, one row
