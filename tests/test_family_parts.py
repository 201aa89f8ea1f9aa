"""The parts of a family, each on its own: conditioning, sampling with rejection and
calibration, the replica axis, the nets' contract, and the capabilities a family declares."""

import pytest
import torch
from torch import nn

from ganexp.build import build_family
from ganexp.config import make_plan
from ganexp.errors import ConfigError
from ganexp.families.base import AdversarialFamily
from ganexp.families.gan import GAN
from ganexp.families.lapgan import LAPGAN
from ganexp.families.vae import VAE
from ganexp.train import compose

TOY = [
    "model=mlp",
    "dataset=ring8",
    "loss=ns",
    "model.generator.hidden=[8]",
    "model.discriminator.hidden=[8]",
]


def module_of(*overrides: str, shape=(2,), num_classes=None):
    torch.manual_seed(0)
    return build_family(make_plan(compose([*TOY, *overrides])), shape, num_classes)


class Recorder(nn.Module):
    """A critic that records what it is called with and scores by the sum of x."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, x, y=None):
        self.calls.append((x, y))
        return x.flatten(1).sum(1)


# -- conditioning ----------------------------------------------------------------------------
def test_conditional_nets_are_wrapped_and_labels_cycle_through_the_classes():
    m = module_of("model.conditional=true", "model.embed_dim=3", num_classes=8)
    assert m.generator.embed.weight.shape == (8, 3) and m.discriminator.num_classes == 8
    assert m.balanced_labels(10).tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 0, 1]
    assert module_of().balanced_labels(10) is None  # unconditional


def test_the_critic_binds_each_packs_labels():
    m = module_of("model.conditional=true", "model.pack=2", num_classes=8)
    m.discriminator = Recorder()
    labels = torch.tensor([0, 1, 2, 3])
    m.critic(labels)(torch.zeros(2, 4))
    ((_, seen),) = m.discriminator.calls
    assert seen.tolist() == [[0, 1], [2, 3]]  # packs of two samples carry their two labels


# -- a discrete latent code -----------------------------------------------------------------
def test_the_code_is_floor_k_phi_of_the_first_coordinate_and_each_is_equally_likely():
    from ganexp.nets.codes import code_of

    k, normal = 4, torch.distributions.Normal(0.0, 1.0)
    at = normal.icdf(torch.tensor([0.1, 0.249, 0.251, 0.5001, 0.74, 0.76, 0.99]))
    z = torch.stack([at, torch.full_like(at, 7.0)], 1)  # the other coordinate plays no part
    assert code_of(z, k).tolist() == [0, 0, 1, 2, 2, 3, 3]
    counts = torch.bincount(code_of(torch.randn(400_000, 3), 16), minlength=16) / 400_000
    assert (counts - 1 / 16).abs().max() < 0.002  # 0.00038 is one standard deviation


def test_g_sees_the_noise_and_its_code_one_hot_at_unit_second_moment_and_is_built_for_the_wider_input():
    from ganexp.nets.codes import DiscreteCode, code_of

    m = module_of("model.codes=5", "model.z_dim=3")
    assert isinstance(m.generator, DiscreteCode)
    assert m.generator.net.net[0].in_features == 3 + 5 and m.z_dim == 3
    z = torch.randn(64, 3)
    seen = DiscreteCode(nn.Identity(), 5)(z)
    assert torch.equal(seen[:, :3], z)
    # the one-hot at sqrt(K): each input's second moment is a noise coordinate's, 1
    assert torch.equal(seen[:, 3:], nn.functional.one_hot(code_of(z, 5), 5).float() * 5**0.5)
    # model.code_scale sets the one-hot's scale instead
    scaled = module_of("model.codes=5", "model.z_dim=3", "model.code_scale=2.5").generator
    assert scaled.scale == 2.5 and m.generator.scale == 5**0.5
    seen = DiscreteCode(nn.Identity(), 5, 2.5)(z)
    assert torch.equal(seen[:, 3:], nn.functional.one_hot(code_of(z, 5), 5).float() * 2.5)
    # conditional: G sees z, the label's embedding and the code of z itself
    c = module_of("model.codes=5", "model.conditional=true", "model.embed_dim=2", num_classes=8)
    assert c.generator.net.net.net[0].in_features == 8 + 2 + 5
    assert c.sample(6, torch.Generator().manual_seed(0), torch.arange(6)).shape == (6, 2)


# -- sampling ----------------------------------------------------------------------------------
def test_without_rejection_a_sample_is_the_generator_on_the_prior():
    m = module_of()
    x = m.sample(5, torch.Generator().manual_seed(1))
    with torch.no_grad():
        m.generator.eval()
        expected = m.generator(torch.randn(5, m.z_dim, generator=torch.Generator().manual_seed(1)))
    assert torch.equal(x, expected)


def test_rejection_reads_d_itself_or_one_calibrated_copy_per_generator_step():
    m = module_of("sampling.rejection=true")
    assert m.rejection_critic(m.generator) is m.discriminator
    m = module_of("loss=wgan_gp", "sampling.rejection=true", "sampling.calibrate_steps=2")
    m.real_sampler = lambda n, gen: torch.randn(n, 2, generator=gen)
    first = m.rejection_critic(m.generator)
    assert first is not m.discriminator and m.rejection_critic(m.generator) is first
    m.g_step += 1
    assert m.rejection_critic(m.generator) is not first  # made again for the next step


# -- the replica axis --------------------------------------------------------------------------
def test_summed_drops_a_diverged_replica_and_split_records_it():
    m = module_of("train.replicas=3")
    loss = torch.tensor([1.0, 2.0, 4.0])
    assert m.summed(loss).item() == 7.0
    m.diverged[1] = {"g_step": 0, "key": "train/d_loss", "value": float("nan")}
    assert m.summed(loss).item() == 5.0
    m2 = module_of("train.replicas=3")
    m2.drop_replica = lambda k: None  # no trainer here: the optimizer state is not ours to zero
    means = m2.split_replicas({"train/d_loss": torch.tensor([1.0, float("inf"), 3.0])})
    assert list(m2.diverged) == [1] and means["train/d_loss"].item() == 2.0
    assert torch.equal(m2.per_replica(torch.neg, torch.ones(3, 2)), -torch.ones(3, 2))


# -- one pass of D over the real and the fake batch -----------------------------------------------
@pytest.mark.parametrize(
    "overrides, passes",
    [
        ([], 1),  # no BatchNorm: one pass of both batches
        (["model.d_norm=layer"], 1),
        (["model.d_norm=batch"], 2),  # BatchNorm: real and fake never share a batch
        (["model.conditional=true"], 1),  # the labels go with their samples
        (["train.replicas=3", "model.d_norm=layer"], 1),
    ],
)
def test_d_judges_both_batches_in_one_pass_unless_it_mixes_samples(overrides, passes):
    labels = 8 if "model.conditional=true" in overrides else None
    m = module_of(*overrides, num_classes=labels)
    lead = (3,) if m.replicas > 1 else ()
    real, fake = torch.randn(*lead, 6, 2), torch.randn(*lead, 6, 2)
    y = torch.arange(6).expand(*lead, 6) if labels else None
    inputs = []
    hook = m.discriminator.register_forward_hook(lambda net, args, out: inputs.append(args))
    d_real, d_fake = m.judge(real, fake, y)
    hook.remove()
    assert len(inputs) == passes
    m.discriminator.eval()  # separate passes, statistics of each batch alone aside
    if passes == 1:  # the same scores as two passes of the same net
        critic = m.critic(y)
        torch.testing.assert_close(d_real, critic(real), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(d_fake, critic(fake), rtol=1e-5, atol=1e-6)
    else:  # each pass held one batch only: BatchNorm saw real alone, then fake alone
        assert [a[0].shape[0] for a in inputs] == [6, 6]


def test_a_net_that_declares_mixes_samples_keeps_two_passes():
    m = module_of()
    m.discriminator.net[1].mixes_samples = True  # e.g. a minibatch-statistics layer of its own
    calls = []
    m.discriminator.register_forward_hook(lambda net, args, out: calls.append(args[0].shape))
    m.judge(torch.randn(4, 2), torch.randn(4, 2), None)
    assert calls == [(4, 2), (4, 2)]


# -- the nets' contract ------------------------------------------------------------------------
def test_a_generator_of_the_wrong_shape_is_named():
    m = module_of()
    m.generator = nn.Linear(m.z_dim, 3)
    with pytest.raises(ConfigError, match=r"model.generator: G\(z\) .* has shape \(2, 3\)"):
        m.check_nets((2,))


# -- capabilities --------------------------------------------------------------------------------
def test_families_declare_what_they_play():
    assert GAN.supports_replicas and GAN.alternates
    assert (
        not LAPGAN.supports_replicas
        and not LAPGAN.alternates
        and LAPGAN.takes_callbacks == ("ema",)
    )
    assert not VAE.supports_replicas and VAE.priors == ("normal",)

    class OwnSteps(GAN):
        def training_step(self, batch, batch_idx):
            pass

    class OwnVectorisedSteps(GAN):
        supports_replicas = True

        def training_step(self, batch, batch_idx):
            pass

    assert not OwnSteps.supports_replicas and OwnVectorisedSteps.supports_replicas
    assert AdversarialFamily.objectives is None


# -- top-k generator updates -------------------------------------------------------------------
def test_top_k_steps_g_from_exactly_the_k_fakes_d_rates_most_real():
    m = module_of("train.top_k=0.25", "train.top_k_decay=0.5")
    critic = m.critic(None)
    fake = torch.randn(16, 2, requires_grad=True)
    m.g_step = 2  # kept share max(0.25, 0.5^2): 4 of 16
    m.generator_loss(critic, fake).backward()
    stepped = fake.grad.abs().sum(1) > 0
    best = critic(fake).flatten().topk(4).indices
    assert stepped.sum() == 4 and stepped[best].all()
    # the loss is the objective on those four alone
    assert torch.equal(m.generator_loss(critic, fake), m.objective.g_loss(critic(fake[best])))
    m.g_step = 0  # it starts with the whole batch
    fake.grad = None
    m.generator_loss(critic, fake).backward()
    assert (fake.grad.abs().sum(1) > 0).all()


def test_top_k_shrinks_geometrically_to_its_floor_and_ranks_each_replica_on_its_own():
    from ganexp.families.top_k import kept_share, top_k

    assert [kept_share(t, 0.5, 0.9) for t in (0, 1, 2)] == [1.0, 0.9, 0.9**2]
    assert kept_share(7, 0.5, 0.9) == 0.5  # 0.9^7 = 0.48 is below the floor
    scores = torch.tensor([[3.0, 1.0, 2.0, 0.0], [0.0, 5.0, 4.0, 9.0]])  # (replicas, batch)
    assert top_k(scores, 0.5, axis=1).tolist() == [[3.0, 2.0], [9.0, 5.0]]
    assert top_k(scores, 0.3, axis=1).shape == (2, 2)  # ceil(0.3 * 4)
    assert top_k(scores, 1.0, axis=1) is scores


def test_top_k_is_refused_where_no_single_discriminator_rates_the_fakes():
    with pytest.raises(ConfigError, match=r"train.top_k=0.5 .* allowed values are \[1.0\]"):
        module_of("loss=vae", "train.top_k=0.5")
