"""Every allowed model x loss x dataset (of those that need no download) composes and trains."""

import math

import pytest

from ganexp.options import options

POINTS = ["balls45", "gauss1d", "grid25", "mixture1d", "ring8", "segment", "swissroll"]
LOSSES = options("loss")
COMBOS = [("mlp", loss, data) for loss in LOSSES for data in [*POINTS, "digits"]]
COMBOS += [("dcgan", loss, "digits") for loss in LOSSES]
COMBOS += [("gaussian", loss, data) for loss in LOSSES for data in ("gauss1d", "mixture1d")]
FAMILY_KEYS = {
    "wgan": ["train/critic_loss", "train/w_estimate"],
    "wgan_gp": ["train/critic_loss", "train/w_estimate", "train/gp"],
    "fgan": ["train/f_estimate"],
    "vae": ["train/elbo", "train/recon", "train/kl"],
}


def test_the_lists_cover_every_offline_dataset():
    offline = set(POINTS) | {"digits"}
    assert offline | {"mnist", "fashion_mnist", "cifar10", "celeba", "image_folder"} == set(
        options("dataset")
    )


COMBOS += [("mlp", f"{loss} conditional", "ring8") for loss in LOSSES if loss != "vae"]
COMBOS += [("dcgan", "wgan_gp conditional", "digits")]


@pytest.mark.parametrize("model,loss,data", COMBOS, ids=["-".join(c) for c in COMBOS])
def test_combination_trains(fit, model, loss, data):
    loss, *conditional = loss.split()
    s = fit(
        [
            f"model={model}",
            f"loss={loss}",
            f"dataset={data}",
            "train.g_steps=2",
            "train.batch_size=8",
            *(["model.conditional=true"] if conditional else []),
        ]
    )
    n_critic = s["config"]["loss"]["n_critic"]
    assert (s["g_steps"], s["d_steps"]) == (2, 2 * n_critic)
    family = FAMILY_KEYS.get(loss, ["train/d_real", "train/d_fake", "train/js_estimate"])
    losses = [] if loss == "vae" else ["train/d_loss", "train/g_loss"]
    for key in [*losses, *family]:
        assert math.isfinite(s[key]), key
    if loss == "wgan_gp":
        assert s["train/gp"] >= 0
