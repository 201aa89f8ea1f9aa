"""The VAE (docs/theory.md section 11): the explicit-density baseline, trained and evaluated like the GANs.

The encoder is the discriminator's network with 2 * z_dim outputs (mu and log sigma^2), the
decoder is the generator's; both take one step per generator step on the same minibatch, each
with its own optimizer (`optimizer.d` for the encoder, `optimizer.g` for the decoder). Samples,
pictures and evaluations come from the decoder's mean on prior noise, exactly as for a generator.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ganexp.data.stream import NOISE_STREAM, step_key
from ganexp.errors import ConfigError
from ganexp.families.base import AdversarialFamily
from ganexp.families.modes import eval_mode
from ganexp.losses.vae import elbo, reparameterise


class VAE(AdversarialFamily):
    """Logs `train/elbo` (nats per sample, a lower bound on log p(x)), `train/recon` (the expected
    log-likelihood term) and `train/kl` (KL(q(z|x) || N(0, I)))."""

    # what it plays (ganexp/rules.py): its prior is N(0, I), it has no discriminator to
    # penalise and no labels
    alternates = False
    augments = False
    takes_callbacks = ("ema",)
    priors = ("normal",)

    def __init__(self, decoder_std: float = 0.1, **kwargs):
        super().__init__(**kwargs)
        self.decoder_std = decoder_std

    def check_nets(self, shape: tuple[int, ...]) -> None:
        """The decoder draws the data's shape; the encoder gives mu and log sigma^2 (2 * z_dim)."""
        x = self.check_generator(shape, 2, None)
        with torch.no_grad(), eval_mode(self.encoder):
            out = self.encoder(x)
        if tuple(out.shape) != (2, 2 * self.z_dim):
            raise ConfigError(
                f"model.discriminator (the VAE's encoder): its output for x of shape "
                f"{tuple(x.shape)} has shape {tuple(out.shape)}; it must be (2, 2 * z_dim) = "
                f"{(2, 2 * self.z_dim)}"
            )

    @property
    def encoder(self) -> nn.Module:
        """q(z|x): the model's discriminator net, built with 2 * z_dim outputs (it keeps the
        attribute name `discriminator`, so checkpoints and the shared builders stay one)."""
        return self.discriminator

    @property
    def decoder(self) -> nn.Module:
        """The mean of p(x|z): the model's generator net."""
        return self.generator

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """mu and log sigma^2 of q(z|x)."""
        return self.encoder(x).chunk(2, dim=1)

    def training_step(self, batch: Tensor, batch_idx: int) -> None:
        opt_decoder, opt_encoder = self.optimizers()
        x = batch.contiguous(memory_format=torch.channels_last) if self.channels_last else batch
        self.rng.manual_seed(step_key(self.seed, NOISE_STREAM, self.global_rank, self.g_step))
        mu, log_var = self.encode(x)
        eps = torch.randn(mu.shape, device=mu.device, dtype=mu.dtype, generator=self.rng)
        bound, recon, kl = elbo(
            x, self.generator(reparameterise(mu, log_var, eps)), mu, log_var, self.decoder_std
        )
        loss = -bound.mean()
        self.update(loss, opt_decoder, opt_encoder)  # one bound, both networks

        metrics = {"train/elbo": -loss, "train/recon": recon.mean(), "train/kl": kl.mean()}
        self.end_step(metrics)
