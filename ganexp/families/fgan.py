"""f-GAN (Nowozin et al. 2016): the critic ascends the variational bound on D_f(p_data || p_g)."""

from __future__ import annotations

from torch import Tensor

from ganexp.families.base import AdversarialFamily


class FGAN(AdversarialFamily):
    """Logs `train/f_estimate`, the bound E_P[T] - E_Q[f*(T)] at the last critic step: an estimate
    of D_f from below, tight at the optimal critic T* = f'(p / q)."""

    def critic_metrics(self, d_real: Tensor, d_fake: Tensor, d_loss: Tensor) -> dict[str, Tensor]:
        return {"train/f_estimate": -d_loss}
