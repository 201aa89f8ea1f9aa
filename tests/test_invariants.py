"""Invariants of the alternating game, checked at every optimizer step of real training runs."""

import pytorch_lightning as pl
import torch


class StepProbe(pl.Callback):
    """Hooks both optimizers: records what every critic step and every generator step did."""

    def __init__(self, check_critic=None):
        self.check_critic = check_critic
        self.critic_steps = self.generator_steps = 0
        self.failures: list[str] = []

    def on_train_start(self, trainer, module):
        opt_g, opt_d = trainer.optimizers
        critic = module.discriminator

        def after_critic_step(*_):
            self.critic_steps += 1
            self.params = [p.detach().clone() for p in critic.parameters()]
            self.grads = [None if p.grad is None else p.grad.clone() for p in critic.parameters()]
            if self.check_critic and not self.check_critic(critic):
                self.failures.append(f"critic step {self.critic_steps}")

        def after_generator_step(*_):
            self.generator_steps += 1
            for p, before, grad in zip(critic.parameters(), self.params, self.grads):
                if not torch.equal(p, before):
                    self.failures.append(f"D changed in generator step {self.generator_steps}")
                if grad is not None and not torch.equal(p.grad, grad):
                    self.failures.append(f"G's backward reached D in step {self.generator_steps}")

        # registered after the configured callbacks' hooks, so the probe sees their effect
        opt_d.register_step_post_hook(after_critic_step)
        opt_g.register_step_post_hook(after_generator_step)


def test_weight_clipping_holds_after_every_critic_step(fit):
    clip = 0.01
    probe = StepProbe(lambda critic: all(p.abs().max() <= clip for p in critic.parameters()))
    fit(["model=mlp", "dataset=ring8", "loss=wgan", "train.g_steps=6"], callbacks=[probe])
    assert probe.critic_steps == 6 * 5 and probe.generator_steps == 6
    assert probe.failures == []


def test_clipping_bound_follows_the_config(fit):
    probe = StepProbe(lambda critic: max(p.abs().max() for p in critic.parameters()) <= 0.002)
    fit(
        ["model=mlp", "dataset=ring8", "loss=wgan", "loss.clip=0.002", "train.g_steps=2"],
        callbacks=[probe],
    )
    assert probe.critic_steps == 10 and probe.failures == []


def test_generator_step_leaves_discriminator_bit_identical(fit):
    for loss, model, data in [("ns", "dcgan", "digits"), ("wgan_gp", "mlp", "ring8")]:
        probe = StepProbe()
        fit(
            [f"model={model}", f"dataset={data}", f"loss={loss}", "train.g_steps=4"],
            run=loss,
            callbacks=[probe],
        )
        assert probe.generator_steps == 4 and probe.failures == []


def test_each_critic_step_sees_its_own_real_batch(fit):
    seen = []

    class Spy(pl.Callback):
        def on_train_start(self, trainer, module):
            forward = module.discriminator.forward
            module.discriminator.forward = lambda x: (seen.append(x.detach().clone()), forward(x))[
                1
            ]

    fit(["model=mlp", "dataset=ring8", "loss=wgan", "train.g_steps=1"], callbacks=[Spy()])
    # 5 critic steps, each one pass of (real, fake) (D has no BatchNorm), then the generator's fake
    assert [len(x) for x in seen] == [64] * 5 + [32]
    reals = [x[:32] for x in seen[:5]]
    assert all(not torch.equal(a, b) for i, a in enumerate(reals) for b in reals[i + 1 :])
