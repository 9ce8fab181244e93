"""Synthetic stand-ins for the real T2V-Turbo-v2 files: the same key names, prefixes, wrapper and
schedule buffers as VideoCrafter2's model.ckpt and T2V-Turbo-v2's unet_mg.pt, random weights, at the
vc2 preset's full structure (every level, block and layer) but reduced widths. The converter cannot
tell them from the real files except by size; tests and the browser end-to-end test convert them.

  python models/tests/vc2_fixtures.py OUT_DIR                # OUT_DIR/model.ckpt and OUT_DIR/unet_mg.pt
  python models/tests/vc2_fixtures.py OUT_DIR --package PKG  # and convert them into the package PKG (fp32)
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from t2v_turbo.config import Config, resolve_config
from t2v_turbo.diffusion.schedule import NoiseSchedule
from t2v_turbo.export.vc2 import STUDENT_ONLY, TEXT_PREFIX, UNET_PREFIX, VAE_PREFIX
from t2v_turbo.nets.clip_tokenizer import ClipBpeTokenizer
from t2v_turbo.nets.open_clip_text import ClipTextConfig, OpenClipTextEncoder
from t2v_turbo.nets.unet3d import UNet3D
from t2v_turbo.nets.vae import AutoencoderKL

# The vc2 preset at reduced width: 4 frames of 64x64 (latent 4x4x8x8), UNet 16 channels wide with all
# its levels, blocks and transformers, a 16-channel VAE, a 64-wide text tower of 4 layers (1 head).
TINY_OVERRIDES = [
    "geometry.frames=4", "geometry.height=64", "geometry.width=64",
    "unet.model_channels=16", "unet.num_head_channels=8", "unet.init_attn_heads=2", "unet.norm_groups=8",
    "unet.context_dim=64", "unet.dropout=0.0", "text.embed_dim=64",
    "vae.ch=16", "vae.norm_groups=8",
]
TINY_TEXT = ClipTextConfig(width=64, layers=4, heads=1)


def tiny_config() -> Config:
    return resolve_config("vc2", overrides=TINY_OVERRIDES)


def schedule_buffers(cfg: Config) -> dict[str, torch.Tensor]:
    """LVDM's DDPM buffers (values as VideoCrafter2 computes them; the converter ignores them)."""
    s = cfg.schedule
    betas = torch.tensor(NoiseSchedule(s.num_train_timesteps, s.beta_start, s.beta_end).betas())
    abar = torch.cumprod(1 - betas, 0)
    prev = torch.cat([torch.ones(1, dtype=abar.dtype), abar[:-1]])
    variance = betas * (1 - prev) / (1 - abar)
    scale = torch.cat([torch.linspace(1.0, 0.7, 400), torch.full((s.num_train_timesteps - 400,), 0.7)])
    return {k: v.float() for k, v in {
        "betas": betas, "alphas_cumprod": abar, "alphas_cumprod_prev": prev, "sqrt_alphas_cumprod": abar.sqrt(),
        "sqrt_one_minus_alphas_cumprod": (1 - abar).sqrt(), "log_one_minus_alphas_cumprod": (1 - abar).log(),
        "sqrt_recip_alphas_cumprod": abar.rsqrt(), "sqrt_recipm1_alphas_cumprod": (1 / abar - 1).sqrt(),
        "posterior_variance": variance, "posterior_log_variance_clipped": variance.clamp_min(1e-20).log(),
        "posterior_mean_coef1": betas * prev.sqrt() / (1 - abar),
        "posterior_mean_coef2": (1 - prev) * (1 - betas).sqrt() / (1 - abar), "scale_arr": scale,
    }.items()}


def synthetic_state(cfg: Config, text_cfg: ClipTextConfig, seed: int = 0) -> tuple[dict, dict]:
    """(base checkpoint object, student state dict) with random weights and the real names."""
    torch.manual_seed(seed)
    unet = UNet3D(cfg.unet)
    vae = AutoencoderKL(cfg.vae, cfg.geometry.height)
    text = OpenClipTextEncoder(text_cfg, ClipBpeTokenizer.from_file(max_length=text_cfg.context_length))
    with torch.no_grad():  # zero-initialised outputs and projections would hide whole paths
        for p in unet.parameters():
            if not p.any():
                p.normal_(std=0.05)
    student = {k: v.clone() for k, v in unet.state_dict().items()}
    base = {UNET_PREFIX + k: v.clone() for k, v in student.items() if k not in STUDENT_ONLY}
    base |= {VAE_PREFIX + k: v.clone() for k, v in vae.state_dict().items()}
    base |= {TEXT_PREFIX + k: v.clone() for k, v in text.state_dict().items()}
    base |= {TEXT_PREFIX + "text_projection": torch.randn(text_cfg.width, text_cfg.width) * 0.02,
             TEXT_PREFIX + "logit_scale": torch.tensor(4.6052)}
    base |= schedule_buffers(cfg)
    return {"state_dict": base, "epoch": 0, "global_step": 0}, student  # Lightning-style wrapper


def write_synthetic(folder: str | Path, cfg: Config | None = None, text_cfg: ClipTextConfig = TINY_TEXT,
                    seed: int = 0) -> tuple[Path, Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    base, student = synthetic_state(cfg or tiny_config(), text_cfg, seed)
    torch.save(base, folder / "model.ckpt")
    torch.save(student, folder / "unet_mg.pt")
    return folder / "model.ckpt", folder / "unet_mg.pt"


def convert_tiny(base: Path, unet: Path, out: str | Path) -> int:
    """`python -m t2v_turbo convert` on the synthetic files, at the reduced widths, fp32 (CPU-friendly)."""
    from t2v_turbo.cli import main

    overrides = [a for o in TINY_OVERRIDES for a in ("--set", o)]
    return main(["convert", "--vc2", str(base), "--unet", str(unet), "--out", str(out),
                 "--precisions", "fp32", "--text-precisions", "fp32", *overrides])


if __name__ == "__main__":
    base_path, unet_path = write_synthetic(sys.argv[1])
    print(base_path, unet_path, sep="\n")
    if len(sys.argv) == 4 and sys.argv[2] == "--package":
        raise SystemExit(convert_tiny(base_path, unet_path, sys.argv[3]))
