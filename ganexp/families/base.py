"""The alternating game of Algorithm 1 (docs/theory.md section 3), shared by every adversarial family.

Per generator step: `n_critic` discriminator steps, each on its own fresh real minibatch and fresh
noise with the fake detached, then one generator step on fresh noise. `toggle_optimizer` freezes
the network that is not stepping, so the generator's backward leaves no gradient in D. The real
and the fake batch go through D in one forward pass where D judges each sample on its own, and in
two where it mixes a batch's samples (BatchNorm never mixes real and fake: `judge`).

The game is written once; its parts live beside it, each in its own file: packing (packing.py),
conditioning (conditioning.py), sampling with rejection and calibration (rejection.py), the replica
axis of `train.replicas` (replica_axis.py), top-k generator updates (top_k.py) and the nets'
start-up contract (contract.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytorch_lightning as pl
import torch
from hydra.utils import instantiate
from torch import Tensor, nn

from ganexp.data.stream import NOISE_STREAM
from ganexp.divergence import Diverged, first_non_finite, first_non_finite_tensor
from ganexp.families.conditioning import Conditioning, conditioned
from ganexp.families.contract import NetContract
from ganexp.families.modes import eval_mode, to_floats
from ganexp.families.packing import pack
from ganexp.families.rejection import RejectionSampling
from ganexp.families.replica_axis import ReplicaAxis
from ganexp.families.top_k import kept_share, top_k
from ganexp.losses import Objective
from ganexp.replicas import Generators, rand, randn, seed_step


def mixes_samples(net: nn.Module) -> bool:
    """Whether `net` scores a sample from its whole batch in training: it holds BatchNorm, or a
    module of it declares `mixes_samples = True` (minibatch statistics of its own)."""
    return any(
        isinstance(m, nn.modules.batchnorm._BatchNorm) or getattr(m, "mixes_samples", False)
        for m in net.modules()
    )


class AdversarialFamily(
    Conditioning, RejectionSampling, ReplicaAxis, NetContract, pl.LightningModule
):
    """Generator and discriminator trained by manual optimization; subclasses choose what to log.

    What a family can play is declared here, read by the start-up rules (ganexp/rules.py) without
    building anything: `alternates` (one G and one D alternate: packing, conditioning, rejection
    sampling and a frozen G apply), `augments` (D's inputs can be augmented),
    `supports_replicas` (its training step is vectorised; a
    subclass with its own `training_step` says so itself), and, where it restricts them, the
    `objectives`, `takes_callbacks` and `priors` it takes."""

    alternates: bool = True
    supports_replicas: bool = True
    augments: bool = True  # its D's inputs can be augmented (augment=...)
    objectives: tuple[str, ...] | None = None  # None: any
    takes_callbacks: tuple[str, ...] | None = None
    priors: tuple[str, ...] = ("normal", "uniform")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "training_step" in vars(cls) and "supports_replicas" not in vars(cls):
            cls.supports_replicas = False  # its own steps are not vectorised unless it says so

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        objective: Objective,
        plan,
        z_dim: int,
        num_classes: int | None = None,
        views: list | None = None,
    ):
        """The nets, the objective and the run's `plan` (ganexp/plan.py); `views` are the K
        ordinary modules of a replicated run (`replica_views` fills them with each replica)."""
        super().__init__()
        run = plan.run
        self.automatic_optimization = False
        if run.model.conditional and not views:  # a replicated module's nets are its views'
            generator, discriminator = conditioned(
                generator, discriminator, num_classes, run.model.embed_dim
            )
        self.generator, self.discriminator, self.objective = generator, discriminator, objective
        self.n_critic, self.z_dim, self.prior = run.loss.n_critic, z_dim, run.model.prior
        self.seed, self.channels_last, self.pack = run.train.seed, run.channels_last, run.model.pack
        self.num_classes = num_classes if run.model.conditional else None
        self.rejection, self.calibrate_steps = run.sampling.rejection, run.sampling.calibrate_steps
        self.lr_schedule, self.g_warmup = run.train.lr_schedule, run.train.g_warmup
        self.budget, self.freeze_generator = run.train.g_steps, run.train.freeze_generator
        self.top_k, self.top_k_decay = run.train.top_k, run.train.top_k_decay
        self.optimizer_specs = {net: getattr(run.optimizer, net).spec() for net in ("g", "d")}
        self.run_config = plan.config
        self.g_step = 0
        self.resumed_from = 0  # g_step at the start of this fit (0 unless resumed)
        self.stopped_by: str | None = None  # the signal that stopped the run (callbacks/preemption)
        self.stopped_early: str | None = None  # why early stopping ended the run (callbacks/best)
        self.overrides: list[str] = []  # the command-line overrides, so `resume=` can recompose
        self.rng: torch.Generator | Generators | None = None
        self.last_metrics: dict[str, Tensor] = {}  # this step's train/ metrics, without a sync
        # a generator that samples instead of the trained one (the EMA callback puts its copy here;
        # a dict, so it is not a submodule of this module and not in its state_dict)
        self.samplers: dict[str, nn.Module] = {}
        self.replicas, self._views = run.train.replicas, views or []
        # D's inputs augmented in training (augment=diffaugment, ada): a submodule, so ADA's p is
        # in checkpoints; None with augment=none
        self.augment = (
            instantiate(run.augment.spec(), replicas=self.replicas) if run.augment.target else None
        )
        self.lead = 2 if self.replicas > 1 else 1  # axes before a sample's own: (replica,) batch
        self.diverged: dict[int, dict] = {}  # replica -> its Diverged record
        self.replica_metrics: dict[str, Tensor] = {}  # this step's train/ metrics, shape (K,)
        self._mixes: bool | None = None  # whether D mixes a batch's samples (`mixes_samples`)

    # -- noise -------------------------------------------------------------------------------
    def noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """z ~ p_z (standard normal, or uniform on [-1, 1]) on the module's device."""
        gen = self.rng if generator is None else generator
        kind = {"device": self.device, "dtype": self.dtype}  # float64 under precision=64-true
        if self.prior == "uniform":
            return rand(gen, n, self.z_dim, **kind) * 2 - 1
        return randn(gen, n, self.z_dim, **kind)

    # -- optimisation ------------------------------------------------------------------------
    def configure_optimizers(self):
        opt_g = instantiate(self.optimizer_specs["g"], params=self.generator.parameters())
        opt_d = instantiate(self.optimizer_specs["d"], params=self.discriminator.parameters())
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

    def regularizers(self) -> list:
        """The callbacks that add a term to the critic's loss (gradient penalty, R1, a user's):
        those with a `critic_penalty` (contracts.CriticPenalty)."""
        return [cb for cb in self.trainer.callbacks if hasattr(cb, "critic_penalty")]

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
                critic, step = self.critic(y), self.g_step * self.n_critic + i
                real, fake = self.augmented(real), self.augmented(fake)
                real, fake = pack(real, self.pack, self.lead), pack(fake, self.pack, self.lead)
                d_real, d_fake = self.judge(real, fake, y)
                self.observe(d_real, step)
                d_loss = self.per_replica(self.objective.d_loss, d_real, d_fake)
                # lazy penalties apply at every `every`-th critic step of the run, `every` x heavier
                due = [r for r in regularizers if r.applies_at(step)]
                now = {r.name: self.penalty(r, critic, real, fake, d_real, d_fake) for r in due}
                total = sum((r.every * r.weight * now[r.name] for r in due), d_loss)
                self.update(self.summed(total), opt_d)
                penalties |= now

        with self.only(opt_g), torch.set_grad_enabled(not self.freeze_generator):
            fake = self.augmented(self.generate(self.noise(real.shape[axis] * self.pack), y))
            g_loss = self.generator_loss(critic, fake)
            if not self.freeze_generator:
                self.update(self.summed(g_loss), opt_g)

        metrics = {"train/d_loss": total, "train/g_loss": g_loss}
        metrics |= {f"train/{k}": v for k, v in penalties.items()}
        metrics |= self.per_replica(
            self.critic_metrics, d_real.detach(), d_fake.detach(), d_loss.detach()
        )
        self.end_step(metrics)

    def generator_loss(self, critic, fake: Tensor) -> Tensor:
        """G's loss on D's scores of its (packed) fakes: of every pack, or of the share that D
        rates most real under top-k updates (top_k.py)."""
        scores = critic(pack(fake, self.pack, self.lead))
        share = kept_share(self.g_step, self.top_k, self.top_k_decay)
        return self.per_replica(self.objective.g_loss, top_k(scores, share, self.lead - 1))

    def judge(self, real: Tensor, fake: Tensor, labels: Tensor | None) -> tuple[Tensor, Tensor]:
        """D's scores of the (packed) real and fake batches: in one forward pass of both where D
        judges each sample on its own, in two where it mixes a batch's samples (BatchNorm, or a
        net that declares `mixes_samples`), so that real and fake never meet there. One pass runs
        the same arithmetic in half the calls, with larger products."""
        if self.mixes_samples:
            critic = self.critic(labels)
            return critic(real), critic(fake)
        axis = self.lead - 1
        both = self.critic(None if labels is None else torch.cat([labels, labels], axis))
        scores = both(torch.cat([real, fake], axis))
        return scores.split([real.shape[axis], fake.shape[axis]], axis)

    @property
    def mixes_samples(self) -> bool:
        """Whether D's score of a sample depends on the rest of its batch (read once)."""
        if self._mixes is None:
            net = self._views[0].discriminator if self._views else self.discriminator
            self._mixes = mixes_samples(net)
        return self._mixes

    def augmented(self, x: Tensor, groups: int = 1) -> Tensor:
        """`x` as D sees it in training: augmented (augment.py), with the step's keyed noise."""
        return x if self.augment is None else self.augment(x, self.rng, groups)

    def observe(self, d_real: Tensor, critic_step: int) -> None:
        """ADA's controller reads D's scores of the reals (every critic step)."""
        if hasattr(self.augment, "observe"):
            reduce = lambda t: self.trainer.strategy.reduce(t, reduce_op="mean")  # noqa: E731
            ranks = self.trainer.world_size
            scores = d_real - self.objective.real_above  # r_t = E[sign(D(x) - threshold)]
            self.augment.observe(scores, critic_step, self.lead, reduce, ranks)

    def penalty(self, regularizer, critic, real, fake, d_real, d_fake) -> Tensor:
        """One critic penalty's value; one that `reads_scores` (LeCam) also gets D's outputs."""
        if getattr(regularizer, "reads_scores", False):
            return regularizer.critic_penalty(critic, real, fake, self.rng, (d_real, d_fake))
        return regularizer.critic_penalty(critic, real, fake, self.rng)

    @torch.no_grad()
    def real_accuracy(self, x: Tensor, labels: Tensor | None = None) -> float | None:
        """The fraction of real samples `x` that D (in eval mode) scores above the objective's
        decision threshold, `Objective.real_above` (None for a family without one D(x))."""
        if not self.alternates or self.objective is None:
            return None
        m = self.pack
        n = len(x) // m * m
        x = x[:n].to(self.device, self.dtype)
        labels = None if labels is None or self.num_classes is None else labels[:n].to(self.device)
        with eval_mode(self.discriminator):
            scores = self.critic(labels)(pack(x, m)).flatten()
        return float((scores > self.objective.real_above).double().mean())

    def end_step(self, metrics: dict[str, Tensor]) -> None:
        """After a whole generator step: count it, step the schedulers, keep its metrics.

        A non-finite metric (loss, penalty, estimate) raises `Diverged` here, before any callback
        sees the step: no evaluation, picture or checkpoint is made from it."""
        self.g_step += 1
        for scheduler in self.schedulers():
            scheduler.step()
        for cb in (*self.trainer.callbacks, self.augment):  # those with train/ values (noise ...)
            if hasattr(cb, "train_metrics"):
                metrics |= {k: torch.as_tensor(v) for k, v in cb.train_metrics().items()}
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
