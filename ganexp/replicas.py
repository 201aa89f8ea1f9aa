"""K independent replicas of one experiment, trained together as one vectorised model
(`train.replicas=K`, docs/replicas.md).

Replica k is the run of seed `train.seed + k`: its own initialisation, data, noise and optimizer
state. Its nets' parameters sit at index k of stacked tensors (`Replicated`), which one forward
pass runs through `torch.vmap` over `torch.func.functional_call`; every random draw comes from the
replica's own keyed generator (`Generators`), in the order a separate run draws it. The replicas'
losses are summed, so no replica's gradient depends on another's, and Adam, RMSProp and SGD act
elementwise: one optimizer over stacked parameters is K optimizers.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import partial

import torch
from torch import Tensor, nn
from torch.func import functional_call, stack_module_state

from ganexp.data.stream import step_key

STACKED = "stacked"  # the submodule of a Replicated net that holds its stacked tensors


def _encode(name: str) -> str:
    return name.replace(".", "-")


def _decode(name: str) -> str:
    return name.replace("-", ".")


def _call(net: nn.Module, params: dict, buffers: dict, *args: Tensor) -> Tensor:
    return functional_call(net, (params, buffers), args)


class Replicated(nn.Module):
    """K nets of one architecture as one module: parameter and buffer `name` of replica k is
    `stacked.<name with - for .>[k]`. `forward(*args)` takes every argument with a leading
    replica axis of length K and returns the K outputs stacked the same way. BatchNorm keeps each
    replica's own running statistics."""

    def __init__(self, nets: list[nn.Module]):
        super().__init__()
        if not nets:
            raise ValueError("Replicated needs at least one net")
        self.count = len(nets)
        # kept out of the module tree (plain lists): not parameters, not in the state_dict
        self._template = [copy.deepcopy(nets[0])]  # what `replica(k)` fills in
        self._shell = [copy.deepcopy(nets[0]).to("meta")]  # what the vmapped call runs
        params, buffers = stack_module_state(nets)
        self._params, self._buffers_names = list(params), list(buffers)
        self.stacked = nn.Module()
        for name, value in params.items():
            self.stacked.register_parameter(_encode(name), nn.Parameter(value.detach().clone()))
        for name, value in buffers.items():
            self.stacked.register_buffer(_encode(name), value.clone())

    def tensors(self) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        """The stacked parameters and buffers by their nets' own names."""
        get = lambda n: getattr(self.stacked, _encode(n))  # noqa: E731
        return {n: get(n) for n in self._params}, {n: get(n) for n in self._buffers_names}

    def forward(self, *args: Tensor) -> Tensor:
        shell = self._shell[0]
        shell.train(self.training)
        params, buffers = self.tensors()
        return torch.vmap(partial(_call, shell))(params, buffers, *args)

    def replica(self, k: int) -> nn.Module:
        """Replica k as an ordinary net (a copy: training the copy leaves this module alone)."""
        net = copy.deepcopy(self._template[0]).to(self.stacked_device())
        net.load_state_dict(replica_state(self.state_dict(), k))
        net.train(self.training)
        return net

    def stacked_device(self) -> torch.device:
        return next(self.stacked.parameters()).device

    @torch.no_grad()
    def zero_replica(self, k: int) -> None:
        """Replica k's parameters and buffers set to zero (a diverged replica: finite from now on)."""
        for t in [*self.stacked.parameters(), *self.stacked.buffers()]:
            t[k].zero_()


def replica_state(state: dict[str, Tensor], k: int) -> dict[str, Tensor]:
    """A state dict of modules holding Replicated nets, as the same modules with replica k's nets
    would have it: `generator.stacked.net-0-weight` -> `generator.net.0.weight`, tensor [k];
    entries outside Replicated nets are kept as they are."""
    out = {}
    for key, value in state.items():
        if is_stacked(key):
            head, _, tail = key.rpartition(f"{STACKED}.")
            out[head + _decode(tail)] = value[k]
        elif key.startswith("augment.") and value.dim() > 0:  # ADA's p and sums, one per replica
            out[key] = value[k]
        else:
            out[key] = value
    return out


def is_stacked(key: str) -> bool:
    """Whether state-dict entry `key` belongs to a Replicated net (a tensor with a replica axis)."""
    head, sep, tail = key.rpartition(f"{STACKED}.")
    return bool(sep) and (not head or head.endswith(".")) and "." not in tail


class Generators:
    """One keyed torch.Generator per replica: replica k draws what the run of seed `seed + k`
    draws, in the same order."""

    def __init__(self, seed: int, count: int, device: torch.device | str = "cpu"):
        self.seed = seed
        self.gens = [torch.Generator(device=device) for _ in range(count)]

    def __len__(self) -> int:
        return len(self.gens)

    def __iter__(self) -> Iterator[torch.Generator]:
        return iter(self.gens)

    def seed_step(self, stream: int, rank: int, step: int) -> None:
        for k, gen in enumerate(self.gens):
            gen.manual_seed(step_key(self.seed + k, stream, rank, step))


def seed_step(rng, seed: int, stream: int, rank: int, step: int) -> None:
    """Seed `rng` (a torch.Generator or Generators) for `step` of `stream`."""
    if isinstance(rng, Generators):
        rng.seed_step(stream, rank, step)
    else:
        rng.manual_seed(step_key(seed, stream, rank, step))


def _draw(fn, rng, shape, **kwargs) -> Tensor:
    if isinstance(rng, Generators):
        return torch.stack([fn(*shape, generator=g, **kwargs) for g in rng])
    return fn(*shape, generator=rng, **kwargs)


def randn(rng, *shape: int, **kwargs) -> Tensor:
    """Standard normal draws of `shape` from `rng`; from Generators, one draw of `shape` per
    replica, stacked (K, *shape)."""
    return _draw(torch.randn, rng, shape, **kwargs)


def rand(rng, *shape: int, **kwargs) -> Tensor:
    """Uniform [0, 1) draws of `shape`, as `randn`."""
    return _draw(torch.rand, rng, shape, **kwargs)


def lead_dims(rng) -> int:
    """How many leading axes come before a sample's own: 1 (the batch), or 2 (replica, batch)
    when `rng` is one generator per replica."""
    return 2 if isinstance(rng, Generators) else 1


def summarise(module, evaluation) -> dict:
    """summary.json's replica entries: `replicas`, one row per replica (its seed, its final
    train/ and val/ metrics, its evaluation history, or `diverged`: where it stopped), and
    `replica_stats`: each metric's mean, std (n - 1), min and max over the live replicas."""
    import math

    rows = []
    for k in range(module.replicas):
        row: dict = {"replica": k, "seed": module.seed + k, "diverged": module.diverged.get(k)}
        if k not in module.diverged:
            row |= {key: float(v[k]) for key, v in module.replica_metrics.items()}
            if evaluation is not None and k < len(evaluation.replica_results):
                row |= evaluation.replica_results[k]
        if evaluation is not None and k < len(evaluation.replica_history):
            row["history"] = evaluation.replica_history[k]
        rows.append(row)
    live = [r for r in rows if r["diverged"] is None]
    keys = [k for k in dict.fromkeys(k for r in live for k in r) if "/" in k]
    stats = {}
    for key in keys:
        values = torch.tensor([float(r[key]) for r in live if key in r], dtype=torch.float64)
        values = values[~values.isnan()]
        if len(values):
            spread = float(values.std()) if len(values) > 1 else math.nan
            stats[key] = {
                "mean": float(values.mean()),
                "std": spread,
                "min": float(values.min()),
                "max": float(values.max()),
                "n": len(values),
            }
    return {"replicas": rows, "replica_stats": stats, "replicas_diverged": len(rows) - len(live)}
