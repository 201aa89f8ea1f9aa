"""Conditional GAN: labelled data, G(z, y) and D(x, y), per-class pictures, and a generator that
draws the class it is asked for."""

import torch
from PIL import Image

from ganexp.data.toy import Ring
from ganexp.nets.conditional import ConditionalDiscriminator, ConditionalGenerator


def test_mixture_labels_are_the_components():
    ring = Ring(modes=8)
    x, y = ring.sample_labelled(1000, torch.Generator().manual_seed(0))
    assert ring.num_classes == 8 and y.dtype == torch.int64
    assert ring.label_accuracy(x, y) == 1.0  # every point lies at the mode it was drawn from
    assert ring.label_accuracy(x, (y + 1) % 8) == 0.0
    # the unlabelled draw is the same draw
    torch.testing.assert_close(ring.sample(1000, torch.Generator().manual_seed(0)), x)


def test_conditional_nets_see_the_label():
    seen = {}

    class Probe(torch.nn.Module):
        def forward(self, v):
            seen["input"] = v
            return v.flatten(1).sum(1)

    d = ConditionalDiscriminator(Probe(), num_classes=3)
    x, y = torch.zeros(2, 1, 4, 4), torch.tensor([2, 0])
    d(x, y)
    assert seen["input"].shape == (2, 4, 4, 4)  # one one-hot channel per class beside the image
    assert seen["input"][0, 3].eq(1).all() and seen["input"][0, 1:3].eq(0).all()
    assert seen["input"][1, 1].eq(1).all()
    g = ConditionalGenerator(Probe(), num_classes=3, embed_dim=5)
    g(torch.zeros(2, 7), y)
    assert seen["input"].shape == (2, 12)
    torch.testing.assert_close(seen["input"][:, 7:], g.embed(y))


def test_conditional_ring_puts_each_sample_at_the_requested_mode(fit):
    s = fit(
        [
            "model=mlp",
            "dataset=ring8",
            "loss=ns",
            "model.conditional=true",
            "optimizer.g.lr=1e-3",
            "optimizer.d.lr=1e-3",
            "train.g_steps=300",
            "train.batch_size=128",
        ]
    )
    assert s["val/label_accuracy"] > 0.95  # chance is 1/8
    assert s["val/modes_covered"] == 8 and s["val/hq_fraction"] > 0.5


def test_conditional_digits_draw_the_requested_digit(fit, tmp_path):
    s = fit(["experiment=cgan_digits", "train.g_steps=200", "eval.every_n_g_steps=200"])
    # chance is 10%; the judge itself, the evaluation classifier, is right on held-out real digits
    assert s["val/classifier_accuracy"] > 0.9
    assert s["val/label_accuracy"] > 0.8, s["val/label_accuracy"]
    assert s["val/classes_covered"] == 10
    # one row of 8 per class: 10 rows of 16 px images shown at 48 px, with 2 px padding
    width, height = Image.open(tmp_path / "run" / "samples" / "final.png").size
    assert (width, height) == (8 * 50 + 2, 10 * 50 + 2)
