"""The replica axis (`train.replicas` = K > 1, ganexp/replicas.py): the nets are `Replicated`,
every batch and loss carries a leading axis of K, and replica k is the run of seed `seed + k`.

The game is written once for both: `per_replica` maps a function over the axis (vmap), `summed`
is what one backward descends (the live replicas' losses), and a replica whose numbers turn
non-finite is recorded and dropped alone (`split_replicas`, `drop_non_finite_replicas`).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ganexp.divergence import Diverged, first_non_finite
from ganexp.replicas import is_stacked, replica_state


class ReplicaAxis:
    """Part of a family: reads `replicas`, `diverged`, `replica_metrics`, `_views`, the nets, the
    samplers and the trainer's optimizers."""

    replicas: int = 1

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

    def replica_views(self) -> list:
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
