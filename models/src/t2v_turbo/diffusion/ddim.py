"""DDIM (Song et al. 2021, eta = 0): the teacher's sampler and the distillation ODE solver."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from .schedule import predicted_x0


def ddim_step(z_t: torch.Tensor, eps: torch.Tensor, abar_t: torch.Tensor, abar_prev: torch.Tensor) -> torch.Tensor:
    """One deterministic DDIM step t -> prev: sqrt(abar_prev) x0 + sqrt(1 - abar_prev) eps.

    abar_t and abar_prev broadcast against z_t; with abar_prev = 1 the step returns x0.
    """
    x0 = predicted_x0(z_t, eps, abar_t)
    return abar_prev.sqrt() * x0 + (1 - abar_prev).sqrt() * eps


def ddim_timesteps(num_train_timesteps: int, steps: int) -> np.ndarray:
    """Evenly spaced ("leading" + offset 1, as VideoCrafter's DDIM) timesteps, descending."""
    ratio = num_train_timesteps // steps
    return (np.arange(steps, dtype=np.int64) * ratio + 1)[::-1].copy()


def cfg(eps_cond: torch.Tensor, eps_uncond: torch.Tensor, w) -> torch.Tensor:
    """Classifier-free guidance in the T2V-Turbo convention: eps_c + w (eps_c - eps_u)."""
    return eps_cond + w * (eps_cond - eps_uncond)


@torch.no_grad()
def sample_ddim(
    eps_fn: Callable[[torch.Tensor, int], torch.Tensor],
    z_T: torch.Tensor,
    alphas_cumprod: np.ndarray,
    steps: int = 50,
    start: int | None = None,
) -> torch.Tensor:
    """DDIM from pure noise z_T to x0 in `steps` evaluations of eps_fn(z, t) (CFG inside eps_fn).

    start: z_T is a clip noised to timestep `start` (SDEdit); only the grid's timesteps <= start run.
    """
    abar = torch.from_numpy(alphas_cumprod).to(z_T.dtype)
    ts = ddim_timesteps(len(alphas_cumprod), steps)
    if start is not None:
        ts = ts[ts <= start]
    z = z_T
    for i, t in enumerate(ts.tolist()):
        prev = abar[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0, dtype=z_T.dtype)
        z = ddim_step(z, eps_fn(z, t), abar[t], prev)
    return z
