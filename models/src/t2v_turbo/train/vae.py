"""Stage 1: the per-frame KL autoencoder on procedural promo clips.

Objective (per frame, pixels in [-1, 1]): L1 + MSE + edge-weighted L1 + kl_weight * KL(q(z|x) || N(0, I)).
The edge term weights |x - x_hat| by the target's Sobel magnitude (normalised per image), which
keeps the outlines of small shapes and text crisp at no extra network cost. After training, the
PSNR on held-out (val split) clips and the latent scale factor 1 / std(latents) are measured and
stored with the weights (metadata `extras`), like Stable Diffusion's 0.18215.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..config import Config
from ..data import ClipGeometry, PromoClips
from ..data.sampling import StillShapes
from ..nets.vae import AutoencoderKL
from . import checkpoint as ckpt
from .loop import Stage, batch_rng, process_state, train_stage


def build_vae(cfg: Config) -> AutoencoderKL:
    vae = AutoencoderKL(cfg.vae, resolution=cfg.geometry.height)
    # Start with a near-deterministic posterior (std e^-4 ~ 0.02) rather than unit noise on z,
    # which the decoder would first learn to ignore; LDM trains long enough not to care.
    with torch.no_grad():
        vae.quant_conv.bias[cfg.vae.z_channels :] = -8.0
    return vae


def clip_geometry(cfg: Config) -> ClipGeometry:
    g = cfg.geometry
    return ClipGeometry(frames=g.frames, fps=g.fps, height=g.height, width=g.width)


def dataset(
    cfg: Config, split: str, length: int | None = None, degrade_prob: float | None = None,
    caption_mix: dict[str, float] | None = None,
) -> PromoClips:
    """The procedural clips as the config describes them; the arguments override its data section."""
    d = cfg.data
    return PromoClips(
        split=split,
        length=length or d.train_length,
        seed=d.seed,
        geometry=clip_geometry(cfg),
        degrade_prob=d.degrade_prob if degrade_prob is None else degrade_prob,
        caption_mix=d.caption_mix if caption_mix is None else caption_mix,
        entry_band=d.entry_band,
        object_scale=d.object_scale,
        placement_spread=d.placement_spread,
        still_shapes=StillShapes(tuple(d.still_colors), tuple(d.still_backgrounds)) if d.scenes == "still_shapes" else None,
    )


def sobel_magnitude(x: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) -> (N, 1, H, W) gradient magnitude of the channel mean."""
    gray = x.mean(dim=1, keepdim=True)
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], dtype=x.dtype)
    kernels = torch.stack([kx, kx.T])[:, None]  # (2, 1, 3, 3)
    g = F.conv2d(F.pad(gray, (1, 1, 1, 1), mode="replicate"), kernels)
    return g.pow(2).sum(dim=1, keepdim=True).add(1e-12).sqrt()


def vae_losses(
    model, frames: torch.Tensor, generator: torch.Generator, cfg: Config
) -> dict[str, torch.Tensor]:
    """The VAE objective's named terms on frames (N, 3, H, W); 'loss' is their weighted sum."""
    t = cfg.vae_training
    recon, mean, logvar = model(frames, generator)
    diff = recon - frames
    l1 = diff.abs().mean()
    mse = diff.pow(2).mean()
    edges = sobel_magnitude(frames)
    weight = edges / edges.mean(dim=(2, 3), keepdim=True).clamp_min(1e-3)  # mean 1 per image
    edge = (weight.clamp(max=20.0) * diff.abs()).mean()
    kl = 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=(1, 2, 3)).mean()
    loss = l1 + t.mse_weight * mse + t.edge_weight * edge + t.kl_weight * kl
    return {"loss": loss, "l1": l1, "mse": mse, "edge": edge, "kl": kl}


def frame_batch(ds: PromoClips, cfg: Config, step: int, rank: int, world: int) -> torch.Tensor:
    """This rank's frames for `step`: random frames of random clips, (N, 3, H, W)."""
    t = cfg.vae_training
    rng = batch_rng(t.seed, step)
    per_clip = min(t.frames_per_clip, cfg.geometry.frames)
    clips = max(1, t.batch_size // per_clip)
    indices = rng.integers(0, len(ds), size=(world, clips))[rank]
    chosen = rng.random(size=(world, clips, cfg.geometry.frames)).argsort(axis=-1)[rank, :, :per_clip]
    frames = [
        ds[int(i)]["video"][:, sorted(f.tolist())].transpose(0, 1)
        for i, f in zip(indices, chosen, strict=True)
    ]
    frames = torch.cat(frames)  # (clips * per_clip, 3, H, W)
    if t.crop:
        h, w = frames.shape[-2:]
        corners = rng.integers(0, [h - t.crop + 1, w - t.crop + 1], size=(world, len(frames), 2))[rank]
        frames = torch.stack(
            [f[:, y : y + t.crop, x : x + t.crop] for f, (y, x) in zip(frames, corners, strict=True)]
        )
    return frames


@torch.no_grad()
def measure_psnr(vae: AutoencoderKL, cfg: Config, clips: int) -> dict[str, float]:
    """PSNR (dB, pixels in [0, 1]) of encode -> decode (posterior mean) on held-out val clips,
    overall and separately for clean and degraded clips (noise caps what any autoencoder reaches)."""
    ds = dataset(cfg, "val", length=max(clips, 1))
    vae.eval()
    clean, degraded = [], []
    for i in range(clips):
        item = ds[i]
        video = item["video"][None]  # (1, 3, T, H, W)
        recon = vae.decode(vae.encode(video)).clamp(-1, 1)
        mse = ((recon - video) / 2).pow(2).mean().item()
        (degraded if item["attrs"]["degraded"] else clean).append(10 * math.log10(1.0 / max(mse, 1e-12)))
    every = clean + degraded

    def mean(xs: list[float]) -> float | None:
        return float(np.mean(xs)) if xs else None

    return {
        "psnr_mean": mean(every),
        "psnr_min": float(np.min(every)),
        "psnr_clean": mean(clean),
        "psnr_degraded": mean(degraded),
        "clips": clips,
        "clean_clips": len(clean),
    }


@torch.no_grad()
def measure_latent_std(vae: AutoencoderKL, cfg: Config, clips: int) -> float:
    """std of posterior means over `clips` train clips; the diffusion latent is z / std."""
    ds = dataset(cfg, "train")
    vae.eval()
    rng = np.random.default_rng([cfg.data.seed, 0x5CA1E])
    latents = [vae.encode(ds[int(i)]["video"][None]) for i in rng.integers(0, len(ds), size=clips)]
    return torch.cat(latents).std().item()


def train_vae(
    cfg: Config, run_dir: str | Path, resume: str | None = None, interrupt_after: int | None = None
) -> Path:
    """Train the VAE, then measure PSNR and the latent scale; returns <run_dir>/final."""
    t = cfg.vae_training
    torch.manual_seed(t.seed)
    model = build_vae(cfg)
    ds = dataset(cfg, "train", degrade_prob=t.degrade_prob)
    stage = Stage(
        kind="vae",
        model=model,
        batch_fn=lambda step, rank, world: frame_batch(ds, cfg, step, rank, world),
        loss_fn=lambda m, frames, gen: vae_losses(m, frames, gen, cfg),
    )
    final = train_stage(stage, cfg, t, run_dir, resume, interrupt_after=interrupt_after)
    if not process_state().is_main_process:
        return final
    return finish_vae(cfg, Path(run_dir))


def finish_vae(cfg: Config, run_dir: Path) -> Path:
    """Measure PSNR and the latent scale on the final weights and store them with it."""
    final = run_dir / "final"
    state, meta = ckpt.load_final(final)
    vae = build_vae(cfg)
    vae.load_state_dict(state)
    psnr = measure_psnr(vae, cfg, cfg.data.val_clips)
    std = measure_latent_std(vae, cfg, cfg.vae_training.latent_stats_clips)
    extras = {**meta["extras"], **psnr, "latent_std": std, "latent_scale": 1.0 / std}
    ckpt.save_weights(final / "model.safetensors", state, "vae", meta["step"], cfg, extras)
    _update_meta(final, extras)

    def db(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.2f} dB"

    print(
        f"[vae] held-out PSNR {db(psnr['psnr_mean'])} on {psnr['clips']} val clips (clean {db(psnr['psnr_clean'])} "
        f"on {psnr['clean_clips']}, degraded {db(psnr['psnr_degraded'])}); "
        f"latent std {std:.4f} -> latent_scale {1 / std:.5f}",
        flush=True,
    )
    return final


def _update_meta(final: Path, extras: dict) -> None:
    import json

    meta_path = final / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["extras"] = {**meta.get("extras", {}), **extras}
    meta_path.write_text(json.dumps(meta, indent=2))


def load_vae(path: str | Path) -> tuple[AutoencoderKL, float, Config]:
    """(vae in eval mode, latent_scale, its config) from a VAE final/ folder or weights file."""
    state, meta = ckpt.load_final(path)
    if meta["kind"] != "vae":
        raise ValueError(f"{path} holds a '{meta['kind']}' checkpoint, not a VAE")
    cfg = meta["config"]
    vae = build_vae(cfg)
    vae.load_state_dict(state)
    scale = meta["extras"].get("latent_scale")
    if scale is None:
        raise ValueError(f"{path} has no latent_scale; it was not finished by train_vae")
    return vae.eval().requires_grad_(False), float(scale), cfg
