"""Transformer layers of the VideoCrafter2 UNet: spatial (per frame, with text cross-attention) and
temporal (per pixel, across frames). Module and parameter names follow VideoCrafter2's
`lvdm/modules/attention.py` so that a real checkpoint loads by name.

Layouts: the UNet keeps activations as frames folded into the batch, (B*T, C, H, W); a temporal layer
is told T and unfolds internally. Every reshape below is static in the input's shape, so the layers
trace and export to ONNX with no data-dependent control flow.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .embeddings import timestep_embedding


class CrossAttention(nn.Module):
    """Multi-head attention; self-attention when context is None. q/k/v have no bias, as in VC2."""

    def __init__(
        self, query_dim: int, heads: int, dim_head: int, context_dim: int | None = None, dropout: float = 0.0
    ):
        super().__init__()
        inner = heads * dim_head
        self.heads = heads
        self.dim_head = dim_head
        self.to_q = nn.Linear(query_dim, inner, bias=False)
        self.to_k = nn.Linear(context_dim or query_dim, inner, bias=False)
        self.to_v = nn.Linear(context_dim or query_dim, inner, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner, query_dim), nn.Dropout(dropout))

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        n, length, _ = x.shape
        return x.view(n, length, self.heads, self.dim_head).transpose(1, 2)  # (N, heads, L, d)

    def forward(
        self,
        x: torch.Tensor,
        context: torch.Tensor | None = None,
        return_probs: bool = False,
        repeats: int = 1,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x (N, Lq, query_dim), context (N / repeats, Lk, context_dim) -> (out (N, Lq, query_dim), probs).

        A context shared by `repeats` consecutive queries (the frames of one clip) is projected once
        and then repeated: the same numbers as VC2's repeat-then-project, T times fewer FLOPs.
        probs (when asked) is (N * heads, Lq, Lk), head index fastest: VideoCrafter's '(b h) n d' order.
        """
        ctx = x if context is None else context
        k, v = self.to_k(ctx), self.to_v(ctx)
        if context is not None and repeats > 1:
            k, v = k.repeat_interleave(repeats, dim=0), v.repeat_interleave(repeats, dim=0)  # (N, Lk, inner)
        q, k, v = self._split(self.to_q(x)), self._split(k), self._split(v)
        probs = None
        if return_probs:
            # Explicit softmax: the maps are an output (motion guidance) and must carry gradients.
            scores = q @ k.transpose(-1, -2) * self.dim_head**-0.5  # (N, heads, Lq, Lk)
            p = scores.softmax(dim=-1)
            out = p @ v  # (N, heads, Lq, d)
            probs = p.reshape(-1, p.shape[-2], p.shape[-1])  # (N * heads, Lq, Lk)
        else:
            out = F.scaled_dot_product_attention(q, k, v)  # (N, heads, Lq, d)
        n, _, lq, _ = out.shape
        out = out.transpose(1, 2).reshape(n, lq, self.heads * self.dim_head)
        return self.to_out(out), probs


class GEGLU(nn.Module):
    """Gated GELU (Shazeer 2020): one projection to 2 * inner, the second half gates the first."""

    def __init__(self, dim_in: int, dim_out: int):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out * 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, gate = self.proj(x).chunk(2, dim=-1)
        return h * F.gelu(gate)


class FeedForward(nn.Module):
    """GEGLU MLP with 4x expansion; `net.0.proj`, `net.2` as in the checkpoints."""

    def __init__(self, dim: int, mult: int = 4, dropout: float = 0.0):
        super().__init__()
        inner = dim * mult
        self.net = nn.Sequential(GEGLU(dim, inner), nn.Dropout(dropout), nn.Linear(inner, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class BasicTransformerBlock(nn.Module):
    """attn1 (self), attn2 (cross to context, or a second self-attention when context_dim is None), ff."""

    def __init__(self, dim: int, heads: int, dim_head: int, context_dim: int | None, dropout: float = 0.0):
        super().__init__()
        self.attn1 = CrossAttention(dim, heads, dim_head, None, dropout)
        self.ff = FeedForward(dim, dropout=dropout)
        self.attn2 = CrossAttention(dim, heads, dim_head, context_dim, dropout)
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.norm3 = nn.LayerNorm(dim)

    def forward(
        self,
        x: torch.Tensor,
        context: torch.Tensor | None = None,
        return_attn: bool = False,
        repeats: int = 1,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        h, probs = self.attn1(self.norm1(x), return_probs=return_attn)
        x = x + h
        x = x + self.attn2(self.norm2(x), context, repeats=repeats)[0]
        x = x + self.ff(self.norm3(x))
        return x, probs


class PointwiseConv1d(nn.Module):
    """A kernel-1 Conv1d's parameters (out, in, 1), computed as a Linear on channels-last tokens.

    VC2's `init_attn` projects with Conv1d; keeping the 3D weight keeps checkpoint names and shapes,
    and computing it as a matmul keeps the exported graph free of 1D convolutions.
    """

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, 1))
        self.bias = nn.Parameter(torch.empty(out_channels))
        ref = nn.Conv1d(in_channels, out_channels, 1)  # borrow PyTorch's default initialisation
        with torch.no_grad():
            self.weight.copy_(ref.weight)
            self.bias.copy_(ref.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight[:, :, 0], self.bias)


def _zero_(module: nn.Module) -> nn.Module:
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


class SpatialTransformer(nn.Module):
    """Per-frame transformer over H*W tokens with cross-attention to the text context; residual."""

    def __init__(
        self,
        channels: int,
        heads: int,
        dim_head: int,
        context_dim: int,
        depth: int = 1,
        dropout: float = 0.0,
        norm_groups: int = 32,
    ):
        super().__init__()
        inner = heads * dim_head
        self.norm = nn.GroupNorm(norm_groups, channels, eps=1e-6)
        self.proj_in = nn.Linear(channels, inner)
        self.transformer_blocks = nn.ModuleList(
            BasicTransformerBlock(inner, heads, dim_head, context_dim, dropout) for _ in range(depth)
        )
        self.proj_out = _zero_(nn.Linear(inner, channels))  # starts as identity, like VC2

    def forward(self, x: torch.Tensor, context: torch.Tensor, frames: int) -> torch.Tensor:
        """x (B*T, C, H, W), context (B, L, D) shared by the T frames of a clip -> (B*T, C, H, W)."""
        n, c, h, w = x.shape
        tokens = self.norm(x).flatten(2).transpose(1, 2)  # (B*T, H*W, C)
        tokens = self.proj_in(tokens)
        for block in self.transformer_blocks:
            tokens = block(tokens, context, repeats=frames)[0]
        tokens = self.proj_out(tokens)  # (B*T, H*W, C)
        return x + tokens.transpose(1, 2).reshape(n, c, h, w)


class TemporalTransformer(nn.Module):
    """Per-pixel transformer over the T frames (both attentions are self-attention); residual.

    GroupNorm statistics span all frames of a clip, as in VideoCrafter2 (it normalises a 5D tensor).
    `pointwise_conv_proj` selects VC2's Conv1d projections (used by `init_attn`) over Linear ones.
    `frame_position` adds a projected sinusoid of each frame's index to its tokens (AnimateDiff's
    motion modules do the same; VC2 has none): self-attention alone cannot tell frame 3 from frame 12,
    and "moving right" asks for a different placement in each. The projection starts at zero, so a
    checkpoint without it loads and computes exactly as before (`train-teacher --init`), or at
    `frame_position_init` times the identity: from zero its gradient averages out over clips moving
    either way (the sign of what it should add depends on the caption, which it cannot see), while a
    sinusoid already present lets the attention weights learn the caption-dependent use of it.
    """

    def __init__(
        self,
        channels: int,
        heads: int,
        dim_head: int,
        depth: int = 1,
        dropout: float = 0.0,
        norm_groups: int = 32,
        pointwise_conv_proj: bool = False,
        frame_position: bool = False,
        frame_position_init: float = 0.0,
    ):
        super().__init__()
        inner = heads * dim_head
        self.frame_position = _zero_(nn.Linear(inner, inner)) if frame_position else None
        if self.frame_position is not None and frame_position_init:
            with torch.no_grad():
                self.frame_position.weight.copy_(frame_position_init * torch.eye(inner))
        self.norm = nn.GroupNorm(norm_groups, channels, eps=1e-6)
        proj = PointwiseConv1d if pointwise_conv_proj else nn.Linear
        self.proj_in = proj(channels, inner)
        self.transformer_blocks = nn.ModuleList(
            BasicTransformerBlock(inner, heads, dim_head, None, dropout) for _ in range(depth)
        )
        self.proj_out = _zero_(proj(inner, channels))

    def forward(
        self, x: torch.Tensor, frames: int, return_attn: bool = False
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """x (B*T, C, H, W) -> (same shape, attn1 maps [(B*H*W*heads, T, T)] per block if asked)."""
        bt, c, h, w = x.shape
        clip = x.view(-1, frames, c, h * w).transpose(1, 2)  # (B, C, T, H*W)
        normed = self.norm(clip)
        tokens = normed.permute(0, 3, 2, 1).reshape(-1, frames, c)  # (B*H*W, T, C)
        tokens = self.proj_in(tokens)
        if self.frame_position is not None:
            index = torch.arange(frames, device=tokens.device)
            tokens = tokens + self.frame_position(timestep_embedding(index, tokens.shape[-1]).to(tokens))  # (T, inner)
        maps = []
        for block in self.transformer_blocks:
            tokens, probs = block(tokens, None, return_attn)
            if probs is not None:
                maps.append(probs)
        tokens = self.proj_out(tokens)  # (B*H*W, T, C)
        out = tokens.view(-1, h * w, frames, c).permute(0, 2, 3, 1).reshape(bt, c, h, w)  # (B*T, C, H, W)
        return x + out, maps
