"""Degradations that make a share of clips look like low-quality web video, each recorded in the scene.

Kinds: sensor noise, blur, temporal jitter (camera shake and stuttering frames), low contrast, and
a semi-transparent watermark. Parameters are drawn once (`sample_degradations`) and stored in the
scene's attrs; the random parts (noise, shake) come from the scene's own seed, so rendering the
same attrs always gives the same pixels, and dropping a kind from attrs gives the clean twin.
"""

from __future__ import annotations

import numpy as np

from t2v_turbo.data import glyphs
from t2v_turbo.data.vocabulary import DEGRADATIONS

WATERMARKS = ("PREVIEW", "STOCK", "SAMPLE")

# Parameter ranges: strong enough to be visible at 64x64 (a quality filter has to find them
# from pixels), mild enough that the content still reads.
NOISE_SIGMA = (0.05, 0.10)  # std of Gaussian noise, in [0, 1] pixel units
BLUR_SIGMA = (1.0, 1.6)  # pixels
SHAKE_PIXELS = (2.0, 4.0)  # largest camera-shake offset, as a fraction of 64 px scaled to the frame
STUTTER = (0.2, 0.4)  # share of frames replaced by their predecessor
CONTRAST = (0.2, 0.35)  # remaining contrast around the clip's mean colour
WATERMARK_ALPHA = (0.4, 0.6)
# The parameters each kind's attrs entry must carry (`text` indexes WATERMARKS).
PARAMETERS = {
    "noise": ("sigma",),
    "blur": ("sigma",),
    "jitter": ("shake", "stutter"),
    "low_contrast": ("contrast",),
    "watermark": ("alpha", "text", "x", "y"),
}


def sample_degradations(rng: np.random.Generator) -> tuple[list[str], dict[str, dict[str, float]]]:
    """One kind (80 %) or two, with their parameters."""
    count = 1 if rng.random() < 0.8 else 2
    kinds = sorted(rng.choice(len(DEGRADATIONS), size=count, replace=False).tolist())
    degraded = [DEGRADATIONS[k] for k in kinds]
    params: dict[str, dict[str, float]] = {}
    for kind in degraded:
        if kind == "noise":
            params[kind] = {"sigma": rng.uniform(*NOISE_SIGMA)}
        elif kind == "blur":
            params[kind] = {"sigma": rng.uniform(*BLUR_SIGMA)}
        elif kind == "jitter":
            params[kind] = {"shake": rng.uniform(*SHAKE_PIXELS), "stutter": rng.uniform(*STUTTER)}
        elif kind == "low_contrast":
            params[kind] = {"contrast": rng.uniform(*CONTRAST)}
        elif kind == "watermark":
            params[kind] = {
                "alpha": rng.uniform(*WATERMARK_ALPHA),
                "text": float(rng.integers(len(WATERMARKS))),
                "x": rng.uniform(0.3, 0.7),
                "y": rng.uniform(0.25, 0.75),
            }
    return degraded, params


def apply_degradations(frames: np.ndarray, scene) -> np.ndarray:
    """Apply the scene's degradations to float32 (T, H, W, 3) frames in [0, 1], in a fixed physical order."""
    if not scene.degraded:
        return frames
    params = {kind: scene.degradation.get(kind, {}) for kind in scene.degraded}
    rng = np.random.default_rng(scene.seed)
    # Content first (the watermark is burnt into the source), then optics, then the camera, then the sensor.
    if "watermark" in params:
        frames = _watermark(frames, **params["watermark"])
    if "low_contrast" in params:
        frames = _low_contrast(frames, **params["low_contrast"])
    if "blur" in params:
        frames = gaussian_blur(frames, params["blur"]["sigma"])
    if "jitter" in params:
        frames = _jitter(frames, rng, **params["jitter"])
    if "noise" in params:
        frames = frames + rng.normal(0.0, params["noise"]["sigma"], frames.shape).astype(np.float32)
    return np.clip(frames, 0.0, 1.0).astype(np.float32)


def _gaussian_kernel(sigma: float) -> np.ndarray:
    radius = max(1, int(np.ceil(3 * sigma)))
    x = np.arange(-radius, radius + 1, dtype=np.float32)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def gaussian_blur(frames: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur over H and W of (T, H, W, C) frames, edges replicated."""
    k = _gaussian_kernel(sigma)
    r = len(k) // 2
    out = frames
    for axis in (1, 2):
        pad = [(0, 0)] * out.ndim
        pad[axis] = (r, r)
        padded = np.pad(out, pad, mode="edge")
        n = out.shape[axis]
        acc = np.zeros_like(out)
        for i, weight in enumerate(k):
            acc += weight * np.take(padded, np.arange(i, i + n), axis=axis)
        out = acc
    return out


def _low_contrast(frames: np.ndarray, contrast: float) -> np.ndarray:
    mean = frames.mean(axis=(0, 1, 2), keepdims=True)
    return mean + contrast * (frames - mean)


def _jitter(frames: np.ndarray, rng: np.random.Generator, shake: float, stutter: float) -> np.ndarray:
    """Camera shake (a random whole-pixel offset per frame) and stutter (frames repeating the previous one)."""
    t, h, w, _ = frames.shape
    amplitude = max(1, round(shake * min(h, w) / 64))
    out = np.empty_like(frames)
    for i in range(t):
        oy, ox = rng.integers(-amplitude, amplitude + 1, size=2)
        ys = np.clip(np.arange(h) - oy, 0, h - 1)
        xs = np.clip(np.arange(w) - ox, 0, w - 1)
        out[i] = frames[i][ys][:, xs]
    repeat = rng.random(t) < stutter
    repeat[0] = False
    for i in np.flatnonzero(repeat):
        out[i] = out[i - 1]
    return out


def _watermark(frames: np.ndarray, alpha: float, text: float, x: float, y: float) -> np.ndarray:
    """A static, semi-transparent white word, as stock-footage previews carry."""
    t, h, w, _ = frames.shape
    word = WATERMARKS[int(text)]
    half_height = 0.06 * min(h, w)
    ys = (np.arange(h, dtype=np.float32) + 0.5 - y * h)[:, None] / half_height
    xs = (np.arange(w, dtype=np.float32) + 0.5 - x * w)[None, :] / half_height
    coverage = glyphs.sample_glyph(word, xs, ys, 2 * half_height)  # (H, W)
    a = (alpha * coverage)[None, :, :, None].astype(np.float32)  # (1, H, W, 1)
    return frames + a * (1.0 - frames)
