"""R2 (Mescheder et al. 2018): (gamma / 2) E_G ||grad D(x~)||^2, R1's twin on generated samples.
A critic penalty: the family adds it to D's loss before D's backward, logged as `train/r2`."""

import torch

from ganexp.contracts import CriticPenalty


class R2Penalty(CriticPenalty):
    name = "r2"
    needs_input_gradients = True  # a penalty on D's input gradient: no BatchNorm critic

    def __init__(self, gamma: float = 1.0):
        self.weight = gamma / 2

    def critic_penalty(self, critic, real, fake, rng):
        fake = fake.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(critic(fake).sum(), fake, create_graph=True)
        return grad.flatten(1).pow(2).sum(1).mean()
