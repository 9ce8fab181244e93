"""The LDM / VideoCrafter2 KL autoencoder, applied to every frame of a clip.

Names follow VideoCrafter2's checkpoint under `first_stage_model.` (encoder.conv_in,
encoder.down.N.block.M.*, downsample.conv, mid.block_1/attn_1/block_2, norm_out, conv_out,
quant_conv, post_quant_conv, decoder.*), so tests/test_vae.py can check the `vc2` preset against
/work/shared/reference/vc2-vae-and-text-encoder.tsv. Only 2D convolutions: frames fold into the batch.

Video interface: encode(video (B, 3, T, H, W) in [-1, 1]) -> posterior mean (B, z, T, h, w), unscaled;
decode(z (B, z, T, h, w)) -> (B, 3, T, H, W). The diffusion latent is `latent_scale * encode(...)`,
with latent_scale = 1 / std of training latents (SD's 0.18215), stored with the VAE checkpoint.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..config import VAEConfig


def _norm(channels: int, groups: int) -> nn.GroupNorm:
    if channels % groups:
        raise ValueError(f"vae.norm_groups={groups} does not divide {channels} channels; choose a divisor")
    return nn.GroupNorm(groups, channels, eps=1e-6)


class ResnetBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, dropout: float, groups: int):
        super().__init__()
        self.norm1 = _norm(in_channels, groups)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.norm2 = _norm(out_channels, groups)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.nin_shortcut = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        skip = x if self.nin_shortcut is None else self.nin_shortcut(x)
        return skip + h


class AttnBlock(nn.Module):
    """Single-head self-attention over the H*W positions, with 1x1-conv projections (LDM)."""

    def __init__(self, channels: int, groups: int):
        super().__init__()
        self.norm = _norm(channels, groups)
        self.q = nn.Conv2d(channels, channels, 1)
        self.k = nn.Conv2d(channels, channels, 1)
        self.v = nn.Conv2d(channels, channels, 1)
        self.proj_out = nn.Conv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        y = self.norm(x)

        def tokens(t: torch.Tensor) -> torch.Tensor:
            return t.flatten(2).transpose(1, 2)[:, None]  # (N, 1, H*W, C)

        out = F.scaled_dot_product_attention(tokens(self.q(y)), tokens(self.k(y)), tokens(self.v(y)))
        out = out[:, 0].transpose(1, 2).reshape(n, c, h, w)
        return x + self.proj_out(out)


class Downsample(nn.Module):
    """Stride-2 3x3 conv with LDM's asymmetric (0, 1, 0, 1) padding."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.pad(x, (0, 1, 0, 1)))


class Upsample(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class _Level(nn.Module):
    """One resolution: `block` (ResnetBlocks), `attn` (AttnBlocks, often empty), optional resampler."""

    def __init__(self):
        super().__init__()
        self.block = nn.ModuleList()
        self.attn = nn.ModuleList()


class _Mid(nn.Module):
    def __init__(self, channels: int, dropout: float, groups: int, attention: bool):
        super().__init__()
        self.block_1 = ResnetBlock(channels, channels, dropout, groups)
        self.attn_1 = AttnBlock(channels, groups) if attention else nn.Identity()
        self.block_2 = ResnetBlock(channels, channels, dropout, groups)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block_2(self.attn_1(self.block_1(x)))


def _run_level(level: _Level, h: torch.Tensor) -> torch.Tensor:
    for i, block in enumerate(level.block):
        h = block(h)
        if len(level.attn):
            h = level.attn[i](h)
    return h


class Encoder(nn.Module):
    def __init__(self, cfg: VAEConfig, resolution: int, in_channels: int = 3):
        super().__init__()
        g, ch = cfg.norm_groups, cfg.ch
        self.conv_in = nn.Conv2d(in_channels, ch, 3, padding=1)
        self.down = nn.ModuleList()
        block_in, res = ch, resolution
        for i, mult in enumerate(cfg.ch_mult):
            level = _Level()
            for _ in range(cfg.num_res_blocks):
                level.block.append(ResnetBlock(block_in, ch * mult, cfg.dropout, g))
                block_in = ch * mult
                if res in cfg.attn_resolutions:
                    level.attn.append(AttnBlock(block_in, g))
            if i != len(cfg.ch_mult) - 1:
                level.downsample = Downsample(block_in)
                res //= 2
            self.down.append(level)
        self.mid = _Mid(block_in, cfg.dropout, g, cfg.mid_attention)
        self.norm_out = _norm(block_in, g)
        self.conv_out = nn.Conv2d(block_in, 2 * cfg.z_channels, 3, padding=1)  # mean and log-variance

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv_in(x)
        for level in self.down:
            h = _run_level(level, h)
            if hasattr(level, "downsample"):
                h = level.downsample(h)
        h = self.mid(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, cfg: VAEConfig, resolution: int, out_channels: int = 3):
        super().__init__()
        g, ch, n = cfg.norm_groups, cfg.ch, len(cfg.ch_mult)
        block_in = ch * cfg.ch_mult[-1]
        res = resolution // 2 ** (n - 1)
        self.conv_in = nn.Conv2d(cfg.z_channels, block_in, 3, padding=1)
        self.mid = _Mid(block_in, cfg.dropout, g, cfg.mid_attention)
        levels: list[_Level] = []
        for i in reversed(range(n)):
            level = _Level()
            for _ in range(cfg.num_res_blocks + 1):
                level.block.append(ResnetBlock(block_in, ch * cfg.ch_mult[i], cfg.dropout, g))
                block_in = ch * cfg.ch_mult[i]
                if res in cfg.attn_resolutions:
                    level.attn.append(AttnBlock(block_in, g))
            if i != 0:
                level.upsample = Upsample(block_in)
                res *= 2
            levels.insert(0, level)
        self.up = nn.ModuleList(levels)  # indexed by resolution level, run from the deepest
        self.norm_out = _norm(block_in, g)
        self.conv_out = nn.Conv2d(block_in, out_channels, 3, padding=1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.mid(self.conv_in(z))
        for level in reversed(self.up):
            h = _run_level(level, h)
            if hasattr(level, "upsample"):
                h = level.upsample(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class AutoencoderKL(nn.Module):
    """Per-frame KL autoencoder with a video interface; f = 2^(len(ch_mult) - 1)."""

    def __init__(self, cfg: VAEConfig, resolution: int = 64):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg, resolution)
        self.decoder = Decoder(cfg, resolution)
        self.quant_conv = nn.Conv2d(2 * cfg.z_channels, 2 * cfg.z_channels, 1)
        self.post_quant_conv = nn.Conv2d(cfg.z_channels, cfg.z_channels, 1)

    @property
    def downsample(self) -> int:
        return 2 ** (len(self.cfg.ch_mult) - 1)

    def encode_frames(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """frames (N, 3, H, W) -> posterior (mean, logvar), each (N, z, h, w)."""
        moments = self.quant_conv(self.encoder(frames))
        mean, logvar = moments.chunk(2, dim=1)
        return mean, logvar.clamp(-30.0, 20.0)

    def decode_frames(self, z: torch.Tensor) -> torch.Tensor:
        """z (N, z, h, w) -> frames (N, 3, H, W)."""
        return self.decoder(self.post_quant_conv(z))

    def encode(self, video: torch.Tensor) -> torch.Tensor:
        """video (B, 3, T, H, W) in [-1, 1] -> posterior mean (B, z, T, h, w), unscaled."""
        b, c, t, h, w = video.shape
        frames = video.transpose(1, 2).reshape(b * t, c, h, w)  # (B*T, 3, H, W)
        mean, _ = self.encode_frames(frames)
        return mean.view(b, t, *mean.shape[1:]).transpose(1, 2)  # (B, z, T, h, w)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, z, T, h, w), unscaled -> video (B, 3, T, H, W)."""
        b, c, t, h, w = z.shape
        frames = self.decode_frames(z.transpose(1, 2).reshape(b * t, c, h, w))  # (B*T, 3, H, W)
        return frames.view(b, t, *frames.shape[1:]).transpose(1, 2)

    def forward(self, frames: torch.Tensor, generator: torch.Generator | None = None):
        """Training pass on frames (N, 3, H, W): (reconstruction, mean, logvar), z sampled from q(z|x)."""
        mean, logvar = self.encode_frames(frames)
        noise = torch.randn(mean.shape, generator=generator, dtype=mean.dtype, device=mean.device)
        z = mean + (0.5 * logvar).exp() * noise
        return self.decode_frames(z), mean, logvar
