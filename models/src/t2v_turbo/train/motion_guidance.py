"""Motion guidance (MotionClone's energy, T2V-Turbo-v2's conditional guidance) for the teacher's solver.

  A(z)       the decoder's temporal self-attention maps of the UNet at (z, t, text): a list of
             (B*h_i*w_i*heads, T, T) probabilities (UNet3D(..., return_attn=True))
  M          top-1 mask of the reference maps: 1 at each query frame's largest key-frame entry
             (first on ties, like the studio's top1_mask kernel), 0 elsewhere
  G(z)       sum_i || M_i o (A_i(z_ref) - A_i(z)) ||^2, summed over all entries (per clip when B > 1)
  guided eps eps - lambda * sqrt(1 - abar_t) * grad_z G   (applied where t >= (1 - tau) T)

The reference z_ref is the training clip itself brought to the same timestep: noised with its own
noise (MotionClone's inference recipe, the default here) or DDIM-inverted with the teacher
(the paper's offline preprocessing). docs/POST_TRAINING.md states where the paper and its code
differ and what this module does.
"""

from __future__ import annotations

import numpy as np
import torch

from ..diffusion.ddim import ddim_step


def top1_mask(maps: list[torch.Tensor]) -> list[torch.Tensor]:
    """One-hot of each row's argmax along the key-frame axis, per map."""
    out = []
    for a in maps:
        mask = torch.zeros_like(a)
        out.append(mask.scatter_(-1, a.argmax(dim=-1, keepdim=True), 1.0))
    return out


def motion_energy(maps: list[torch.Tensor], ref_maps: list[torch.Tensor], masks: list[torch.Tensor],
                  clips: int = 1) -> torch.Tensor:
    """G per clip, (clips,): the masked squared distance summed over layers, pixels, heads and frames.

    Maps hold clips in their leading axis (clip-major, as UNet3D returns them), so a batch of
    clips gives each its own energy and its own gradient.
    """
    total = 0.0
    for a, r, m in zip(maps, ref_maps, masks, strict=True):
        per_clip = ((m * (r - a)) ** 2).reshape(clips, -1)  # (B, rows * T * T)
        total = total + per_clip.sum(dim=1)
    return total


def attention_maps(unet, z: torch.Tensor, t: torch.Tensor, context: torch.Tensor, fps: torch.Tensor
                   ) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """(eps, decoder temporal attention maps) of the (teacher) UNet; differentiable in z."""
    return unet(z, t, context, fps, return_attn=True)


@torch.no_grad()
def reference_maps(unet, z_ref: torch.Tensor, t: torch.Tensor, context: torch.Tensor, fps: torch.Tensor
                   ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """(A(z_ref), top-1 masks) at the reference latent."""
    _, maps = attention_maps(unet, z_ref, t, context, fps)
    return maps, top1_mask(maps)


def energy_and_grad(unet, z_t: torch.Tensor, t: torch.Tensor, context: torch.Tensor, fps: torch.Tensor,
                    ref_maps: list[torch.Tensor], masks: list[torch.Tensor]
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(grad_z G (B, C, T, h, w), G (B,), eps at z_t): one forward with attention maps, one backward.

    The UNet's parameters may be frozen; the gradient is taken with respect to z_t only.
    """
    z = z_t.detach().requires_grad_(True)
    with torch.enable_grad():
        eps, maps = attention_maps(unet, z, t, context, fps)
        g = motion_energy(maps, ref_maps, masks, clips=z.shape[0])
        (grad,) = torch.autograd.grad(g.sum(), z)
    return grad.detach(), g.detach(), eps.detach()


def guided_eps(eps: torch.Tensor, grad: torch.Tensor, lam: torch.Tensor, abar_t: torch.Tensor) -> torch.Tensor:
    """eps - lambda sqrt(1 - abar_t) grad G; lam and abar_t broadcast against eps (per clip)."""
    return eps - lam * (1 - abar_t).sqrt() * grad


def guidance_applies(t: torch.Tensor, tau: float, num_train_timesteps: int) -> torch.Tensor:
    """(B,) bool: the high-noise part of the trajectory, t >= (1 - tau) T."""
    return t >= (1.0 - tau) * num_train_timesteps


def noised_reference(x0: torch.Tensor, noise: torch.Tensor, abar_t: torch.Tensor) -> torch.Tensor:
    """The clip noised to t with its own noise (independent of the student's): MotionClone's reference."""
    return abar_t.sqrt() * x0 + (1 - abar_t).sqrt() * noise


@torch.no_grad()
def ddim_inverted_reference(unet, x0: torch.Tensor, t: int, context: torch.Tensor, fps: torch.Tensor,
                            alphas_cumprod: np.ndarray, steps: int) -> torch.Tensor:
    """x0 run forward along DDIM's deterministic ODE to timestep t in `steps` teacher evaluations
    (conditional branch, no CFG, as the inversion in T2V-Turbo-v2's preprocessing)."""
    abar = torch.from_numpy(alphas_cumprod).to(x0.dtype)
    ts = np.linspace(0, t, steps + 1).round().astype(np.int64)
    z = x0
    prev_abar = torch.tensor(1.0, dtype=x0.dtype)
    for i in range(steps):
        s, nxt = int(ts[i]), int(ts[i + 1])
        a_s = prev_abar if i == 0 else abar[s]
        eps = unet(z, torch.full((x0.shape[0],), float(s)), context, fps)
        # Inversion swaps the roles of the two timesteps in the DDIM step (eps taken at the earlier one).
        z = ddim_step(z, eps, a_s, abar[nxt])
        prev_abar = abar[nxt]
    return z
