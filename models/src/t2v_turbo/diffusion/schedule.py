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
    # 0: the schedule as its betas give it (VC2: abar_999 = 0.0047). Otherwise sqrt(abar) is shifted
    # and scaled so that abar_0 keeps its value and abar_{T-1} becomes this (Lin et al. 2024, "Common
    # diffusion noise schedules and sample steps are flawed", with a small target instead of 0).
    # At 0.0047 the last noisy latent still shows its clip (a matched filter over a 16x16x16x4 latent
    # sees it at total SNR ~77); at 1e-6, ~0.02, so the caption alone must decide layout and motion.
    # Kept above 0 so that x0 = (z - sqrt(1 - abar) eps) / sqrt(abar) stays defined for every
    # epsilon-returning graph (a v-head UNet's epsilon carries x0 exactly; tests/test_scheduler.py).
    terminal_abar: float = 0.0

    @classmethod
    def from_dict(cls, d) -> NoiseSchedule:
        """From a config's `schedule` section (dataclass or dict) or a manifest's `schedule` block."""
        d = d if isinstance(d, dict) else vars(d)
        return cls(d["num_train_timesteps"], d["beta_start"], d["beta_end"], d["beta_schedule"],
                   float(d.get("terminal_abar", 0.0)))

    def betas(self) -> np.ndarray:
        n = self.num_train_timesteps
        if self.beta_schedule == "scaled_linear":
            return np.linspace(self.beta_start**0.5, self.beta_end**0.5, n, dtype=np.float64) ** 2
        if self.beta_schedule == "linear":
            return np.linspace(self.beta_start, self.beta_end, n, dtype=np.float64)
        raise ValueError(f"unknown beta_schedule {self.beta_schedule!r}; expected 'scaled_linear' or 'linear'")

    def alphas_cumprod(self) -> np.ndarray:
        """abar_t for t = 0..T-1, float64."""
        abar = np.cumprod(1.0 - self.betas())
        if self.terminal_abar:
            if not 0.0 < self.terminal_abar < abar[-1]:
                raise ValueError(f"terminal_abar must be 0 (off) or lie in (0, {abar[-1]:.3g}), the schedule's own "
                                 f"last value; got {self.terminal_abar}")
            root = np.sqrt(abar)  # (T,)
            first, last, target = root[0], root[-1], np.sqrt(self.terminal_abar)
            abar = (target + (root - last) * (first - target) / (first - last)) ** 2
        return abar

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
        } | ({"terminal_abar": self.terminal_abar} if self.terminal_abar else {})


def add_noise(x0: torch.Tensor, noise: torch.Tensor, t: torch.Tensor, abar: torch.Tensor) -> torch.Tensor:
    """Forward process: z_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps; t is (B,) long."""
    a = abar[t].view(-1, *([1] * (x0.dim() - 1)))
    return a.sqrt() * x0 + (1 - a).sqrt() * noise


def predicted_x0(z_t: torch.Tensor, eps: torch.Tensor, abar_t: torch.Tensor) -> torch.Tensor:
    """x0 implied by an epsilon prediction; abar_t broadcastable to z_t."""
    return (z_t - (1 - abar_t).sqrt() * eps) / abar_t.sqrt()
