"""LAPGAN (Denton et al. 2015): one generator / discriminator pair per pyramid level.

Every level is trained on real pyramids: level 0 plays the game on the coarsest real images,
level k generates the residual h_k from the *real* upsampled coarser image l_k, and its
discriminator judges (l_k, l_k + h_k) against (l_k, I_k). The levels share no parameter, so the
sum of their losses, stepped by one optimizer per side, trains each pair on its own game (Adam and
RMSProp are per parameter). Samples run through the whole pyramid (nets/lapgan.py).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ganexp.data.stream import NOISE_STREAM, step_key
from ganexp.families.base import AdversarialFamily
from ganexp.names import GAME_OBJECTIVES
from ganexp.nets.lapgan import gaussian_pyramid, upsample


class LAPGAN(AdversarialFamily):
    """Logs `train/d_loss`, `train/g_loss` (sums over levels) and `train/d_loss_level{k}`."""

    # what it plays (ganexp/rules.py): each level's game by a plain objective (weight clipping
    # included, no penalty on input gradients), one pyramid, no option of a single G and D
    alternates = False
    objectives = (*GAME_OBJECTIVES, "fgan")
    takes_callbacks = ("ema",)

    def check_nets(self, shape: tuple[int, ...]) -> None:
        """The pyramid's final image has the data's shape (its levels' D are ganexp's own)."""
        self.check_generator(shape, 2, None)

    def real_levels(self, image: Tensor) -> list[tuple[Tensor | None, Tensor]]:
        """(condition, real input of D) per level: (None, I_0), then (l_k, I_k)."""
        images = gaussian_pyramid(image, len(self.generator.sizes))
        return [(None, images[0])] + [(upsample(c), f) for c, f in zip(images, images[1:])]

    def judge(self, k: int, condition: Tensor | None, image: Tensor) -> Tensor:
        """Level k's D on `image` (beside its condition), augmented as in training: the pair
        (l_k, image) gets one transformation."""
        critic = self.discriminator.levels[k]
        if condition is None:
            return critic(self.augmented(image))
        return critic(self.augmented(torch.cat([condition, image], 1), groups=2))

    def fake(self, k: int, condition: Tensor | None, noise: Tensor) -> Tensor:
        """Level k's generated image: G_0(z_0), or l_k + G_k(noise, l_k)."""
        if condition is None:
            return self.generator.levels[0](noise)
        return self.generator.refine(k, noise, condition)

    @torch.no_grad()
    def sample_levels(self, n: int, generator: torch.Generator | None = None) -> list[Tensor]:
        """`n` samples at every level of the pyramid, coarsest first (the sampling generator, in
        eval mode, as `sample`)."""
        with self.sampling_generator() as net:
            return net.pyramid(self.noise(n, generator))

    def training_step(self, batch: Tensor, batch_idx: int) -> None:
        opt_g, opt_d = self.optimizers()
        self.rng.manual_seed(step_key(self.seed, NOISE_STREAM, self.global_rank, self.g_step))

        with self.only(opt_d):
            for i, real in enumerate(batch.chunk(self.n_critic)):
                levels = self.real_levels(real)
                noise = self.generator.split(self.noise(len(real)))
                d_losses, d_reals = [], []
                for k, ((condition, image), z) in enumerate(zip(levels, noise)):
                    with torch.no_grad():
                        fake = self.fake(k, condition, z)
                    d_reals.append(self.judge(k, condition, image))
                    d_losses.append(
                        self.objective.d_loss(d_reals[-1], self.judge(k, condition, fake))
                    )
                self.observe(
                    torch.cat([d.flatten() for d in d_reals]), self.g_step * self.n_critic + i
                )
                d_loss = sum(d_losses)
                self.update(d_loss, opt_d)

        with self.only(opt_g):
            noise = self.generator.split(self.noise(len(real)))
            g_loss = sum(
                self.objective.g_loss(self.judge(k, condition, self.fake(k, condition, z)))
                for k, ((condition, _), z) in enumerate(zip(levels, noise))
            )
            self.update(g_loss, opt_g)

        metrics = {"train/d_loss": d_loss, "train/g_loss": g_loss}
        metrics |= {f"train/d_loss_level{k}": loss for k, loss in enumerate(d_losses)}
        self.end_step(metrics)
