"""Differentiable augmentation of D's inputs for small data (`augment=diffaugment` or `augment=ada`).

DiffAugment (Zhao et al. 2020) draws a transformation T for every sample D judges: of the reals
and the fakes in D's step, and of the fakes in G's step, with G's gradient flowing through T, so D
never sees an image that is not augmented and G is not asked to produce augmented images. ADA
(Karras et al. 2020) applies each op with a probability p that a controller moves towards a target
of r_t = E[sign D(real)], the share of reals D scores as real: p rises while D is too sure of the
training images and falls when it is not.

The ops are DiffAugment's own, for images in [-1, 1]: `color` (a brightness shift, a saturation
and a contrast factor), `translation` (a whole-pixel shift of up to `translation` of the side, the
border filled with 0) and `cutout` (a square of `cutout` of the side set to 0); `flip` (a mirror
image, half of the time) is there for data whose meaning a mirror keeps, and is not in the default
policy. Every draw comes from the run's keyed generator of the step, so a resumed run, a DDP run
and `train.replicas` draw exactly what the unbroken, separate runs would.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ganexp.replicas import rand


class DiffAugment(nn.Module):
    """T(x) for x of shape (n, c, h, w), or (K, n, c, h, w) with K replicas' generators.

    `groups` > 1: each sample holds that many images side by side in its channels (LAPGAN's
    condition and image), which get one transformation and their own colour statistics.
    `replicas` is the run's K (ADA keeps one p per replica; DiffAugment needs nothing per replica:
    its draws come from each replica's own generator)."""

    def __init__(
        self,
        policy: list[str] = ("color", "translation", "cutout"),
        brightness: float = 0.5,
        saturation: float = 1.0,
        contrast: float = 0.5,
        translation: float = 0.125,
        cutout: float = 0.5,
        replicas: int = 1,
    ):
        super().__init__()
        self.policy = tuple(policy)
        self.brightness, self.saturation, self.contrast = brightness, saturation, contrast
        self.translation, self.cutout = translation, cutout

    def probability(self) -> Tensor | None:
        """The chance each op is applied to a sample (None: always)."""
        return None

    def forward(self, x: Tensor, rng, groups: int = 1) -> Tensor:
        lead = x.shape[:-3]  # (n,) or (K, n)
        c, h, w = x.shape[-3:]
        flat = x.reshape(-1, c, h, w)

        def draw(*shape: int) -> Tensor:  # one draw per sample: (K * n, *shape)
            return rand(rng, lead[-1], *shape, device=x.device, dtype=x.dtype).reshape(-1, *shape)

        p = self.probability()
        for op in self.policy:
            if p is None:  # always
                flat = getattr(self, f"apply_{op}")(flat, draw, groups)
            else:
                applied = draw(1, 1, 1) < _per_sample(p, lead)
                flat = torch.where(applied, getattr(self, f"apply_{op}")(flat, draw, groups), flat)
        return flat.reshape(*lead, c, h, w)

    # -- the ops: each takes the flat batch (N, c, h, w) and `draw`, which gives per-sample U[0, 1)
    def apply_color(self, x: Tensor, draw, groups: int) -> Tensor:
        n, c, h, w = x.shape
        x = x + (draw(1, 1, 1) * 2 - 1) * self.brightness
        parts = x.reshape(n, groups, c // groups, h, w)
        mean = parts.mean(dim=2, keepdim=True)  # over each image's channels
        factor = 1 + (draw(1, 1, 1, 1) * 2 - 1) * self.saturation
        parts = (parts - mean) * factor + mean
        mean = parts.mean(dim=(2, 3, 4), keepdim=True)  # over each image
        factor = 1 + (draw(1, 1, 1, 1) * 2 - 1) * self.contrast
        return ((parts - mean) * factor + mean).reshape(n, c, h, w)

    def apply_translation(self, x: Tensor, draw, groups: int) -> Tensor:
        n, c, h, w = x.shape
        shift = shifts(draw(2), self.translation, h, w)  # (n, 2): rows, columns
        return translate(x, shift)

    def apply_cutout(self, x: Tensor, draw, groups: int) -> Tensor:
        n, c, h, w = x.shape
        size = (int(h * self.cutout + 0.5), int(w * self.cutout + 0.5))
        # the square's centre anywhere in the image (it may hang over an edge)
        centre = (draw(2) * torch.tensor([h, w], device=x.device)).long()
        return cut_out(x, centre, size)

    def apply_flip(self, x: Tensor, draw, groups: int) -> Tensor:
        return torch.where(draw(1, 1, 1) < 0.5, x.flip(-1), x)


def _per_sample(p: Tensor, lead: tuple[int, ...]) -> Tensor:
    """A probability per replica (K,) as one per sample (K * n, 1, 1, 1); a scalar as it is."""
    if p.dim() == 0:
        return p
    return p[:, None].expand(*lead).reshape(-1, 1, 1, 1)


def shifts(u: Tensor, ratio: float, h: int, w: int) -> Tensor:
    """Whole-pixel shifts in [-s, s] per axis, s = round(ratio * side), from uniform `u` (n, 2)."""
    s = torch.tensor([int(h * ratio + 0.5), int(w * ratio + 0.5)], device=u.device)
    return (u * (2 * s + 1)).long().clamp(max=2 * s) - s


def translate(x: Tensor, shift: Tensor) -> Tensor:
    """Each image moved by its (rows, columns) `shift`, what leaves the frame dropped and the
    uncovered border set to 0: out[i, :, y, x] = x[i, :, y - dy, x - dx]."""
    n, c, h, w = x.shape
    rows = torch.arange(h, device=x.device)[None, :] - shift[:, :1]  # (n, h)
    cols = torch.arange(w, device=x.device)[None, :] - shift[:, 1:]  # (n, w)
    inside = ((rows >= 0) & (rows < h))[:, :, None] & ((cols >= 0) & (cols < w))[:, None, :]
    batch = torch.arange(n, device=x.device)[:, None, None]
    moved = x[batch, :, rows.clamp(0, h - 1)[:, :, None], cols.clamp(0, w - 1)[:, None, :]]
    return moved.permute(0, 3, 1, 2) * inside[:, None].to(x.dtype)


def cut_out(x: Tensor, centre: Tensor, size: tuple[int, int]) -> Tensor:
    """Each image with a `size` rectangle around its `centre` (rows, columns) set to 0."""
    n, c, h, w = x.shape
    top = centre[:, :1] - size[0] // 2
    left = centre[:, 1:] - size[1] // 2
    rows = torch.arange(h, device=x.device)[None, :]
    cols = torch.arange(w, device=x.device)[None, :]
    in_rows = (rows >= top) & (rows < top + size[0])  # (n, h)
    in_cols = (cols >= left) & (cols < left + size[1])  # (n, w)
    hole = in_rows[:, :, None] & in_cols[:, None, :]
    return x * (~hole)[:, None].to(x.dtype)


class AdaptiveAugment(DiffAugment):
    """ADA's controller around the same ops: every `interval` critic steps of the run, p moves by
    sign(r_t - target_rt) * (images D judged in those steps) / `speed`, within [0, 1], where r_t is
    the mean of sign D(real) over them (over every DDP rank). p starts at 0. p and the running sum
    are buffers, so they are in checkpoints and a resumed run continues the same schedule; with K
    replicas each has its own p."""

    def __init__(
        self,
        policy: list[str] = ("color", "translation", "cutout"),
        brightness: float = 0.5,
        saturation: float = 1.0,
        contrast: float = 0.5,
        translation: float = 0.125,
        cutout: float = 0.5,
        target_rt: float = 0.6,
        speed: int = 500_000,
        interval: int = 4,
        replicas: int = 1,
    ):  # every key spelled out, so that the schema can name a key it does not take
        super().__init__(policy, brightness, saturation, contrast, translation, cutout)
        self.target, self.speed, self.interval = target_rt, speed, interval
        shape = (replicas,) if replicas > 1 else ()
        self.register_buffer("p", torch.zeros(shape, dtype=torch.float64))
        self.register_buffer("r_t", torch.zeros(shape, dtype=torch.float64))  # the last one
        self.register_buffer("signs", torch.zeros(shape, dtype=torch.float64))  # sum since then

    def probability(self) -> Tensor:
        return self.p

    @torch.no_grad()
    def observe(
        self, d_real: Tensor, critic_step: int, lead: int = 1, reduce=None, ranks: int = 1
    ) -> None:
        """The scores D gave the reals at critic step `critic_step` of the run (0, 1, ...), shape
        (n, ...), or (K, n, ...) with `lead` 2; `reduce` averages a tensor over the `ranks` DDP
        ranks (each judged as many)."""
        signs = d_real.detach().double().sign().flatten(lead - 1)
        self.signs += signs.mean(dim=-1)
        if (critic_step + 1) % self.interval == 0:
            r_t = self.signs / self.interval
            r_t = reduce(r_t) if reduce is not None else r_t
            self.adjust(r_t, signs.shape[-1] * self.interval * ranks)
            self.signs.zero_()

    @torch.no_grad()
    def adjust(self, r_t: Tensor, images: int) -> None:
        """The controller: p moves by sign(r_t - target) * images / speed, clamped to [0, 1]."""
        self.r_t.copy_(r_t)
        self.p.copy_((self.p + torch.sign(r_t - self.target) * images / self.speed).clamp(0, 1))

    def train_metrics(self) -> dict[str, Tensor]:
        return {"train/ada_p": self.p.clone(), "train/ada_rt": self.r_t.clone()}
