"""Which words of its caption does a denoiser read? The caption-swap probe.

For held-out single-object clips, the epsilon loss at a timestep t with the clip's true short caption
is compared with the loss when one attribute in the caption is swapped for a wrong value ("a red
circle moving right" -> "a red circle moving left"), on the same z_t and noise. A denoiser that reads
the attribute predicts worse from the wrong caption, so the relative loss increase measures how much
it uses that attribute. A sample checker (evaluate.py) sees an attribute only once samples follow it;
the probe shows a model starting to use a word long before that, and shows a word it ignores as ~0 %.

Motion is probed on the directed motions only (left/right, up/down, zoom in/out, each swapped for its
opposite): for rotate, bounce and still no single wrong value is the clear counterpart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..data.captions import short_caption
from ..data.scene import Scene
from ..data.vocabulary import COLORS, SHAPES, TEXT
from ..diffusion.multiscale_noise import multiscale_noise
from ..diffusion.schedule import add_noise, predicted_x0

OPPOSITE_MOTION = {"left": "right", "right": "left", "up": "down", "down": "up",
                   "zoom_in": "zoom_out", "zoom_out": "zoom_in"}
ATTRIBUTES = ("color", "shape", "motion")
PROBE_TIMESTEPS = (500, 800, 950)  # mid to high noise: where a sample's layout and motion are decided


def probe_scene(scene: Scene) -> bool:
    """One shape (not a word) with a directed motion and no camera pan: every attribute can be swapped."""
    if len(scene.objects) != 1 or scene.pan is not None:
        return False
    obj = scene.objects[0]
    return obj.shape != TEXT and obj.motion in OPPOSITE_MOTION


def swapped_caption(scene: Scene, attribute: str, rng: np.random.Generator) -> str:
    """The scene's short caption with one attribute of its object replaced by a wrong value."""
    obj = scene.objects[0]
    if attribute == "motion":
        changed = dataclasses.replace(obj, motion=OPPOSITE_MOTION[obj.motion])
    elif attribute == "color":
        others = [c for c in COLORS if c != obj.color]
        changed = dataclasses.replace(obj, color=others[int(rng.integers(len(others)))])
    elif attribute == "shape":
        others = [s for s in SHAPES if s != obj.shape]
        changed = dataclasses.replace(obj, shape=others[int(rng.integers(len(others)))])
    else:
        raise ValueError(f"attribute must be one of {ATTRIBUTES}, got {attribute!r}")
    return short_caption(dataclasses.replace(scene, objects=[changed]))


@torch.no_grad()
def caption_probe(
    denoiser: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    encode: Callable[[list[str]], torch.Tensor],
    latents: torch.Tensor,
    scenes: Sequence[Scene],
    abar: torch.Tensor,
    timesteps: Sequence[int] = PROBE_TIMESTEPS,
    seed: int = 0,
    multiscale: float = 0.0,
) -> dict[str, dict[str, float]]:
    """Relative eps-loss increase (%) from each swapped attribute, per timestep, mean over clips.

    denoiser(z_t (B, C, T, h, w), t (B,) float, context (B, L, D)) -> eps (B, C, T, h, w);
    encode(captions) -> context (B, L, D); latents (B, C, T, h, w) are the scenes' clips, scaled.
    multiscale: the noise's coarse-level discount; pass the one the denoiser was trained with, since
    a model is judged on the inputs it learnt (0 = white noise).
    Returns {attribute: {"t=<t>": mean %, "t=<t> se": standard error %}}.
    """
    if latents.shape[0] != len(scenes) or not scenes:
        raise ValueError(f"need one latent per scene, got {latents.shape[0]} latents for {len(scenes)} scenes")
    rng = np.random.default_rng(seed)
    true_context = encode([short_caption(s) for s in scenes])
    wrong_context = {a: encode([swapped_caption(s, a, rng) for s in scenes]) for a in ATTRIBUTES}
    generator = torch.Generator().manual_seed(seed)
    b = latents.shape[0]
    out: dict[str, dict[str, float]] = {a: {} for a in ATTRIBUTES}
    for step in timesteps:
        noise = multiscale_noise(tuple(latents.shape), generator, multiscale)
        t = torch.full((b,), int(step), dtype=torch.long)
        z_t = add_noise(latents, noise, t, abar)

        def loss(context: torch.Tensor) -> torch.Tensor:  # (B,) per-clip eps MSE
            return (denoiser(z_t, t.float(), context) - noise).pow(2).mean(dim=(1, 2, 3, 4))

        base = loss(true_context)
        for attribute in ATTRIBUTES:
            gain = 100.0 * (loss(wrong_context[attribute]) - base) / base  # (B,) %
            out[attribute][f"t={step}"] = float(gain.mean())
            out[attribute][f"t={step} se"] = float(gain.std() / b**0.5) if b > 1 else 0.0
    return out


def probe_clips(cfg, vae, latent_scale: float, count: int = 24, split: str = "val") -> tuple[torch.Tensor, list[Scene]]:
    """The first `count` clean clips of `split` that probe_scene accepts: latents (N, C, T, h, w), scenes.

    split "val": held-out clips. split "train": clips the teacher trained on, from the first
    data.teacher_clips of the train split that its cache holds; a probe that reads a word on these and not
    on held-out clips has memorised the training clips rather than learnt the word. Fewer than `count`
    where the cache holds fewer.
    """
    from ..data.render import render_clip
    from ..train.vae import dataset

    ds = dataset(cfg, split, degrade_prob=0.0)
    scenes, videos = [], []
    for index in range(cfg.data.teacher_clips if split == "train" else len(ds)):
        attrs, *_ = ds.item_attrs(index)
        scene = Scene.from_dict(attrs)
        if not probe_scene(scene):
            continue
        frames = render_clip(attrs, ds.geometry)  # (T, H, W, 3) uint8
        videos.append(torch.from_numpy(frames).permute(3, 0, 1, 2).float() / 127.5 - 1.0)  # (3, T, H, W)
        scenes.append(scene)
        if len(scenes) == count:
            break
    if not scenes:
        raise ValueError(f"no clip of the {split} split can be probed (one shape, a directed motion, no pan)")
    with torch.no_grad():
        latents = vae.encode(torch.stack(videos)) * latent_scale  # (N, C, T, h, w)
    return latents, scenes


@torch.no_grad()
def layout_leak(
    denoiser: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    empty_context: torch.Tensor,
    latents: torch.Tensor,
    abar: torch.Tensor,
    timestep: int | None = None,
    seed: int = 0,
    multiscale: float = 0.0,
) -> dict[str, float]:
    """How much of a clip the denoiser recovers from z_t alone, with the empty caption, at the top t.

    Sampling starts from pure noise; training at t = 999 does not (abar_999 = 0.0047, see
    diffusion/multiscale_noise.py). A denoiser that reads the clip out of that residue has not had to
    make the layout from the caption. Returns the mean cosine, over clips, between x0_hat - mean and
    x0 - mean ("clip"), the same for the frame-averaged layout ("layout") and for each frame's
    deviation from it, which carries the motion ("motion"). empty_context: (1, L, D). multiscale: the
    training noise's discount, as in caption_probe (a multiscale teacher fed white noise would see
    coarse structure it was never shown hidden, and read more than it does when sampling).
    """
    t = abar.shape[0] - 1 if timestep is None else timestep
    b = latents.shape[0]
    noise = multiscale_noise(tuple(latents.shape), torch.Generator().manual_seed(seed), multiscale)
    steps = torch.full((b,), t, dtype=torch.long)
    z_t = add_noise(latents, noise, steps, abar)
    x0_hat = predicted_x0(z_t, denoiser(z_t, steps.float(), empty_context.expand(b, -1, -1)), abar[t])
    mean = latents.mean(dim=(0, 2, 3, 4), keepdim=True)  # (1, C, 1, 1, 1) the probe clips' mean latent

    def cosine(a: torch.Tensor, c: torch.Tensor) -> float:
        a, c = a.flatten(1), c.flatten(1)
        return float((F.cosine_similarity(a, c, dim=1, eps=1e-12)).mean())

    predicted, true = x0_hat - mean, latents - mean  # (B, C, T, h, w)
    return {
        "t": int(t),
        "clip": cosine(predicted, true),
        "layout": cosine(predicted.mean(dim=2), true.mean(dim=2)),
        "motion": cosine(predicted - predicted.mean(dim=2, keepdim=True), true - true.mean(dim=2, keepdim=True)),
    }


X0_ERROR_TIMESTEPS = (500, 800, 900, 950, 999)


@torch.no_grad()
def x0_error(
    denoiser: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
    context: torch.Tensor,
    latents: torch.Tensor,
    abar: torch.Tensor,
    timesteps: Sequence[int] = X0_ERROR_TIMESTEPS,
    seed: int = 0,
    multiscale: float = 0.0,
) -> dict[str, float]:
    """Mean square error of the x0 implied by the denoiser's epsilon, given the true captions, per t.

    The baseline ("mean") predicts the probe clips' mean latent everywhere: any denoiser should beat
    it, since the caption names the object's colour and shape. An epsilon-predicting UNet can fail
    to at high noise, where x0 = (z - sqrt(1 - abar) eps) / sqrt(abar) multiplies its error by up to
    15 (t = 999); there the layout and motion a sample will have are decided (unet.prediction = "v").
    context: (B, L, D) the clips' own captions. Returns {"t=<t>": mse, ..., "mean": baseline mse}.
    """
    out = {}
    for t in timesteps:
        noise = multiscale_noise(tuple(latents.shape), torch.Generator().manual_seed(seed), multiscale)
        steps = torch.full((latents.shape[0],), t, dtype=torch.long)
        z_t = add_noise(latents, noise, steps, abar)
        x0_hat = predicted_x0(z_t, denoiser(z_t, steps.float(), context), abar[t])
        out[f"t={t}"] = float((x0_hat - latents).pow(2).mean())
    out["mean"] = float((latents - latents.mean(dim=(0, 2, 3, 4), keepdim=True)).pow(2).mean())
    return out


def training_clip_probe(cfg, vae, latent_scale: float, denoiser, encode, abar: torch.Tensor, multiscale: float = 0.0,
                        count: int = 24) -> dict:
    """The caption-swap probe and the x0 error on clips the teacher trained on (probe_clips' "train" split).

    Beside the held-out figures this separates a learnt word from a memorised clip: a denoiser that
    recognises a training clip by its caption loses with a wrong shape word on that clip even if it
    draws no shape for a new one. encode(captions) -> context (B, L, D).
    Returns {"clips": N, "caption_probe": ..., "x0_error": ...}.
    """
    latents, scenes = probe_clips(cfg, vae, latent_scale, count=count, split="train")
    context = encode([short_caption(s) for s in scenes])
    return {"clips": len(scenes),
            "caption_probe": caption_probe(denoiser, encode, latents, scenes, abar, multiscale=multiscale),
            "x0_error": x0_error(denoiser, context, latents, abar, timesteps=PROBE_TIMESTEPS, multiscale=multiscale)}


def format_probe(probe: dict[str, dict[str, float]]) -> str:
    """One line: attribute t=500/800/950 gains in %."""
    parts = []
    for attribute, values in probe.items():
        gains = "/".join(f"{v:+.2f}" for k, v in values.items() if not k.endswith(" se"))
        parts.append(f"{attribute} {gains} %")
    return "; ".join(parts)
