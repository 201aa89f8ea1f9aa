"""The alternating game of Algorithm 1 (docs/theory.md section 3), shared by every adversarial family.

Per generator step: `n_critic` discriminator steps, each on its own fresh real minibatch and fresh
noise with the fake detached, then one generator step on fresh noise. `toggle_optimizer` freezes
the network that is not stepping, so the generator's backward leaves no gradient in D. Real and
fake batches go through D in separate forward passes (BatchNorm never mixes them).

PacGAN packing (`pack` = m > 1, Lin et al. 2018): D judges m samples at once. Every minibatch
holds m * batch_size samples; `pack` joins each run of m consecutive samples along the feature (or
channel) axis, so a real pack holds only real samples and a fake pack only generated ones. Labels
are packed alongside, and penalties see packs (the gradient penalty interpolates whole packs).

Conditional (`num_classes` set): batches are (samples, labels); each critic step generates fakes
for its real minibatch's labels and D judges both with those labels, and the generator's step
draws its labels from the last minibatch, so fakes follow the data's class frequencies.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from torch import Tensor, nn

from ganexp.callbacks.penalty import CriticPenalty
from ganexp.data.stream import CALIBRATION_STREAM, NOISE_STREAM, step_key
from ganexp.divergence import Diverged, first_non_finite, first_non_finite_tensor
from ganexp.errors import ConfigError
from ganexp.losses import Objective
from ganexp.replicas import Generators, is_stacked, rand, randn, replica_state, seed_step
from ganexp.sampling import calibrate, rejection_sample


def pack(x: Tensor, m: int, lead: int = 1) -> Tensor:
    """Runs of `m` consecutive samples as one: (n, c, ...) -> (n / m, m * c, ...), labels
    (n,) -> (n / m, m). `m` = 1 returns `x` itself. `lead` = 2: K replicas' batches (K, n, ...),
    each packed on its own."""
    if m == 1:
        return x
    head = x.shape[: lead - 1]
    if x.dim() == lead:
        return x.view(*head, -1, m)
    n, c = x.shape[lead - 1], x.shape[lead]
    return x.reshape(*head, n // m, m * c, *x.shape[lead + 1 :])


@contextmanager
def eval_mode(*nets: nn.Module) -> Iterator[None]:
    """`nets` in eval mode for the block (no BatchNorm statistics or power iterations change)."""
    modes = [net.training for net in nets]
    for net in nets:
        net.eval()
    try:
        yield
    finally:
        for net, mode in zip(nets, modes):
            net.train(mode)


def to_floats(metrics: dict[str, Tensor]) -> dict[str, float]:
    """Scalar tensors as Python floats, copied to the host together (one sync, not one per key)."""
    if not metrics:
        return {}
    values = torch.stack([v.detach().double() for v in metrics.values()]).tolist()
    return dict(zip(metrics, values))


class AdversarialFamily(pl.LightningModule):
    """Generator and discriminator trained by manual optimization; subclasses choose what to log."""

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        objective: Objective,
        n_critic: int,
        z_dim: int,
        optimizer: Any,
        prior: str = "normal",
        seed: int = 0,
        lr_schedule: str = "constant",
        g_warmup: int = 0,
        g_steps: int = 1,
        channels_last: bool = False,
        num_classes: int | None = None,
        pack: int = 1,
        rejection: bool = False,
        calibrate_steps: int = 0,
        freeze_generator: bool = False,
        run_config: dict | None = None,
        replicas: int = 1,
        views: list[AdversarialFamily] | None = None,
    ):
        super().__init__()
        self.automatic_optimization = False
        self.generator, self.discriminator = generator, discriminator
        self.objective = objective
        self.n_critic, self.z_dim, self.prior, self.seed = n_critic, z_dim, prior, seed
        self.channels_last, self.num_classes, self.pack = channels_last, num_classes, pack
        self.rejection = rejection  # sample() keeps what D accepts (ganexp/sampling.py)
        self.calibrate_steps = calibrate_steps  # > 0: what a copy of D calibrated by CE accepts
        self.real_sampler = None  # (n, generator) -> n data samples, for the calibration
        # ((g_step, calibrate_steps), the calibrated copy of D) it was made for
        self._calibrated: tuple[tuple[int, int], nn.Module] | None = None
        self.lr_schedule, self.g_warmup, self.budget = lr_schedule, g_warmup, g_steps
        self.freeze_generator = freeze_generator  # G never steps: D alone trains (ganexp.probe)
        self.optimizer_cfg, self.run_config = optimizer, run_config
        self.g_step = 0
        self.resumed_from = 0  # g_step at the start of this fit (0 unless resumed)
        self.stopped_by: str | None = None  # the signal that stopped the run (callbacks/preemption)
        self.stopped_early: str | None = None  # why early stopping ended the run (callbacks/best)
        self.overrides: list[str] = []  # the command-line overrides, so `resume=` can recompose
        self.rng: torch.Generator | None = None
        self.last_metrics: dict[str, Tensor] = {}  # this step's train/ metrics, without a sync
        # a generator that samples instead of the trained one (the EMA callback puts its copy here;
        # a dict, so it is not a submodule of this module and not in its state_dict)
        self.samplers: dict[str, nn.Module] = {}
        # train.replicas = K > 1: the nets are Replicated, replica k is the run of seed + k;
        # `views` are K ordinary modules that replica_views() fills with each replica's weights
        self.replicas, self._views = replicas, views or []
        self.lead = 2 if replicas > 1 else 1  # axes before a sample's own: (replica,) batch
        self.diverged: dict[int, dict] = {}  # replica -> its Diverged record
        self.replica_metrics: dict[str, Tensor] = {}  # this step's train/ metrics, shape (K,)

    # -- noise -------------------------------------------------------------------------------
    def noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """z ~ p_z (standard normal, or uniform on [-1, 1]) on the module's device."""
        gen = self.rng if generator is None else generator
        kind = {"device": self.device, "dtype": self.dtype}  # float64 under precision=64-true
        if self.prior == "uniform":
            return rand(gen, n, self.z_dim, **kind) * 2 - 1
        return randn(gen, n, self.z_dim, **kind)

    def balanced_labels(self, n: int) -> Tensor | None:
        """0, 1, ..., K-1, 0, 1, ... (n labels) for a conditional module; None otherwise."""
        if self.num_classes is None:
            return None
        return torch.arange(n, device=self.device) % self.num_classes

    def generate(self, z: Tensor, labels: Tensor | None, net: nn.Module | None = None) -> Tensor:
        """G(z), or G(z, y) for a conditional module."""
        net = self.generator if net is None else net
        return net(z) if labels is None else net(z, labels)

    def critic(self, labels: Tensor | None):
        """D as a function of (packed) x alone, labels bound for a conditional module: what the
        objective and the penalties see. `labels` are one per sample, packed here."""
        if labels is None:
            return self.discriminator
        labels = pack(labels, self.pack, self.lead)
        return lambda x: self.discriminator(x, labels)

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
            real = lambda k: pack(self.real_sampler(k * m, data_gen).to(self.device), m)  # noqa: E731
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

    # -- start-up checks -------------------------------------------------------------------
    def check_nets(self, shape: tuple[int, ...]) -> None:
        """G and D keep their contract (contracts.Generator, contracts.Discriminator) on a tiny
        batch, in eval mode and with their own noise: nothing of the run's state changes."""
        if self.replicas > 1:  # every replica has the same architecture
            return self.replica_views()[0].check_nets(shape)
        n, labels = 2 * self.pack, self.balanced_labels(2 * self.pack)
        x = self.check_generator(shape, n, labels)
        with torch.no_grad(), eval_mode(self.discriminator):
            scores = self.critic(labels)(pack(x, self.pack))
        if tuple(scores.shape) not in ((n // self.pack,), (n // self.pack, 1)):
            raise ConfigError(
                f"model.discriminator: D(x) for x of shape {tuple(pack(x, self.pack).shape)} has "
                f"shape {tuple(scores.shape)}; it must give one score per "
                f"{'pack' if self.pack > 1 else 'sample'}: {(n // self.pack,)} or "
                f"{(n // self.pack, 1)}"
            )

    def check_generator(self, shape: tuple[int, ...], n: int, labels: Tensor | None) -> Tensor:
        """G's output for `n` noise vectors has the data's shape; returns it."""
        z = torch.randn(n, self.z_dim, generator=torch.Generator().manual_seed(0))
        with torch.no_grad(), eval_mode(self.generator):
            x = self.generate(z.to(self.device), labels)
        if tuple(x.shape) != (n, *shape):
            raise ConfigError(
                f"model.generator: G(z) for z of shape {(n, self.z_dim)} has shape "
                f"{tuple(x.shape)}; the data's samples have shape {(n, *shape)}"
            )
        return x

    # -- optimisation ------------------------------------------------------------------------
    def configure_optimizers(self):
        opt_g = instantiate(self.optimizer_cfg.g, params=self.generator.parameters())
        opt_d = instantiate(self.optimizer_cfg.d, params=self.discriminator.parameters())
        if self.lr_schedule == "constant" and not self.g_warmup:
            return opt_g, opt_d
        # factors of the base rates during generator step k (the schedulers step once per g-step;
        # their state is in the checkpoint, so a resumed run continues the same schedule):
        # linear decay 1 - k / g_steps, and G's warm-up (k + 1) / g_warmup until it reaches 1
        decay = lambda k: self.lr_factor(k)  # noqa: E731
        warm = lambda k: self.lr_factor(k) * min(1.0, (k + 1) / max(self.g_warmup, 1))  # noqa: E731
        schedulers = [
            torch.optim.lr_scheduler.LambdaLR(opt_g, warm),
            torch.optim.lr_scheduler.LambdaLR(opt_d, decay),
        ]
        return [opt_g, opt_d], schedulers

    def lr_factor(self, k: int) -> float:
        """The decay of both learning rates during generator step k (1 with a constant rate)."""
        if self.lr_schedule == "constant":
            return 1.0
        return max(0.0, 1.0 - k / self.budget)

    def discriminator_optimizer(self) -> torch.optim.Optimizer:
        """The raw optimizer of the discriminator (for callbacks that hook its steps)."""
        return self.trainer.optimizers[1]

    def schedulers(self) -> list:
        """The learning-rate schedulers (none with train.lr_schedule=constant)."""
        found = self.lr_schedulers()
        return [] if found is None else found if isinstance(found, list) else [found]

    def regularizers(self) -> list[CriticPenalty]:
        """The callbacks that add a term to the critic's loss (gradient penalty, R1, a user's)."""
        return [cb for cb in self.trainer.callbacks if isinstance(cb, CriticPenalty)]

    @contextmanager
    def only(self, optimizer) -> Iterator[None]:
        """Train only `optimizer`'s network in the block (Lightning's toggle_optimizer): the other
        network's parameters take no gradient, so G's backward leaves D untouched."""
        self.toggle_optimizer(optimizer)
        try:
            yield
        finally:
            self.untoggle_optimizer(optimizer)

    def update(self, loss: Tensor, *optimizers) -> None:
        """One update of `optimizers` on `loss`: clear their gradients, backward through Lightning
        (precision, DDP), step. Every family updates its networks through this."""
        for optimizer in optimizers:
            optimizer.zero_grad()
        self.manual_backward(loss)
        for optimizer in optimizers:
            optimizer.step()

    def on_train_start(self) -> None:
        if self.replicas > 1:
            self.rng = Generators(self.seed, self.replicas, self.device)
        else:
            self.rng = torch.Generator(device=self.device)
        self.real_sampler = getattr(self.trainer.datamodule, "sample", None)
        self.resumed_from = self.g_step

    def training_step(self, batch: Tensor | tuple[Tensor, Tensor], batch_idx: int) -> None:
        opt_g, opt_d = self.optimizers()
        data, labels = batch if isinstance(batch, (tuple, list)) else (batch, None)
        if self.channels_last:
            data = data.contiguous(memory_format=torch.channels_last)
        seed_step(self.rng, self.seed, NOISE_STREAM, self.global_rank, self.g_step)
        regularizers = self.regularizers()
        axis = self.lead - 1  # the batch axis (after the replica axis of replicated batches)
        minibatches = data.chunk(self.n_critic, dim=axis)
        label_batches = (
            labels.chunk(self.n_critic, dim=axis)
            if labels is not None
            else [None] * len(minibatches)
        )

        penalties: dict[str, Tensor] = {}  # the last value of each penalty this step
        with self.only(opt_d):
            for i, (real, y) in enumerate(zip(minibatches, label_batches)):
                with torch.no_grad():
                    fake = self.generate(self.noise(real.shape[axis]), y)
                critic = self.critic(y)
                real, fake = pack(real, self.pack, self.lead), pack(fake, self.pack, self.lead)
                d_real, d_fake = critic(real), critic(fake)
                d_loss = self.per_replica(self.objective.d_loss, d_real, d_fake)
                # lazy penalties apply at every `every`-th critic step of the run, `every` x heavier
                due = [r for r in regularizers if r.applies_at(self.g_step * self.n_critic + i)]
                now = {r.name: r.critic_penalty(critic, real, fake, self.rng) for r in due}
                total = sum((r.every * r.weight * now[r.name] for r in due), d_loss)
                self.update(self.summed(total), opt_d)
                penalties |= now

        with self.only(opt_g), torch.set_grad_enabled(not self.freeze_generator):
            fake = self.generate(self.noise(real.shape[axis] * self.pack), y)
            g_loss = self.per_replica(
                self.objective.g_loss, critic(pack(fake, self.pack, self.lead))
            )
            if not self.freeze_generator:
                self.update(self.summed(g_loss), opt_g)

        metrics = {"train/d_loss": total, "train/g_loss": g_loss}
        metrics |= {f"train/{k}": v for k, v in penalties.items()}
        metrics |= self.per_replica(
            self.critic_metrics, d_real.detach(), d_fake.detach(), d_loss.detach()
        )
        self.end_step(metrics)

    # -- replicas ----------------------------------------------------------------------------
    def per_replica(self, fn, *args: Tensor):
        """`fn(*args)`; for replicated tensors, `fn` of each replica's slices, stacked (vmap)."""
        return fn(*args) if self.replicas == 1 else torch.vmap(fn)(*args)

    def summed(self, loss: Tensor) -> Tensor:
        """What one backward descends: the loss itself, or the sum of the live replicas' losses
        (a diverged replica's term is dropped, so its gradient is zero)."""
        if self.replicas == 1:
            return loss
        return torch.where(self.alive(), loss, torch.zeros_like(loss)).sum()

    def alive(self) -> Tensor:
        """Which replicas are still training (bool, shape (K,))."""
        mask = torch.ones(self.replicas, dtype=torch.bool, device=self.device)
        mask[list(self.diverged)] = False
        return mask

    def replica_views(self) -> list[AdversarialFamily]:
        """K ordinary modules, view k holding replica k's current weights (and its EMA
        generator): what evaluation, pictures and rejection sampling read, replica by replica."""
        full = self.state_dict()
        ema = self.samplers.get("ema")
        for k, view in enumerate(self._views):
            view.to(self.device)
            view.load_state_dict(replica_state(full, k))
            view.train(self.training)
            if ema is not None:
                view.samplers["ema"] = ema.replica(k)
            view.g_step, view.real_sampler = self.g_step, self.real_sampler
        return self._views

    @torch.no_grad()
    def drop_replica(self, k: int) -> None:
        """Replica k diverged: its weights, EMA and optimizer state are set to zero, so it stays
        finite and, its loss dropped, never moves again."""
        nets = [self.generator, self.discriminator, *self.samplers.values()]
        for net in nets:
            net.zero_replica(k)
        for optimizer in self.trainer.optimizers:
            for state in optimizer.state.values():
                for value in state.values():
                    if torch.is_tensor(value) and value.dim() > 0:
                        value[k].zero_()

    def end_step(self, metrics: dict[str, Tensor]) -> None:
        """After a whole generator step: count it, step the schedulers, keep its metrics.

        A non-finite metric (loss, penalty, estimate) raises `Diverged` here, before any callback
        sees the step: no evaluation, picture or checkpoint is made from it."""
        self.g_step += 1
        for scheduler in self.schedulers():
            scheduler.step()
        for cb in self.trainer.callbacks:  # callbacks that report a train/ value (noise level ...)
            if hasattr(cb, "train_metrics"):
                metrics |= {k: torch.tensor(v) for k, v in cb.train_metrics().items()}
        self.last_metrics = {k: v.detach() for k, v in metrics.items()}
        if self.replicas > 1:
            self.last_metrics = self.split_replicas(self.last_metrics)
        bad = first_non_finite(self.last_metrics)
        if bad is not None:
            raise Diverged(self.g_step, *bad)
        if self.logger is not None and self.g_step % self.trainer.log_every_n_steps == 0:
            # straight to the logger: Lightning's self.log costs about 0.3 ms per key and step
            values = to_floats(self.last_metrics)  # a replicated run: the live replicas' mean
            for key, per in self.replica_metrics.items():  # ... and each replica's own value
                values |= {f"{key}/replica_{k}": v for k, v in enumerate(per.tolist())}
            self.logger.log_metrics(values, step=self.g_step)
            self.logger.save()

    def drop_non_finite_replicas(self, state: dict[str, Tensor]) -> None:
        """Drop every replica that holds a non-finite weight or buffer in `state` (recorded as
        diverged at this step, with the tensor's name)."""
        for name, value in state.items():
            if is_stacked(name) and value.is_floating_point():
                broken = (~torch.isfinite(value.flatten(1))).any(1).nonzero().flatten().tolist()
                for k in broken:
                    if k not in self.diverged:
                        self.diverged[k] = Diverged(self.g_step, name, float("nan")).record()
                    self.drop_replica(k)
        if len(self.diverged) == self.replicas:
            raise Diverged(self.g_step, "weights of every replica", float("nan"))

    def split_replicas(self, metrics: dict[str, Tensor]) -> dict[str, Tensor]:
        """Keep each replica's values (`replica_metrics`, shape (K,)); a replica with a non-finite
        one is recorded as diverged and dropped. Returns the live replicas' means (what callbacks
        and the progress line read); raises `Diverged` once every replica has diverged."""
        per = {k: v.expand(self.replicas) if v.dim() == 0 else v for k, v in metrics.items()}
        stacked = torch.stack([v.float() for v in per.values()])  # (metrics, K)
        finite = torch.isfinite(stacked).all(0).tolist()
        for k, ok in enumerate(finite):
            if not ok:
                if k not in self.diverged:
                    key, value = first_non_finite({n: v[k] for n, v in per.items()})
                    self.diverged[k] = Diverged(self.g_step, key, value).record()
                self.drop_replica(k)
        self.replica_metrics = per
        alive = self.alive()
        if not bool(alive.any()):
            first = min(self.diverged, key=lambda k: self.diverged[k]["g_step"])
            record = self.diverged[first]
            raise Diverged(
                record["g_step"], f"{record['key']} (every replica)", float(record["value"])
            )
        return {k: v[alive].mean() for k, v in per.items()}

    def critic_metrics(self, d_real: Tensor, d_fake: Tensor, d_loss: Tensor) -> dict[str, Tensor]:
        """What the last critic step says about the two distributions (family-specific)."""
        return {}

    # -- checkpoints -------------------------------------------------------------------------
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        # finite losses can still leave non-finite weights after the step's update: such a
        # checkpoint is never written (the last finite one stays); a replica with such weights
        # is dropped instead (its zeroed weights are what the checkpoint holds)
        if self.replicas > 1:
            self.drop_non_finite_replicas(checkpoint["state_dict"])
        bad = first_non_finite_tensor(checkpoint["state_dict"])
        if bad is not None:
            raise Diverged(self.g_step, bad, float("nan"))
        checkpoint["ganexp"] = {
            "g_step": self.g_step,
            "num_classes": self.num_classes,
            "config": self.run_config,
            "overrides": self.overrides,
            "diverged_replicas": self.diverged,
        }

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        self.g_step = checkpoint["ganexp"]["g_step"]
        diverged = checkpoint["ganexp"].get("diverged_replicas", {})
        self.diverged = {int(k): record for k, record in diverged.items()}
