"""Sampling: from the EMA generator where the callback keeps one, through discriminator rejection
sampling with `sampling.rejection=true` (ganexp/sampling.py), read off D itself or, with
`sampling.calibrate_steps` > 0, off a copy of D calibrated by cross-entropy against the sampling
generator.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn

from ganexp.data.stream import CALIBRATION_STREAM, step_key
from ganexp.families.modes import eval_mode
from ganexp.families.packing import pack
from ganexp.sampling import calibrate, rejection_sample


class RejectionSampling:
    """Part of a family: reads `rejection`, `calibrate_steps`, `real_sampler` (the data, for the
    calibration), `samplers`, `pack`, `seed`, `g_step` and the family's nets and noise."""

    rejection: bool = False  # sample() keeps what D accepts
    calibrate_steps: int = 0  # > 0: what a copy of D calibrated by cross-entropy accepts
    real_sampler = None  # (n, generator) -> n data samples, for the calibration
    # ((g_step, calibrate_steps), the calibrated copy of D) it was made for
    _calibrated: tuple[tuple[int, int], nn.Module] | None = None

    @torch.no_grad()
    def sample(
        self, n: int, generator: torch.Generator | None = None, labels: Tensor | None = None
    ) -> Tensor:
        """`n` generated samples in data space from the sampling generator (the EMA copy where the
        callback is on, else the trained one), in eval mode, then restored. A conditional module
        generates `labels` (default: every class in turn). With `sampling.rejection=true` they are
        the samples D's rejection sampling keeps (ganexp/sampling.py)."""
        if self.replicas > 1:
            raise RuntimeError(
                "a replicated module samples replica by replica: replica_views()[k].sample(n), "
                "or ganexp.load(run, replica=k)"
            )
        if labels is None:
            labels = self.balanced_labels(n)
        gen = self.rng if generator is None else generator
        with self.sampling_generator() as net:
            if not self.rejection:
                return self.generate(self.noise(n, generator), labels, net)
            critic = self.rejection_critic(net)
            with eval_mode(critic):
                return rejection_sample(
                    lambda k: self.generate(self.noise(k, gen), None, net),
                    lambda x: critic(pack(x, self.pack)),
                    n,
                    self.pack,
                    gen,
                )

    def rejection_critic(self, net: nn.Module) -> nn.Module:
        """The discriminator rejection sampling reads: D itself, or with `calibrate_steps` > 0 a
        copy of D fine-tuned by cross-entropy against the sampling generator `net` (ganexp/
        sampling.py), on noise and data drawn for this generator step; made once per step."""
        if not self.calibrate_steps:
            return self.discriminator
        made_for = (self.g_step, self.calibrate_steps)
        if self._calibrated is None or self._calibrated[0] != made_for:
            if self.real_sampler is None:
                raise RuntimeError(
                    "sampling.calibrate_steps needs the data: set module.real_sampler to the "
                    "datamodule's sample (ganexp.load and training do)"
                )
            key = step_key(self.seed, CALIBRATION_STREAM, 0, self.g_step)
            data_gen = torch.Generator().manual_seed(key)
            noise_gen = torch.Generator(device=self.device).manual_seed(key)
            m = self.pack
            kind = {"device": self.device, "dtype": self.dtype}  # float64 under precision=64-true
            real = lambda k: pack(self.real_sampler(k * m, data_gen).to(**kind), m)  # noqa: E731
            fake = lambda k: pack(self.generate(self.noise(k * m, noise_gen), None, net), m)  # noqa: E731
            self._calibrated = (
                made_for,
                calibrate(self.discriminator, real, fake, self.calibrate_steps),
            )
        return self._calibrated[1]

    @contextmanager
    def sampling_generator(self) -> Iterator[nn.Module]:
        """The generator samples come from (the EMA copy where the callback is on, else the
        trained one), in eval mode for the block, then restored."""
        net = self.samplers.get("ema", self.generator)
        with eval_mode(net):
            yield net
