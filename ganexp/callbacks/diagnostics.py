"""Training diagnostics (`callbacks=[diagnostics]`): what the theory says to watch, logged as
`train/` metrics at the first generator step and every `every` steps, beside the losses.

- `train/g_grad_norm`: ||grad_theta_G L_G||, the norm of the generator loss's gradient with respect
  to all of G's parameters, on a fresh noise batch at the current D; with `g_objectives` also
  `train/g_grad_norm/<objective>` for other generator losses at the same D (e.g. `gan` and `ns`
  side by side: the saturating loss and the -log D trick). With `g_repeats` > 1 the norm is
  averaged over that many noise batches and `.../std` gives its spread.
- `train/d_grad_norm/<i>`: the norm of the critic loss's gradient with respect to the weight of
  D's i-th layer (0 = the input layer), at the last critic step: how gradients grow or fade
  through depth.
- `train/d_weight_abs_max` and, where weights are clipped to [-c, c], `train/d_weight_at_clip`:
  the fraction of D's weights within 1% of c of the box's faces; a histogram of D's weights goes
  to the logger (W&B, TensorBoard) where `histograms` is on.
- `train/d_input_grad_real|fake|interp` (with `input_gradients`): the mean of ||grad_x D(x)|| on
  real samples, generated ones and random interpolates between them (WGAN-GP's points); and
  `train/d_backprop_norm/<i>`: the mean of ||d D(x) / d h_i|| over real and generated samples,
  h_i the input of D's i-th layer: the gradient as it flows back through depth (layer 0's is the
  input gradient). Where the weight gradients above multiply it by the layer's forward signal,
  which fades or grows with it, this one shows the explosion or the vanishing itself.

Measurements draw their own noise (keyed by seed and step), never the run's, and leave every
buffer (BatchNorm statistics, spectral-norm vectors) as they found it: a run with diagnostics
trains exactly as one without.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytorch_lightning as pl
import torch
from torch import Tensor, nn

from ganexp.data.stream import DIAGNOSTICS_STREAM, step_key
from ganexp.families.modes import to_floats
from ganexp.families.packing import pack

AT_CLIP = 0.99  # a weight with |w| >= 0.99 c counts as at the clip box's face


LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d)


def weight_modules(net: nn.Module) -> list[nn.Module]:
    """`net`'s linear and convolutional layers, input layer first."""
    return [m for m in net.modules() if isinstance(m, LAYERS)]


def weight_layers(net: nn.Module) -> list[nn.Parameter]:
    """The weights of `net`'s linear and convolutional layers, input layer first: the trained
    parameters (under spectral norm the weight before its division, since reading the divided
    weight runs a power iteration)."""
    from torch.nn.utils import parametrize

    return [
        m.parametrizations.weight.original if parametrize.is_parametrized(m, "weight") else m.weight
        for m in weight_modules(net)
    ]


def grad_norm(loss: Tensor, params: Sequence[Tensor]) -> Tensor:
    """||d loss / d params||_2 over all of `params` together; no gradient is left on them."""
    grads = torch.autograd.grad(loss, list(params), allow_unused=True, retain_graph=True)
    return torch.linalg.vector_norm(torch.stack([g.norm() for g in grads if g is not None]))


def clip_fraction(weights: Sequence[Tensor], clip: float) -> float:
    """The fraction of the entries of `weights` with |w| >= AT_CLIP * clip."""
    flat = torch.cat([w.detach().flatten() for w in weights])
    return (flat.abs() >= AT_CLIP * clip).double().mean().item()


@contextmanager
def kept_buffers(*nets: nn.Module) -> Iterator[None]:
    """Run the block, then put back every buffer of `nets` (a forward in train mode moves
    BatchNorm's running statistics and spectral norm's power-iteration vectors)."""
    saved = [{k: b.clone() for k, b in net.named_buffers()} for net in nets]
    try:
        yield
    finally:
        with torch.no_grad():
            for net, buffers in zip(nets, saved):
                for k, b in net.named_buffers():
                    b.copy_(buffers[k])


def backprop_norms(critic, net: nn.Module, x: Tensor) -> list[Tensor]:
    """For each layer i of `net` (input layer first): the mean over samples of
    ||d D(x) / d h_i||, h_i the layer's input; layer 0's is ||grad_x D(x)||. How the critic's
    gradient grows or fades as it flows back through depth."""
    inputs: list[Tensor] = []
    hooks = [
        m.register_forward_pre_hook(lambda m, args: inputs.append(args[0]))
        for m in weight_modules(net)
    ]
    try:
        scores = critic(x.detach().requires_grad_(True))
    finally:
        for hook in hooks:
            hook.remove()
    grads = torch.autograd.grad(scores.sum(), inputs)
    return [g.flatten(1).norm(dim=1).mean() for g in grads]


def input_grad_norm(critic, x: Tensor) -> Tensor:
    """The mean over samples of ||grad_x D(x)||_2."""
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x)
    return grad.flatten(1).norm(dim=1).mean()


class Diagnostics(pl.Callback):
    def __init__(
        self,
        every: int = 1,
        g_objectives: Sequence[str] = (),
        g_repeats: int = 1,
        input_gradients: bool = True,
        histograms: bool = True,
    ):
        self.every, self.g_objectives, self.g_repeats = every, list(g_objectives), g_repeats
        self.input_gradients, self.histograms = input_gradients, histograms
        self.module = None
        self.clip: float | None = None
        self._batch = None
        self._d_norms: dict[str, float] = {}

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        from ganexp.callbacks.weight_clipping import WeightClipping
        from ganexp.losses import make_objective

        self.module = pl_module
        clipping = [cb for cb in trainer.callbacks if isinstance(cb, WeightClipping)]
        self.clip = clipping[0].clip if clipping else None
        self._objectives = {name: make_objective(name).g_loss for name in self.g_objectives}

    def due(self, g_step: int) -> bool:
        """Whether the generator step that ends at `g_step` (counted from 1) is measured: the
        first, then every `every`-th."""
        return g_step == 1 or g_step % self.every == 0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self._batch = batch if self.due(pl_module.g_step + 1) else None

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:
        if self._batch is None or optimizer is not pl_module.discriminator_optimizer():
            return  # the last critic step of a measured generator step overwrites the earlier
        weights = weight_layers(pl_module.discriminator)
        norms = [w.grad.norm() if w.grad is not None else torch.zeros(()) for w in weights]
        self._d_norms = {f"train/d_grad_norm/{i}": n for i, n in enumerate(norms)}

    def train_metrics(self) -> dict[str, float]:
        """Called by the family at the end of every generator step (after its updates)."""
        module = self.module
        if module is None or self._batch is None:
            return {}
        data, labels = (
            self._batch if isinstance(self._batch, (tuple, list)) else (self._batch, None)
        )
        real = data.chunk(module.n_critic)[-1]
        labels = labels.chunk(module.n_critic)[-1] if labels is not None else None
        gen = torch.Generator(device=module.device)
        gen.manual_seed(
            step_key(module.seed, DIAGNOSTICS_STREAM, module.global_rank, module.g_step)
        )
        metrics = dict(self._d_norms)
        with kept_buffers(module.generator, module.discriminator), torch.enable_grad():
            metrics |= self.generator_gradients(module, len(real), labels, gen)
            if self.input_gradients:
                metrics |= self.input_gradient_norms(module, real, labels, gen)
        weights = weight_layers(module.discriminator)
        metrics["train/d_weight_abs_max"] = torch.stack(
            [w.detach().abs().max() for w in weights]
        ).max()
        if self.clip is not None:
            metrics["train/d_weight_at_clip"] = torch.tensor(clip_fraction(weights, self.clip))
        if self.histograms:
            self.log_histogram(module, weights)
        return to_floats(metrics)

    def generator_gradients(self, module, n: int, labels, gen) -> dict[str, Tensor]:
        losses = {"": module.objective.g_loss} | {f"/{k}": f for k, f in self._objectives.items()}
        params = list(module.generator.parameters())
        norms: dict[str, list[Tensor]] = {k: [] for k in losses}
        critic = module.critic(labels)
        for _ in range(self.g_repeats):
            with requires_grad(params):
                scores = critic(pack(module.generate(module.noise(n, gen), labels), module.pack))
                for key, g_loss in losses.items():
                    norms[key].append(grad_norm(g_loss(scores), params))
        out = {}
        for key, values in norms.items():
            stacked = torch.stack(values)
            out[f"train/g_grad_norm{key}"] = stacked.mean()
            if self.g_repeats > 1:
                out[f"train/g_grad_norm{key}/std"] = stacked.std()
        return out

    def input_gradient_norms(self, module, real: Tensor, labels, gen) -> dict[str, Tensor]:
        with torch.no_grad():
            fake = module.generate(module.noise(len(real), gen), labels)
        eps = torch.rand(len(real), *([1] * (real.dim() - 1)), device=real.device, generator=gen)
        mixed = eps * real + (1 - eps) * fake
        critic = module.critic(labels)
        out = {
            f"train/d_input_grad_{name}": input_grad_norm(critic, pack(x, module.pack))
            for name, x in (("real", real), ("fake", fake), ("interp", mixed))
        }
        both = pack(torch.cat([real, fake]), module.pack)
        if labels is not None:
            critic = module.critic(torch.cat([labels, labels]))
        norms = backprop_norms(critic, module.discriminator, both)
        return out | {f"train/d_backprop_norm/{i}": n for i, n in enumerate(norms)}

    def log_histogram(self, module, weights: Sequence[Tensor]) -> None:
        log = getattr(module.logger, "log_histogram", None)  # loggers.SafeLogger's
        if log is not None:
            log(
                "train/d_weights",
                torch.cat([w.detach().flatten().cpu() for w in weights]),
                module.g_step,
            )


@contextmanager
def requires_grad(params: Sequence[Tensor]) -> Iterator[None]:
    """The block with `params` taking gradients (the family freezes the net that is not
    stepping), then as they were."""
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(True)
    try:
        yield
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)
