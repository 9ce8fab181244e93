"""Noise schedule of the VideoCrafter2 family: 1000 steps, beta linear in sqrt(beta), epsilon target.

Everything a sampler needs is derived from `alphas_cumprod` (abar_t): q(z_t | x0) =
N(sqrt(abar_t) x0, (1 - abar_t) I). The browser engine derives the same table from the manifest's
`schedule` block (app/engine/scheduler/lcm.ts); models/tests/fixtures/scheduler.json pins both.
"""

from __future__ import annotations

from dataclasses import dataclass

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the reference sampler over ONNX packages runs without torch
    import torch


@dataclass(frozen=True)
class NoiseSchedule:
    num_train_timesteps: int = 1000
    beta_start: float = 0.00085
    beta_end: float = 0.012
    # "scaled_linear": linear in sqrt(beta), what VideoCrafter's code calls "linear".
    beta_schedule: str = "scaled_linear"

    def betas(self) -> np.ndarray:
        n = self.num_train_timesteps
        if self.beta_schedule == "scaled_linear":
            return np.linspace(self.beta_start**0.5, self.beta_end**0.5, n, dtype=np.float64) ** 2
        if self.beta_schedule == "linear":
            return np.linspace(self.beta_start, self.beta_end, n, dtype=np.float64)
        raise ValueError(f"unknown beta_schedule {self.beta_schedule!r}; expected 'scaled_linear' or 'linear'")

    def alphas_cumprod(self) -> np.ndarray:
        """abar_t for t = 0..T-1, float64."""
        return np.cumprod(1.0 - self.betas())

    def alphas_cumprod_torch(self, device=None) -> torch.Tensor:
        import torch

        return torch.from_numpy(self.alphas_cumprod()).float().to(device)

    def to_manifest(self) -> dict:
        return {
            "num_train_timesteps": self.num_train_timesteps,
            "beta_start": self.beta_start,
            "beta_end": self.beta_end,
            "beta_schedule": self.beta_schedule,
            "prediction": "epsilon",
        }


def add_noise(x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor, abar: torch.Tensor) -> torch.Tensor:
    """Forward process: z_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps; t is (B,) long."""
    a = abar[t].view(-1, *([1] * (x0.dim() - 1)))
    return a.sqrt() * x0 + (1 - a).sqrt() * noise


def predicted_x0(z_t: torch.Tensor, eps: torch.Tensor, abar_t: torch.Tensor) -> torch.Tensor:
    """x0 implied by an epsilon prediction; abar_t broadcastable to z_t."""
    return (z_t - (1 - abar_t).sqrt() * eps) / abar_t.sqrt()
