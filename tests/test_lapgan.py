"""LAPGAN: the Laplacian pyramid is exact, every level has its own pair, samples run through all."""

import pytest
import torch

from ganexp.data.digits import Digits
from ganexp.nets.lapgan import PyramidGenerator, laplacian_pyramid, reconstruct, upsample

LAP = ["model=lapgan", "loss=ns", "dataset.image_size=32", "model.levels=3"]


def fresh_module(*overrides: str):
    """The LAPGAN module as a run builds it, before training."""
    from ganexp.build import build_family
    from ganexp.config import make_plan
    from ganexp.train import compose

    return build_family(make_plan(compose([*LAP, *overrides])), (1, 32, 32))


def test_pyramid_of_real_digits_reconstructs_them_exactly():
    digits = Digits(image_size=32)
    digits.setup()
    images = digits.data[:64]
    pyramid = laplacian_pyramid(images, levels=3)
    assert [p.shape[-1] for p in pyramid] == [8, 16, 32]
    torch.testing.assert_close(reconstruct(pyramid), images, rtol=0, atol=1e-6)
    # the residuals carry the detail: dropping them loses it
    assert (upsample(upsample(pyramid[0])) - images).abs().max() > 0.5


def test_sampling_runs_coarse_to_fine_through_every_level():
    g = PyramidGenerator(z_dim=8, shape=(1, 32, 32), levels=3).eval()
    z = torch.randn(4, g.noise_dim)
    assert g.noise_dim == 8 + 16 * 16 + 32 * 32
    z0, n1, n2 = g.split(z)
    with torch.no_grad():
        i0 = g.levels[0](z0)
        i1 = (upsample(i0) + g.levels[1](n1, upsample(i0))).clamp(-1, 1)
        i2 = (upsample(i1) + g.levels[2](n2, upsample(i1))).clamp(-1, 1)
        torch.testing.assert_close(g(z), i2)


def test_samples_stay_in_the_data_range_whatever_the_residuals():
    """Real images lie in [-1, 1]; an unbounded residual once pushed samples to +-1.9, where the
    evaluation classifier never saw data (classifier FID in the hundreds)."""
    g = PyramidGenerator(z_dim=8, shape=(1, 32, 32), levels=3).eval()
    for level in g.levels[1:]:
        torch.nn.init.constant_(level.net[-1].bias, 0.8)  # residuals far larger than real ones
    with torch.no_grad():
        x = g(torch.randn(16, g.noise_dim))
    assert x.min() >= -1 and x.max() <= 1 and (x == 1).any()


def test_residuals_start_at_zero_and_ignore_the_batch():
    """A fresh finer level returns exactly the upsampled coarser image, and a residual does not
    depend on the other samples of its batch (no BatchNorm: it would scale the noise plane up to
    unit variance however small it is)."""
    g = PyramidGenerator(z_dim=8, shape=(1, 32, 32), levels=3).train()
    coarse, noise = torch.rand(6, 1, 16, 16) * 2 - 1, torch.randn(6, 1, 16, 16)
    assert torch.equal(g.levels[1](noise, coarse), torch.zeros_like(coarse))
    torch.nn.init.normal_(g.levels[1].net[-1].weight, 0, 0.1)
    together = g.levels[1](noise, coarse)
    alone = torch.cat([g.levels[1](noise[i : i + 1], coarse[i : i + 1]) for i in range(6)])
    torch.testing.assert_close(together, alone)


def test_training_and_sampling_build_a_level_the_same_way():
    module = fresh_module()
    condition = torch.rand(4, 1, 16, 16) * 2 - 1
    noise = torch.randn(4, 1, 16, 16)
    torch.nn.init.normal_(module.generator.levels[1].net[-1].weight, 0, 0.5)
    with torch.no_grad():
        expected = (condition + module.generator.levels[1](noise, condition)).clamp(-1, 1)
        torch.testing.assert_close(module.fake(1, condition, noise), expected)


def test_every_level_trains_its_own_pair(fit, tmp_path):
    import copy

    import pytorch_lightning as pl

    class Snapshot(pl.Callback):
        def on_train_start(self, trainer, module):
            self.start = copy.deepcopy(module.state_dict())

        def on_train_end(self, trainer, module):
            self.end = copy.deepcopy(module.state_dict())

    snap = Snapshot()
    s = fit([*LAP, "train.g_steps=3"], callbacks=[snap])
    for side in ("generator", "discriminator"):
        for k in range(3):
            names = [n for n in snap.start if n.startswith(f"{side}.levels.{k}.")]
            assert names and any(not torch.equal(snap.start[n], snap.end[n]) for n in names)
    assert {f"train/d_loss_level{k}" for k in range(3)} <= s.keys()
    total = sum(s[f"train/d_loss_level{k}"] for k in range(3))
    assert abs(total - s["train/d_loss"]) < 1e-5
    from PIL import Image

    # one picture per level, each at its own size (8 x 8 tiles of 8, 16 and 32 px), enlarged by
    # whole factors 6, 3 and 2 to at least 48 px
    widths = [
        Image.open(tmp_path / "run" / "samples" / f"final_level{k}.png").size[0] for k in range(3)
    ]
    assert widths == [8 * (size + 2) + 2 for size in (48, 48, 64)]


def test_a_level_gradient_stays_in_its_level():
    module = fresh_module()
    real = torch.rand(4, 1, 32, 32) * 2 - 1
    condition, image = module.real_levels(real)[1]
    module.judge(1, condition, image).sum().backward()
    for k, level in enumerate(module.discriminator.levels):
        has_grad = any(p.grad is not None and p.grad.abs().sum() > 0 for p in level.parameters())
        assert has_grad == (k == 1), k


@pytest.mark.parametrize("coarsest", ["conv", "mlp"])
def test_the_coarsest_critic_sees_an_artefact_every_fake_shares(coarsest):
    """Level 0's critic judges a batch of fakes alone: with BatchNorm it would normalise away a
    feature every sample shares (a stripe drawn into all of them went unseen and stayed in every
    sample), so its score must move when every image in the batch gains the same stripe."""
    critic = fresh_module(f"model.coarsest={coarsest}").discriminator.levels[0].train()
    assert not any(isinstance(m, torch.nn.BatchNorm2d | torch.nn.BatchNorm1d) for m in critic.modules())
    x = torch.rand(64, 1, 8, 8) * 2 - 1
    striped = x.clone()
    striped[:, :, ::2, 0] = 1.0  # the same bright dashes down the left edge of every image
    with torch.no_grad():
        shift = (critic(striped) - critic(x)).abs().mean()
    assert shift > 1e-3


@pytest.mark.parametrize("coarsest", ["conv", "mlp"])
def test_either_coarsest_level_builds_and_samples(coarsest):
    g = PyramidGenerator(z_dim=8, shape=(1, 32, 32), levels=3, coarsest=coarsest).eval()
    with torch.no_grad():
        images = g.pyramid(torch.randn(4, g.noise_dim))
    assert [tuple(i.shape) for i in images] == [(4, 1, 8, 8), (4, 1, 16, 16), (4, 1, 32, 32)]
