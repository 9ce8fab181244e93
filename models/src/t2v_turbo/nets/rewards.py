"""Reward models trained here, in the roles of the paper's CLIPScore, HPSv2.1 and InternVideo2.

  ImageTextReward   pixels (N, 3, H, W), context (1 or N, L, D), mask (1 or N, L) -> score (N)
                    cosine between a frame and the prompt (CLIP-style, contrastive training)
  QualityReward     pixels (N, 3, H, W) -> score (N)
                    preference logit of one frame (Bradley-Terry on clean/corrupted pairs)
  VideoTextReward   pixels (B, 3, F, H, W), context (1 or B, L, D), mask (1 or B, L) -> score (B)
                    cosine between a clip of F frames *in order* and the prompt: it sees motion

Pixels are frames in [0, 1] normalised with PIXEL_MEAN / PIXEL_STD, i.e. mapped to [-1, 1], the
VAE decoder's range, so a decoded latent feeds the rewards without a resize. Text enters as the
frozen MiniLM encoder's token context and mask (what the browser already has after its text
graph); each model pools it with its own learned pooling. Everything is 2D convolutions, matmuls,
softmax and reductions with static shapes: `forward` exports to ONNX as is (WebGPU has no 3D
convolution, so the video model's temporal convolution is a (3, 1) conv2d over a (B, C, F, 1) view).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

PIXEL_MEAN = (0.5, 0.5, 0.5)  # pixels in [0, 1] -> [-1, 1], the VAE decoder's output range
PIXEL_STD = (0.5, 0.5, 0.5)
MASKED_SCORE = -1e4  # attention score at padded tokens: exp() is exactly 0 in fp32, no inf in fp16


@dataclass
class RewardNetConfig:
    """Shape of one reward network; stored with its checkpoint (extras["net"])."""

    widths: list[int] = field(default_factory=lambda: [16, 32, 64, 96])  # stem, then 3 stride-2 stages: 64 px -> 8x8
    stem_stride: int = 1  # 2 halves the resolution in the stem (a 4x4 patch conv): ~2x cheaper per frame
    embed_dim: int = 128  # joint image/video-text space
    text_dim: int = 384  # MiniLM's width
    text_queries: int = 4  # learned attention-pooling queries next to the masked mean
    keypoints: int = 16  # spatial soft-argmax channels: where things are (the video model needs positions)
    frames: int = 4  # video model only: T2V-Turbo-v2 feeds its video reward 4 strided frames of 16
    norm_groups: int = 8
    aux_labels: int = 0  # > 0: training-only linear heads that predict scene attributes from both embeddings

    def to_dict(self) -> dict:
        return asdict(self)


def normalize_pixels(video_or_frames: torch.Tensor) -> torch.Tensor:
    """Pixels in [0, 1] -> the reward models' input ((x - 0.5) / 0.5 per channel)."""
    mean = torch.tensor(PIXEL_MEAN, dtype=video_or_frames.dtype, device=video_or_frames.device)
    std = torch.tensor(PIXEL_STD, dtype=video_or_frames.dtype, device=video_or_frames.device)
    shape = (1, 3) + (1,) * (video_or_frames.dim() - 2)
    return (video_or_frames - mean.view(shape)) / std.view(shape)


def strided_indices(total: int, count: int) -> list[int]:
    """`count` frames evenly strided over `total`: floor(i * total / count), as the studio's scorer."""
    if not 1 <= count <= total:
        raise ValueError(f"cannot take {count} strided frames from {total}")
    return [i * total // count for i in range(count)]


class ConvStage(nn.Module):
    """conv3x3 stride 2 -> GN -> SiLU -> residual conv3x3 -> GN -> SiLU: halves H and W."""

    def __init__(self, c_in: int, c_out: int, groups: int):
        super().__init__()
        self.down = nn.Conv2d(c_in, c_out, 3, stride=2, padding=1)
        self.norm1 = nn.GroupNorm(groups, c_out)
        self.conv = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.norm2 = nn.GroupNorm(groups, c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.silu(self.norm1(self.down(x)))
        return F.silu(h + self.norm2(self.conv(h)))


class ConvTower(nn.Module):
    """(N, C_in, H, W) -> (N, widths[-1], H/f, W/f), f = stem_stride * 2^(stages). With stride 1 the
    stem runs at full resolution, so that pixel-level defects (sensor noise, blur) reach the
    features before any downsampling (the quality model); content models can afford a patch stem."""

    def __init__(self, in_channels: int, widths: list[int], groups: int, stem_stride: int = 1):
        super().__init__()
        if stem_stride not in (1, 2):
            raise ValueError(f"stem_stride must be 1 or 2, got {stem_stride}")
        kernel = 3 if stem_stride == 1 else 4
        self.stem = nn.Conv2d(in_channels, widths[0], kernel, stride=stem_stride, padding=1)
        self.stem_norm = nn.GroupNorm(groups, widths[0])
        self.stages = nn.Sequential(*(ConvStage(a, b, groups) for a, b in zip(widths[:-1], widths[1:], strict=True)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(F.silu(self.stem_norm(self.stem(x))))


class SpatialSoftArgmax(nn.Module):
    """(N, C, h, w) -> (N, 2K): the expected (x, y) in [-1, 1] of K learned keypoint heat maps
    (Levine et al. 2016). Global pooling forgets where an object is; these features keep it."""

    def __init__(self, channels: int, keypoints: int, height: int, width: int):
        super().__init__()
        self.proj = nn.Conv2d(channels, keypoints, 1)
        ys, xs = torch.meshgrid(torch.linspace(-1, 1, height), torch.linspace(-1, 1, width), indexing="ij")
        self.register_buffer("coords", torch.stack([xs.flatten(), ys.flatten()], dim=1), persistent=False)  # (h*w, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        heat = self.proj(x).flatten(2).softmax(dim=-1)  # (N, K, h*w)
        return (heat @ self.coords).reshape(n, -1)  # (N, 2K)


class TextPool(nn.Module):
    """Token context (B, L, Dt) + mask (B, L) -> (B, D): the masked mean and Q learned-query
    attention pools (a query can single out the motion words a mean would drown), then an MLP."""

    def __init__(self, text_dim: int, out_dim: int, queries: int):
        super().__init__()
        self.queries = nn.Parameter(torch.randn(queries, text_dim) * text_dim**-0.5)
        self.key = nn.Linear(text_dim, text_dim)
        self.mlp = nn.Sequential(nn.Linear(text_dim * (queries + 1), 512), nn.SiLU(), nn.Linear(512, out_dim))

    def forward(self, context: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        mask = mask.to(context.dtype)  # (B, L)
        mean = (context * mask[..., None]).sum(dim=1) / mask.sum(dim=1, keepdim=True).clamp_min(1.0)  # (B, Dt)
        scores = self.key(context) @ self.queries.t() * context.shape[-1] ** -0.5  # (B, L, Q)
        scores = scores + ((1.0 - mask) * MASKED_SCORE)[..., None]
        pooled = scores.softmax(dim=1).transpose(1, 2) @ context  # (B, Q, Dt)
        return self.mlp(torch.cat([mean, pooled.flatten(1)], dim=-1))


class AuxHeads(nn.Module):
    """Training-only: linear attribute predictors (multi-label logits) on the visual and the text
    embedding. Both sides learn to expose the same attributes (colour-shape pairs, colour-motion
    pairs, ...) linearly, which trains the encoders far faster than in-batch contrast alone.
    Not part of `forward`, so not part of an exported graph."""

    def __init__(self, cfg: RewardNetConfig):
        super().__init__()
        n = max(cfg.aux_labels, 1)
        self.visual = nn.Linear(cfg.embed_dim, n)
        self.text = nn.Linear(cfg.embed_dim, n)


def _pool_frames(features: torch.Tensor) -> torch.Tensor:
    """(N, C, h, w) -> (N, 2C): mean and max over positions (max keeps small objects visible)."""
    flat = features.flatten(2)
    return torch.cat([flat.mean(dim=-1), flat.amax(dim=-1)], dim=-1)


def _cosine(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Row-wise cosine of (N, D) and (N or 1, D) -> (N,)."""
    return (F.normalize(a, dim=-1) * F.normalize(b, dim=-1)).sum(dim=-1)


class ImageTextReward(nn.Module):
    """CLIP-style frame-prompt alignment: cosine of a frame embedding and a pooled-text embedding."""

    kind = "image_text"

    def __init__(self, cfg: RewardNetConfig, image_size: int = 64):
        super().__init__()
        self.cfg = cfg
        c = cfg.widths[-1]
        self.tower = ConvTower(3, cfg.widths, cfg.norm_groups, cfg.stem_stride)
        self.image_head = nn.Sequential(nn.Linear(2 * c, 256), nn.SiLU(), nn.Linear(256, cfg.embed_dim))
        self.text = TextPool(cfg.text_dim, cfg.embed_dim, cfg.text_queries)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(10.0)))  # training temperature only
        self.aux = AuxHeads(cfg)

    def embed_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) normalised -> (N, D), not normalised."""
        return self.image_head(_pool_frames(self.tower(pixels)))

    def embed_text(self, context: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.text(context, mask)

    def forward(self, pixels: torch.Tensor, context: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """pixels (N, 3, H, W), context (1 or N, L, D), mask (1 or N, L) -> cosine (N,) in [-1, 1]."""
        return _cosine(self.embed_pixels(pixels), self.embed_text(context, mask))


class QualityReward(nn.Module):
    """Per-frame visual quality: a scalar whose differences are preference logits (Bradley-Terry)."""

    kind = "quality"

    def __init__(self, cfg: RewardNetConfig, image_size: int = 64):
        super().__init__()
        self.cfg = cfg
        c = cfg.widths[-1]
        self.tower = ConvTower(3, cfg.widths, cfg.norm_groups, cfg.stem_stride)
        # Mean, max and spread of the features: defects are global (contrast) as well as local (a watermark).
        self.head = nn.Sequential(nn.Linear(3 * c, 256), nn.SiLU(), nn.Linear(256, 1))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        """pixels (N, 3, H, W) -> score (N,); higher is better."""
        flat = self.tower(pixels).flatten(2)  # (N, C, h*w)
        mean = flat.mean(dim=-1)
        spread = (flat - mean[..., None]).pow(2).mean(dim=-1).add(1e-6).sqrt()
        return self.head(torch.cat([mean, flat.amax(dim=-1), spread], dim=-1))[:, 0]


class TemporalBlock(nn.Module):
    """Residual (3, 1) convolution over the frame axis of (B, C, F, 1): a 1D temporal conv in 2D form."""

    def __init__(self, channels: int, groups: int):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels)
        self.conv = nn.Conv2d(channels, channels, (3, 1), padding=(1, 0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(F.silu(self.norm(x)))


class VideoTextReward(nn.Module):
    """Clip-prompt alignment that sees frame order.

    Each frame enters with its forward difference to the next frame (6 channels: a moving edge
    leaves a signed trail whose sign says which way it went); per-frame features are pooled with
    their keypoint positions, given a learned frame-position embedding, mixed by temporal
    convolutions, and flattened in frame order, so "moving left" and "moving right" (or a clip and
    its time reversal) map to different embeddings.
    """

    kind = "video_text"

    def __init__(self, cfg: RewardNetConfig, image_size: int = 64):
        super().__init__()
        self.cfg = cfg
        c, f = cfg.widths[-1], cfg.frames
        side = image_size // downsample_factor(cfg)
        self.tower = ConvTower(6, cfg.widths, cfg.norm_groups, cfg.stem_stride)
        self.keypoints = SpatialSoftArgmax(c, cfg.keypoints, side, side)
        frame_dim = 128
        self.frame_proj = nn.Linear(2 * c + 2 * cfg.keypoints, frame_dim)
        self.frame_pos = nn.Parameter(torch.zeros(f, frame_dim))
        self.temporal = nn.Sequential(TemporalBlock(frame_dim, cfg.norm_groups), TemporalBlock(frame_dim, cfg.norm_groups))
        self.video_head = nn.Sequential(nn.Linear(f * frame_dim, 256), nn.SiLU(), nn.Linear(256, cfg.embed_dim))
        self.text = TextPool(cfg.text_dim, cfg.embed_dim, cfg.text_queries)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(10.0)))  # training temperature only
        self.aux = AuxHeads(cfg)

    def embed_video(self, pixels: torch.Tensor) -> torch.Tensor:
        """(B, 3, F, H, W) normalised -> (B, D), not normalised."""
        b, c, f, h, w = pixels.shape
        if f != self.cfg.frames:
            raise ValueError(f"VideoTextReward takes {self.cfg.frames} frames, got {f}")
        ahead = torch.cat([pixels[:, :, 1:], pixels[:, :, -1:]], dim=2)  # x_{t+1}, the last frame repeated
        x = torch.cat([pixels, ahead - pixels], dim=1)  # (B, 6, F, H, W)
        x = x.transpose(1, 2).reshape(b * f, 2 * c, h, w)  # (B*F, 6, H, W)
        feats = self.tower(x)  # (B*F, C, h', w')
        per_frame = self.frame_proj(torch.cat([_pool_frames(feats), self.keypoints(feats)], dim=-1))  # (B*F, Df)
        seq = per_frame.view(b, f, -1) + self.frame_pos  # (B, F, Df)
        seq = self.temporal(seq.transpose(1, 2)[..., None])[..., 0]  # (B, Df, F)
        return self.video_head(seq.transpose(1, 2).reshape(b, -1))  # frame order is kept by the flatten

    def embed_text(self, context: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.text(context, mask)

    def forward(self, pixels: torch.Tensor, context: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """pixels (B, 3, F, H, W), context (1 or B, L, D), mask (1 or B, L) -> cosine (B,) in [-1, 1]."""
        return _cosine(self.embed_video(pixels), self.embed_text(context, mask))


REWARD_CLASSES: dict[str, type[nn.Module]] = {
    "image_text": ImageTextReward,
    "quality": QualityReward,
    "video_text": VideoTextReward,
}


def downsample_factor(cfg: RewardNetConfig) -> int:
    return cfg.stem_stride * 2 ** (len(cfg.widths) - 1)


def build_reward(kind: str, cfg: RewardNetConfig, image_size: int = 64) -> nn.Module:
    if kind not in REWARD_CLASSES:
        raise ValueError(f"unknown reward model {kind!r}; kinds are {sorted(REWARD_CLASSES)}")
    if image_size % downsample_factor(cfg):
        raise ValueError(f"image size {image_size} must be divisible by {downsample_factor(cfg)}")
    return REWARD_CLASSES[kind](cfg, image_size)
