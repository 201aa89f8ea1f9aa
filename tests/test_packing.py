"""PacGAN packing (model.pack=m): D judges m samples joined along the feature or channel axis."""

import pytorch_lightning as pl
import torch

from ganexp.callbacks.gradient_penalty import GradientPenalty
from ganexp.families.packing import pack
from ganexp.nets.conditional import ConditionalDiscriminator
from ganexp.nets.mlp import Maxout


def test_pack_joins_consecutive_samples():
    points = torch.arange(24.0).view(12, 2)
    packed = pack(points, 3)
    assert packed.shape == (4, 6)
    for i in range(4):
        assert torch.equal(packed[i], torch.cat([points[3 * i + j] for j in range(3)]))
    images = torch.randn(8, 3, 4, 4)
    packed = pack(images, 2)
    assert packed.shape == (4, 6, 4, 4)
    assert torch.equal(packed[1, 3:], images[3]) and torch.equal(packed[1, :3], images[2])
    assert torch.equal(pack(torch.arange(6), 2), torch.tensor([[0, 1], [2, 3], [4, 5]]))
    assert pack(points, 1) is points


def test_conditional_critic_packs_one_hot_labels_alongside():
    seen = []
    net = lambda x: seen.append(x) or x.sum(1)  # noqa: E731
    critic = ConditionalDiscriminator(net, num_classes=3)
    x = torch.zeros(2, 4)  # two packs of two 2-D samples
    critic(x, torch.tensor([[0, 2], [1, 1]]))
    assert torch.equal(seen[0][:, 4:], torch.tensor([[1.0, 0, 0, 0, 0, 1], [0, 1, 0, 0, 1, 0]]))


def test_gradient_penalty_is_taken_per_pack():
    """A linear critic w . p on packs of 3 2-D samples: the gradient of a pack is w (6 entries),
    so the penalty is (||w|| - 1)^2, not the mean over samples of (||w_j|| - 1)^2."""
    w = torch.tensor([0.3, -0.4, 1.2, 0.5, 0.0, 2.0])
    critic = lambda p: p @ w  # noqa: E731
    real, fake = pack(torch.randn(12, 2), 3), pack(torch.randn(12, 2), 3)
    penalty = GradientPenalty(weight=1.0).critic_penalty(critic, real, fake, torch.Generator())
    assert torch.isclose(penalty, (w.norm() - 1) ** 2)
    per_sample = sum((w[2 * j : 2 * j + 2].norm() - 1) ** 2 for j in range(3)) / 3
    assert not torch.isclose(penalty, per_sample)


def test_maxout_keeps_the_largest_piece():
    layer = Maxout(2, 3, pieces=4)
    x = torch.randn(5, 2)
    pieces = layer.linear(x).view(5, 3, 4)
    assert torch.equal(layer(x), pieces.max(-1).values)


class InputProbe(pl.Callback):
    """Records every step's real batch and every input the discriminator receives."""

    def __init__(self):
        self.batches, self.inputs = [], []

    def on_train_start(self, trainer, module):
        net = module.discriminator
        net.register_forward_pre_hook(lambda _, args: self.inputs.append(args[0].detach()))

    def on_train_batch_start(self, trainer, module, batch, batch_idx):
        self.batches.append(batch.clone())


def test_discriminator_sees_real_packs_then_fake_packs(fit):
    """Each critic step judges the step's real minibatch packed in order, then a fake pack batch
    of the same size; the generator step judges packs too. Only real samples in real packs."""
    probe = InputProbe()
    steps, m, batch = 3, 4, 8
    fit(
        [
            "model=mlp",
            "dataset=ring8",
            "loss=ns",
            f"model.pack={m}",
            f"train.batch_size={batch}",
            f"train.g_steps={steps}",
        ],
        callbacks=[probe],
    )
    assert len(probe.inputs) == 2 * steps  # (real, fake) in one pass, then the generator's fake
    for k, real in enumerate(probe.batches):
        assert real.shape == (batch * m, 2)
        both, g_fake = probe.inputs[2 * k : 2 * k + 2]
        d_real, d_fake = both[:batch], both[batch:]  # the real packs first
        assert torch.equal(d_real, pack(real, m))
        assert d_fake.shape == g_fake.shape == (batch, 2 * m)
        # real ring8 points sit at radius 2 (std 0.02); an untrained generator's do not
        assert torch.allclose(d_real.view(-1, 2).norm(dim=1), torch.tensor(2.0), atol=0.15)


def test_pack_one_is_the_unpacked_game(fit, tmp_path):
    """model.pack=1 trains exactly as a model config without the key (the code before packing)."""
    common = ["model=mlp", "dataset=ring8", "loss=wgan_gp", "train.g_steps=5"]
    fit([*common, "model.pack=1"], run="one")
    fit([*common, "~model.pack"], run="none")
    from ganexp import load

    a, b = load(tmp_path / "one"), load(tmp_path / "none")
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(p, q), name


def test_packing_works_with_every_loss_and_conditional_dcgan(fit):
    for loss in ("gan", "hinge", "lsgan", "wgan", "wgan_gp", "fgan"):
        summary = fit(
            ["model=mlp", "dataset=ring8", f"loss={loss}", "model.pack=3", "train.g_steps=2"],
            run=loss,
        )
        assert summary["g_steps"] == 2
    summary = fit(
        [
            "model=dcgan",
            "dataset=digits",
            "loss=ns",
            "model.pack=2",
            "model.conditional=true",
            "callbacks=[r1]",
            "model.d_norm=layer",
            "train.g_steps=2",
        ],
        run="cgan",
    )
    assert summary["g_steps"] == 2
