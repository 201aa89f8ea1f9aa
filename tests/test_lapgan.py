"""LAPGAN: the Laplacian pyramid is exact, every level has its own pair, samples run through all."""

import torch

from ganexp.data.digits import Digits
from ganexp.nets.lapgan import PyramidGenerator, laplacian_pyramid, reconstruct, upsample

LAP = ["model=lapgan", "loss=ns", "dataset.image_size=32", "model.levels=3"]


def fresh_module():
    """The LAPGAN module as a run builds it, before training."""
    from omegaconf import open_dict

    from ganexp.build import build_family
    from ganexp.train import compose

    cfg = compose(LAP)
    with open_dict(cfg):
        cfg.pop("hydra")
    return build_family(cfg, (1, 32, 32))


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
        i1 = upsample(i0) + g.levels[1](n1, upsample(i0))
        i2 = upsample(i1) + g.levels[2](n2, upsample(i1))
        torch.testing.assert_close(g(z), i2)


def test_every_level_trains_its_own_pair(fit):
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


def test_a_level_gradient_stays_in_its_level():
    module = fresh_module()
    real = torch.rand(4, 1, 32, 32) * 2 - 1
    condition, image = module.real_levels(real)[1]
    module.judge(1, condition, image).sum().backward()
    for k, level in enumerate(module.discriminator.levels):
        has_grad = any(p.grad is not None and p.grad.abs().sum() > 0 for p in level.parameters())
        assert has_grad == (k == 1), k
