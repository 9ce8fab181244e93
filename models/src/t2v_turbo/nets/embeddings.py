"""Sinusoidal embeddings of scalar conditions (timestep, fps, guidance scale w, motion strength).

Two conventions coexist in the checkpoints we follow, and mixing them up silently breaks a converted
model, so both are spelled out:
  timestep_embedding  ADM / VideoCrafter: [cos, sin], frequencies exp(-ln(10000) k / half), k < half.
                      Used for the diffusion timestep and for fps.
  scalar_embedding    LCM / T2V-Turbo: value * scale, then [sin, cos], frequencies
                      exp(-ln(10000) k / (half - 1)). Used for w (scale 1000) and the motion strength.
Both are plain elementwise maths on a (B,) tensor, so they trace into any exported graph.
"""

from __future__ import annotations

import math

import torch


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """(B,) float timesteps -> (B, dim) [cos | sin] features (ADM convention)."""
    half = dim // 2
    k = torch.arange(half, dtype=torch.float32, device=t.device)
    freqs = torch.exp(-math.log(max_period) * k / half)  # (half,)
    args = t.float()[:, None] * freqs[None]  # (B, half)
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb


def scalar_embedding(value: torch.Tensor, dim: int, scale: float = 1000.0) -> torch.Tensor:
    """(B,) float condition -> (B, dim) [sin | cos] features of value * scale (LCM convention)."""
    half = dim // 2
    k = torch.arange(half, dtype=torch.float32, device=value.device)
    freqs = torch.exp(-math.log(10000.0) * k / (half - 1))  # (half,)
    args = (value.float() * scale)[:, None] * freqs[None]  # (B, half)
    emb = torch.cat([torch.sin(args), torch.cos(args)], dim=-1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
    return emb
