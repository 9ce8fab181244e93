"""OpenCLIP's text tower (ViT-H/14: width 1024, 24 layers, 16 heads, 77 tokens) as VideoCrafter2 uses it.

VideoCrafter2's `FrozenOpenCLIPEmbedder(layer="penultimate")`: token + positional embeddings, all
residual blocks but the last under a causal mask, then `ln_final`; every one of the 77 positions
is kept (padding included: CLIP pads with id 0, and the causal mask keeps padding from reaching the
prompt's tokens). No pooling, no projection.

Parameter names are those under `cond_stage_model.model.` in the VideoCrafter2 checkpoint
(token_embedding, positional_embedding, transformer.resblocks.N.{ln_1, attn.in_proj_weight,
attn.in_proj_bias, attn.out_proj, ln_2, mlp.c_fc, mlp.c_proj}, ln_final). The checkpoint's
`text_projection` and `logit_scale` belong to CLIP's pooled, contrastive head, which the penultimate
context never uses; the converter accepts and drops them. Attention is written out (no
nn.MultiheadAttention) so that the graph exports as plain MatMul/Softmax; tests compare it with
nn.MultiheadAttention on the same weights.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .clip_tokenizer import ClipBpeTokenizer
from .text_encoder import MASKED_SCORE

HEAD_WIDTH = 64  # OpenCLIP text towers: heads = width / 64 (ViT-H/14: 1024 / 64 = 16)
UNUSED_KEYS = ("text_projection", "logit_scale")  # CLIP's pooled projection and contrastive temperature


@dataclass(frozen=True)
class ClipTextConfig:
    """Shape of an OpenCLIP text tower; the defaults are ViT-H/14's (VideoCrafter2's)."""

    vocab_size: int = 49408
    context_length: int = 77
    width: int = 1024
    layers: int = 24
    heads: int = 16
    mlp_ratio: int = 4

    @classmethod
    def from_shapes(cls, shapes: dict[str, tuple[int, ...]]) -> ClipTextConfig:
        """Reads the tower's size from a state dict's names and shapes (no prefix); heads = width / 64."""
        try:
            vocab, width = shapes["token_embedding.weight"]
            context = shapes["positional_embedding"][0]
            hidden = shapes["transformer.resblocks.0.mlp.c_fc.weight"][0]
        except KeyError as e:
            raise ValueError(f"not an OpenCLIP text tower: no {e.args[0]!r}") from e
        layers = 1 + max(int(k.split(".")[2]) for k in shapes if k.startswith("transformer.resblocks."))
        if width % HEAD_WIDTH or hidden % width:
            raise ValueError(f"text tower width {width} / MLP {hidden} do not fit OpenCLIP's 64-wide heads")
        return cls(vocab, context, width, layers, width // HEAD_WIDTH, hidden // width)


class SelfAttention(nn.Module):
    """nn.MultiheadAttention's parameters (packed q/k/v `in_proj`, `out_proj`), computed explicitly."""

    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, width))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * width))
        self.out_proj = nn.Linear(width, width)
        nn.init.xavier_uniform_(self.in_proj_weight)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """x (B, L, D), bias (L, L) additive -> (B, L, D)."""
        b, length, d = x.shape
        q, k, v = F.linear(x, self.in_proj_weight, self.in_proj_bias).chunk(3, dim=-1)  # (B, L, D) each

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(b, length, self.heads, d // self.heads).transpose(1, 2)  # (B, heads, L, d_head)

        q, k, v = split(q), split(k), split(v)
        scores = q @ k.transpose(-1, -2) * (d // self.heads) ** -0.5 + bias  # (B, heads, L, L)
        out = scores.softmax(dim=-1) @ v  # (B, heads, L, d_head)
        return self.out_proj(out.transpose(1, 2).reshape(b, length, d))


class ResidualAttentionBlock(nn.Module):
    """Pre-norm block: x += attn(ln_1(x)); x += mlp(ln_2(x)), with exact GELU."""

    def __init__(self, width: int, heads: int, mlp_ratio: int):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = SelfAttention(width, heads)
        self.ln_2 = nn.LayerNorm(width)
        hidden = width * mlp_ratio
        self.mlp = nn.Sequential(
            OrderedDict([("c_fc", nn.Linear(width, hidden)), ("gelu", nn.GELU()), ("c_proj", nn.Linear(hidden, width))])
        )

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), bias)
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, cfg: ClipTextConfig):
        super().__init__()
        self.resblocks = nn.ModuleList(
            ResidualAttentionBlock(cfg.width, cfg.heads, cfg.mlp_ratio) for _ in range(cfg.layers)
        )


class OpenClipTextEncoder(nn.Module):
    """Frozen OpenCLIP text tower giving VideoCrafter2's penultimate-layer context (B, 77, width)."""

    def __init__(self, cfg: ClipTextConfig, tokenizer: ClipBpeTokenizer):
        super().__init__()
        if tokenizer.vocab_size != cfg.vocab_size or tokenizer.max_length != cfg.context_length:
            raise ValueError(
                f"tokenizer ({tokenizer.vocab_size} tokens, {tokenizer.max_length} long) does not fit the text "
                f"tower ({cfg.vocab_size} tokens, {cfg.context_length} positions)"
            )
        if cfg.layers < 2:
            raise ValueError("the penultimate-layer context needs at least 2 layers")
        self.cfg = cfg
        self.tokenizer = tokenizer
        self.token_embedding = nn.Embedding(cfg.vocab_size, cfg.width)
        self.positional_embedding = nn.Parameter(torch.randn(cfg.context_length, cfg.width) * 0.01)
        self.transformer = Transformer(cfg)
        self.ln_final = nn.LayerNorm(cfg.width)

    def freeze(self) -> OpenClipTextEncoder:
        self.requires_grad_(False)
        return self.eval()

    @property
    def embed_dim(self) -> int:
        return self.cfg.width

    @property
    def max_length(self) -> int:
        return self.cfg.context_length

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """input_ids (B, 77) int64 -> context (B, 77, width). The mask is not used: CLIP's context
        keeps every position, and causality already hides padding from the prompt's tokens."""
        length = input_ids.shape[1]
        x = self.token_embedding(input_ids) + self.positional_embedding[:length]  # (B, L, D)
        # Causal: a token sees itself and earlier ones. Finite, so fp16 graphs stay NaN-free. Made here,
        # not kept as a buffer, so that a tower built on the meta device needs only its checkpoint.
        bias = torch.full((length, length), MASKED_SCORE, device=x.device).triu(1)  # (L, L)
        for block in self.transformer.resblocks[:-1]:  # penultimate layer
            x = block(x, bias)
        return self.ln_final(x)

    @torch.no_grad()
    def encode(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """texts -> (context (B, L, D), mask (B, L) float32: 1 on start, prompt and end tokens)."""
        batch = self.tokenizer(texts)
        device = self.token_embedding.weight.device
        return self(batch.input_ids.to(device)), batch.attention_mask.to(device, torch.float32)
