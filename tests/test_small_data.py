"""Small data: the augmentation's ops do exactly what they say and let G's gradient through, ADA's
controller steers p, LeCam is its formula, the subset and the held-out split are what they claim."""

import pytest
import torch

from ganexp.augment import AdaptiveAugment, DiffAugment, cut_out, shifts, translate
from ganexp.callbacks.lecam import LeCam
from ganexp.config import make_plan
from ganexp.data.digits import Digits
from ganexp.train import compose


def grid(n=2, c=1, h=8, w=8):
    return torch.arange(n * c * h * w, dtype=torch.float64).view(n, c, h, w) + 1


def test_translation_moves_every_pixel_by_its_shift_and_blanks_the_border():
    x = grid()
    out = translate(x, torch.tensor([[1, -2], [0, 3]]))
    # image 0: down 1, left 2: out[y, x] = in[y - 1, x + 2]
    assert torch.equal(out[0, 0, 1:, :6], x[0, 0, :7, 2:])
    assert (out[0, 0, 0] == 0).all() and (out[0, 0, :, 6:] == 0).all()
    # image 1: right 3
    assert torch.equal(out[1, 0, :, 3:], x[1, 0, :, :5]) and (out[1, 0, :, :3] == 0).all()


def test_shifts_reach_both_ends_and_stay_within_an_eighth():
    u = torch.tensor([[0.0, 0.0], [0.9999, 0.9999], [0.5, 0.5]])
    assert shifts(u, 0.125, 16, 16).tolist() == [[-2, -2], [2, 2], [0, 0]]
    draws = shifts(torch.rand(10_000, 2, generator=torch.Generator().manual_seed(0)), 0.125, 16, 16)
    assert draws.min() == -2 and draws.max() == 2
    assert torch.bincount((draws + 2).flatten()).min() > 3000  # five values, evenly


def test_cutout_blanks_exactly_its_square_and_clips_at_the_edge():
    x = torch.ones(2, 1, 16, 16)
    out = cut_out(x, torch.tensor([[8, 8], [0, 15]]), (8, 8))
    assert (out[0, 0, 4:12, 4:12] == 0).all() and out[0].sum() == 256 - 64
    assert (out[1, 0, :4, 11:] == 0).all() and out[1].sum() == 256 - 4 * 5


def test_gradients_reach_the_images_through_every_op():
    x = grid(4, 1, 16, 16).requires_grad_()
    augment = DiffAugment(policy=["color", "translation", "cutout", "flip"])
    augment(x, torch.Generator().manual_seed(0)).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    assert (x.grad != 0).float().mean() > 0.3  # what translation and cutout keep is trained


def test_an_augmented_batch_of_k_replicas_is_each_replicas_own():
    from ganexp.replicas import Generators

    x = grid(3, 1, 8, 8)
    augment = DiffAugment()
    gens = Generators(5, 2)
    gens.seed_step(0, 0, 7)
    both = augment(torch.stack([x, x + 1]), gens)
    for k in range(2):
        alone = Generators(5, 2)
        alone.seed_step(0, 0, 7)
        assert torch.equal(both[k], augment(x + k, list(alone)[k]))


def test_ada_raises_p_above_its_target_and_lowers_it_below():
    ada = AdaptiveAugment(target_rt=0.6, speed=1000, interval=4)
    sure = torch.ones(10, 1)  # every real scored real: r_t = 1 > 0.6
    for step in range(4):
        ada.observe(sure, step)
    assert ada.p.item() == pytest.approx(40 / 1000) and ada.r_t.item() == 1.0
    for step in range(4, 8):
        ada.observe(sure, step)
    assert ada.p.item() == pytest.approx(80 / 1000)
    unsure = torch.tensor([1.0, -1.0] * 5)[:, None]  # r_t = 0 < 0.6
    for step in range(8, 16):
        ada.observe(unsure, step)
    assert ada.p.item() == pytest.approx(0.0) and ada.r_t.item() == 0.0
    for step in range(16, 20):  # clamped at 0
        ada.observe(unsure, step)
    assert ada.p.item() == 0.0


def test_ada_applies_nothing_at_p_zero_and_everything_at_p_one():
    x = grid(6, 1, 8, 8)
    ada = AdaptiveAugment()
    assert torch.equal(ada(x, torch.Generator().manual_seed(1)), x)
    ada.p.fill_(1.0)
    plain = DiffAugment()
    # p = 1: every op applies (the draws differ from DiffAugment's by the coin flips)
    assert not torch.equal(ada(x, torch.Generator().manual_seed(1)), x)
    assert plain.probability() is None


def test_lecam_is_its_formula_with_moving_averages():
    lecam = LeCam(weight=0.3, decay=0.9)
    rng = torch.Generator()
    r1, f1 = torch.tensor([1.0, 3.0]), torch.tensor([-1.0, 0.0])
    first = lecam.critic_penalty(None, None, None, rng, (r1, f1))
    a_r, a_f = 2.0, -0.5  # the first step's means start the averages
    want = ((torch.relu(r1 - a_f) ** 2).mean() + (torch.relu(a_r - f1) ** 2).mean()).item()
    assert first.item() == pytest.approx(want)
    r2, f2 = torch.tensor([0.0, 0.0]), torch.tensor([2.0, 4.0])
    second = lecam.critic_penalty(None, None, None, rng, (r2, f2))
    a_r, a_f = 0.9 * 2.0 + 0.1 * 0.0, 0.9 * -0.5 + 0.1 * 3.0
    want = ((torch.relu(r2 - a_f) ** 2).mean() + (torch.relu(a_r - f2) ** 2).mean()).item()
    assert second.item() == pytest.approx(want)
    assert lecam.state_dict()["averages"].tolist() == pytest.approx([a_r, a_f])


def test_subset_is_stratified_and_the_same_whatever_the_runs_seed():
    def digits(**kw):
        dm = Digits(image_size=8, **kw)
        dm.setup()
        return dm

    a, b, other = (
        digits(subset=180, seed=0),
        digits(subset=180, seed=3),
        digits(subset=180, subset_seed=1),
    )
    assert len(a.data) == 180 and torch.equal(a.data, b.data)
    assert not torch.equal(a.data, other.data)
    counts = torch.bincount(a.labels, minlength=10)
    pool = torch.bincount(a.pool_labels, minlength=10).double()
    assert (counts - pool * 180 / pool.sum()).abs().max() < 1  # each class in proportion
    # the subset is drawn from the training split: every image is one of the pool's
    rows = {tuple(r.tolist()) for r in a.pool_data.flatten(1)}
    assert all(tuple(r.tolist()) in rows for r in a.data.flatten(1))


def test_the_heldout_split_shares_no_image_with_training():
    dm = Digits(image_size=8)
    dm.setup()
    held, labels = dm.heldout()
    assert len(held) == 359 and len(dm.data) == 1438
    train_rows = {tuple(r.tolist()) for r in dm.data.flatten(1)}
    assert not any(tuple(r.tolist()) in train_rows for r in held.flatten(1))
    assert (torch.bincount(labels, minlength=10) >= 35).all()  # about a fifth of every class
    again, _ = dm.heldout(100)
    assert torch.equal(again, dm.heldout(100)[0]) and len(again) == 100


@pytest.mark.parametrize(
    "extra",
    [["augment=diffaugment"], ["augment=ada"], ["callbacks=[lecam]"]],
)
def test_the_small_data_commands_compose(extra):
    plan = make_plan(compose(["model=dcgan", "loss=ns", "dataset.subset=180", *extra]))
    assert plan.run.dataset.subset == 180
    if extra[0].startswith("augment"):
        assert plan.run.augment.target.startswith("ganexp.augment.")
        assert plan.run.augment.policy == ["color", "translation", "cutout"]
    else:
        assert any(n.target.endswith("LeCam") for n in plan.callbacks)


def test_one_step_augments_real_and_fake_alike_and_logs_d_overfitting(fit, monkeypatch):
    seen = []
    forward = DiffAugment.forward

    def spy(self, x, rng, groups=1):
        p = self.probability()
        seen.append((id(self), self.policy, None if p is None else float(p), x.shape[0]))
        return forward(self, x, rng, groups)

    monkeypatch.setattr(DiffAugment, "forward", spy)
    s = fit(
        [
            "model=dcgan",
            "loss=ns",
            "dataset.subset=180",
            "augment=ada",
            "train.g_steps=2",
            "augment.speed=1000",
            "augment.interval=1",
            "eval.every_n_g_steps=2",
        ]
    )
    # per generator step: real and fake in D's step, fake in G's step, by one object, one policy
    assert len(seen) == 6 and len({(obj, policy) for obj, policy, _, _ in seen}) == 1
    assert seen[0][2] == seen[1][2] and seen[3][2] == seen[4][2]  # one p for real and fake
    # p starts at 0 and moves by 32 images / 1000 after each critic step (batch 32, interval 1)
    assert seen[0][2] == 0.0 and seen[3][2] in (0.0, pytest.approx(0.032))
    assert 0 <= s["train/ada_p"] <= 1 and -1 <= s["train/ada_rt"] <= 1
    assert s["val/d_overfit"] == pytest.approx(
        s["val/d_accuracy_train"] - s["val/d_accuracy_heldout"]
    )
    assert s["eval_reference"].startswith("the held-out split: 359 images")
