"""Text -> video with the teacher: 50-step DDIM with classifier-free guidance, then the VAE decoder.

CFG follows T2V-Turbo's convention, eps = eps_c + w (eps_c - eps_u) (t2v_turbo.diffusion.ddim.cfg),
with w = 7.5 by default; the unconditional branch uses the empty prompt, as in training. The
initial latent is the browser engine's seeded noise (t2v_turbo.diffusion.noise, stream 0), so a
(prompt, seed) pair names the same starting point everywhere; a teacher trained with multiscale
noise starts from the seeded multiscale noise of the same discount (the distribution it learnt).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .config import Config
from .diffusion.ddim import cfg as guided
from .diffusion.ddim import sample_ddim
from .diffusion.noise import multiscale_gaussian_like
from .train.teacher import noise_schedule


@torch.no_grad()
def sample_latents(
    unet, context: torch.Tensor, uncond: torch.Tensor, cfg: Config, steps: int, guidance: float, seed: int
) -> torch.Tensor:
    """One clip's diffusion latent (1, C, T, h, w) from noise(seed, stream 0), DDIM + CFG."""
    shape = (1, *cfg.latent_shape)
    z_T = torch.from_numpy(multiscale_gaussian_like(shape, seed, 0, cfg.teacher_training.multiscale_noise))
    fps = torch.full((2,), float(cfg.geometry.fps))
    both = torch.cat([context, uncond])  # (2, L, D): conditional, unconditional

    def eps_fn(z: torch.Tensor, t: int) -> torch.Tensor:
        eps = unet(torch.cat([z, z]), torch.full((2,), float(t)), both, fps)  # (2, C, T, h, w)
        eps_c, eps_u = eps.chunk(2)
        return guided(eps_c, eps_u, guidance)

    return sample_ddim(eps_fn, z_T, noise_schedule(cfg).alphas_cumprod(), steps)


@torch.no_grad()
def sample_videos(
    unet,
    vae,
    latent_scale: float,
    encoder,
    prompts: list[str],
    cfg: Config,
    steps: int = 50,
    guidance: float = 7.5,
    seed: int = 0,
) -> torch.Tensor:
    """prompts -> videos (B, 3, T, H, W) in [-1, 1]; prompt i uses seed + i."""
    contexts, _ = encoder.encode(list(prompts))  # (B, L, D)
    uncond, _ = encoder.encode([""])  # (1, L, D)
    videos = []
    for i in range(len(prompts)):
        z0 = sample_latents(unet, contexts[i : i + 1], uncond, cfg, steps, guidance, seed + i)
        videos.append(vae.decode(z0 / latent_scale).clamp(-1, 1))
    return torch.cat(videos)


def to_uint8(video: torch.Tensor) -> np.ndarray:
    """(3, T, H, W) in [-1, 1] -> (T, H, W, 3) uint8, rounding as the browser does."""
    x = ((video.clamp(-1, 1) + 1) / 2 * 255).round().to(torch.uint8)
    return x.permute(1, 2, 3, 0).cpu().numpy()


def write_mp4(frames: np.ndarray, path: str | Path, fps: int, upscale: int = 1) -> Path:
    """(T, H, W, 3) uint8 -> H.264 MP4 (yuv420p) via PyAV; nearest-neighbour upscale for viewing."""
    import av

    if upscale > 1:
        frames = frames.repeat(upscale, axis=1).repeat(upscale, axis=2)
    t, h, w, _ = frames.shape
    if h % 2 or w % 2:
        raise ValueError(f"H.264 needs even frame sizes, got {w}x{h}; use --upscale 2")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"crf": "16"}
        for frame in frames:
            for packet in stream.encode(
                av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            ):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_frames(frames: np.ndarray, folder: str | Path) -> Path:
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        Image.fromarray(frame).save(folder / f"frame_{i:03d}.png")
    return folder


def write_grid(
    clips: list[np.ndarray],
    labels: list[str],
    path: str | Path,
    every: int = 3,
    upscale: int = 2,
    label_width: int = 260,
) -> Path:
    """One row per clip: its label, then every `every`-th frame, upscaled; a PNG for reports."""
    from PIL import Image, ImageDraw

    rows = []
    for clip, label in zip(clips, labels, strict=True):
        frames = clip[::every]  # (k, H, W, 3)
        strip = np.concatenate(list(frames), axis=1).repeat(upscale, axis=0).repeat(upscale, axis=1)
        canvas = Image.new("RGB", (label_width + strip.shape[1], strip.shape[0] + 4), "white")
        canvas.paste(Image.fromarray(strip), (label_width, 2))
        ImageDraw.Draw(canvas).multiline_text((4, 4), _wrap(label, 40), fill="black")
        rows.append(np.asarray(canvas))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, axis=0)).save(path, optimize=True)
    return path


def _wrap(text: str, width: int) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line])
