"""Latent consistency model (LCM) maths: the distillation grid, boundary scalings, the multistep sampler.

Conventions (the browser engine follows them exactly; see docs/MODEL_FORMAT.md, "Sampler"):
  grid       tau_j = (j + 1) * T / N - 1 for j = 0..N-1   (N = 200: 4, 9, ..., 999)
  inference  the reversed grid taken every N // S entries, first S of them (S = 4: 999, 749, 499, 249)
  scalings   c_skip(t) = sd^2 / ((s t)^2 + sd^2), c_out(t) = s t / sqrt((s t)^2 + sd^2)
             with s = timestep_scaling (10) and sd = sigma_data (0.5); f(z, 0) = z exactly
  step       x0 = (z - sqrt(1 - abar_t) eps) / sqrt(abar_t); d = c_skip z + c_out x0;
             z' = sqrt(abar_t') d + sqrt(1 - abar_t') noise(seed, stream = i + 1)   (not after the last)
  noise      initial latent = noise(seed, stream 0); t2v_turbo.diffusion.noise draws it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from .noise import multiscale_gaussian_like

if TYPE_CHECKING:  # the grid and scalings are also used by the torch-free reference sampler
    import torch


def distillation_grid(num_train_timesteps: int, num_steps: int) -> np.ndarray:
    """The N solver timesteps, ascending: (j + 1) * T / N - 1."""
    if num_train_timesteps % num_steps:
        raise ValueError(f"grid size {num_steps} must divide {num_train_timesteps}")
    ratio = num_train_timesteps // num_steps
    return np.arange(1, num_steps + 1, dtype=np.int64) * ratio - 1


def inference_timesteps(num_train_timesteps: int, num_steps: int, steps: int) -> np.ndarray:
    """Timesteps of an S-step multistep consistency sample, descending (diffusers' LCMScheduler rule)."""
    if not 1 <= steps <= num_steps:
        raise ValueError(f"steps must lie in [1, {num_steps}], got {steps}")
    grid = distillation_grid(num_train_timesteps, num_steps)[::-1]
    return grid[:: num_steps // steps][:steps].copy()


def boundary_scalings(t, timestep_scaling: float = 10.0, sigma_data: float = 0.5):
    """(c_skip, c_out) of the consistency parameterisation; works on floats, numpy and torch."""
    st = t * timestep_scaling
    c_skip = sigma_data**2 / (st**2 + sigma_data**2)
    c_out = st / (st**2 + sigma_data**2) ** 0.5
    return c_skip, c_out


def consistency_output(z_t, eps, t, abar_t, timestep_scaling: float = 10.0, sigma_data: float = 0.5):
    """f(z_t, t) = c_skip z_t + c_out x0(z_t, eps); abar_t and t broadcastable to z_t."""
    c_skip, c_out = boundary_scalings(t, timestep_scaling, sigma_data)
    x0 = (z_t - (1 - abar_t) ** 0.5 * eps) / abar_t**0.5
    return c_skip * z_t + c_out * x0


EpsFn = Callable[["torch.Tensor", int, int], "torch.Tensor"]
"""eps(z_t, t, step index) -> eps prediction; the caller closes over text, w, motion, guidance."""


def sample_lcm(
    eps_fn: EpsFn,
    shape: tuple[int, ...],
    alphas_cumprod: np.ndarray,
    timesteps: np.ndarray,
    seed: int,
    timestep_scaling: float = 10.0,
    sigma_data: float = 0.5,
    multiscale: float = 0.0,
) -> torch.Tensor:
    """Multistep consistency sampling (Luo et al. 2023, LCM, Alg. 1) with the engine's seeded noise.

    multiscale: the coarse-noise discount the model was trained with (0 = white noise).
    """
    import torch

    with torch.no_grad():
        return _sample_lcm(torch, eps_fn, shape, alphas_cumprod, timesteps, seed, timestep_scaling, sigma_data,
                           multiscale)


def _sample_lcm(torch, eps_fn, shape, alphas_cumprod, timesteps, seed, timestep_scaling, sigma_data, multiscale):
    abar = torch.from_numpy(alphas_cumprod).double()
    z = torch.from_numpy(multiscale_gaussian_like(shape, seed, 0, multiscale)).float()
    for i, t in enumerate(timesteps.tolist()):
        eps = eps_fn(z, t, i)
        a = abar[t].float()
        denoised = consistency_output(z, eps, float(t), a, timestep_scaling, sigma_data)
        if i == len(timesteps) - 1:
            return denoised
        a_next = abar[int(timesteps[i + 1])].float()
        noise = torch.from_numpy(multiscale_gaussian_like(shape, seed, i + 1, multiscale)).float()
        z = a_next.sqrt() * denoised + (1 - a_next).sqrt() * noise
    raise ValueError("timesteps is empty")
