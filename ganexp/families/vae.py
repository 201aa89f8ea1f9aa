"""The VAE (THEORY.md section 6): the explicit-density baseline, trained and evaluated like the GANs.

The encoder is the discriminator's network with 2 * z_dim outputs (mu and log sigma^2), the
decoder is the generator's; both take one step per generator step on the same minibatch, each
with its own optimizer (`optimizer.d` for the encoder, `optimizer.g` for the decoder). Samples,
pictures and evaluations come from the decoder's mean on prior noise, exactly as for a generator.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ganexp.data.stream import step_key
from ganexp.families.base import NOISE_STREAM, AdversarialFamily
from ganexp.losses.vae import elbo, reparameterise


class VAE(AdversarialFamily):
    """Logs `train/elbo` (nats per sample, a lower bound on log p(x)), `train/recon` (the expected
    log-likelihood term) and `train/kl` (KL(q(z|x) || N(0, I)))."""

    def __init__(self, decoder_std: float = 0.1, **kwargs):
        super().__init__(**kwargs)
        self.decoder_std = decoder_std

    @property
    def encoder(self) -> nn.Module:
        return self.discriminator

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
        opt_decoder.zero_grad()
        opt_encoder.zero_grad()
        self.manual_backward(loss)
        opt_decoder.step()
        opt_encoder.step()

        metrics = {"train/elbo": -loss, "train/recon": recon.mean(), "train/kl": kl.mean()}
        self.end_step(metrics)
