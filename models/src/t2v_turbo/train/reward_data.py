"""Training and evaluation data of the reward models, all rendered from scene attrs.

- content keys: which clips a caption fits. A single frame cannot show motion, so the image-text
  model's positives are clips with the same objects (colour + shape/word), whatever they do; the
  video-text model's positives are clips with the same short caption.
- motion counterfactuals: the same scene with one object's motion changed (the opposite motion,
  with the trajectory mirrored in place, or any other visible motion, kept inside the frame).
  They are the video-text model's hard negatives: only motion tells them apart.
- quality pairs: (better, worse) versions of one frame: clean vs one of the dataset's
  degradations (t2v_turbo.data.degrade, rendered into the same frame) or a rendering corruption
  (wrong colours, ghosting, blocking, blotches, broken shapes), or one defect at two strengths.
"""

from __future__ import annotations

import copy

import numpy as np

from ..data import degrade as degrade_mod
from ..data.captions import dense_caption, short_caption
from ..data.dataset import PromoClips
from ..data.glyphs import aspect
from ..data.render import render_clip
from ..data.sampling import MARGIN, ZOOM_IN_SIZE, ZOOM_OUT_SIZE
from ..data.scene import SHIFT, ZOOM, ClipGeometry, Scene, pan_offset, trajectory
from ..data.vocabulary import COLORS, INVISIBLE, MOTIONS, SHAPES, TEXT, WORDS

OPPOSITE = {"left": "right", "right": "left", "up": "down", "down": "up", "zoom_in": "zoom_out", "zoom_out": "zoom_in"}
AXIS = {"left": "x", "right": "x", "up": "y", "down": "y"}
SIZE_FACTOR = {"zoom_in": ZOOM_IN_SIZE, "zoom_out": ZOOM_OUT_SIZE}  # the sampler's start sizes for zooms
# Frame-level defects the quality model must rank below clean frames. Jitter (shake, stutter) is a
# temporal defect that one frame cannot show, so it is left to the video metrics.
DEGRADATION_KINDS = ("noise", "blur", "low_contrast", "watermark")
CORRUPTION_KINDS = ("color_shift", "ghosting", "blocky", "blotches", "patch_shuffle")
QUALITY_KINDS = DEGRADATION_KINDS + CORRUPTION_KINDS
MIN_VISIBLE = 2e-3  # mean |worse - better| below this (half a grey level) is no defect to learn from


COLOR_NAMES = tuple(COLORS)
SHAPE_NAMES = (*SHAPES, *(f"word {w}" for w in WORDS))  # a word object is its own "shape"


def _shape_name(obj: dict) -> str:
    return f"word {obj['word']}" if obj["shape"] == TEXT else obj["shape"]


def _one_hots(attrs: dict, spaces: list[tuple[str, ...]]) -> np.ndarray:
    """Multi-label presence vector: for each space (a tuple of attribute names), every object's
    combination of those attributes, one slot per possible combination, spaces concatenated."""
    sizes = {"color": len(COLOR_NAMES), "shape": len(SHAPE_NAMES), "motion": len(MOTIONS)}

    def index(obj: dict, name: str) -> int:
        if name == "color":
            return COLOR_NAMES.index(obj["color"])
        if name == "shape":
            return SHAPE_NAMES.index(_shape_name(obj))
        return MOTIONS.index(obj["motion"])

    parts = []
    for space in spaces:
        size = int(np.prod([sizes[n] for n in space]))
        v = np.zeros(size, np.float32)
        for obj in attrs["objects"]:
            flat = 0
            for n in space:
                flat = flat * sizes[n] + index(obj, n)
            v[flat] = 1.0
        parts.append(v)
    return np.concatenate(parts)


# What each content model's auxiliary heads predict: a frame shows colours and shapes; a clip also motion.
IMAGE_LABELS = [("color", "shape"), ("color",), ("shape",)]
VIDEO_LABELS = [("color", "motion"), ("shape", "motion"), ("motion",)]


def image_labels(attrs: dict) -> np.ndarray:
    return _one_hots(attrs, IMAGE_LABELS)


def video_labels(attrs: dict) -> np.ndarray:
    return _one_hots(attrs, VIDEO_LABELS)


def label_count(spaces: list[tuple[str, ...]]) -> int:
    return len(_one_hots({"objects": []}, spaces))


def static_key(attrs: dict) -> str:
    """What one frame can show of a scene's objects: colours and shapes/words, order-free."""
    return "|".join(sorted(f"{o['color']} {o['word'] if o['shape'] == TEXT else o['shape']}" for o in attrs["objects"]))


def clean_attrs(attrs: dict) -> dict:
    """The scene without its degradations (render_clip of it is the clean twin)."""
    out = copy.deepcopy(attrs)
    out["degraded"], out["degradation"] = [], {}
    return out


def to_unit(frames: np.ndarray) -> np.ndarray:
    """uint8 (..., H, W, 3) -> float32 (..., 3, H, W) in [0, 1]."""
    return np.moveaxis(frames.astype(np.float32) / 255.0, -1, -3)


# ---------------------------------------------------------------------------------------------
# Motion counterfactuals


def _half_extent(obj: dict, geometry: ClipGeometry) -> tuple[float, float]:
    """A conservative half width/height of the object at scale 1, fractions of the frame."""
    r = obj["size"] * min(geometry.height, geometry.width)
    if obj["shape"] == TEXT:
        hx, hy = r * aspect(obj["word"]), r
        if obj["motion"] == "rotate":
            hx = hy = float(np.hypot(hx, hy))
    else:
        hx = hy = r * 1.25  # the largest reach of any shape (triangle), rotation included
    return hx / geometry.width, hy / geometry.height


def _fit_start(obj: dict, geometry: ClipGeometry, pan: str | None) -> tuple[float, float] | None:
    """The start closest to obj['start'] that keeps the whole trajectory in frame, or None."""
    from ..data.scene import SceneObject

    so = SceneObject(obj["shape"], obj["color"], obj["motion"], obj["speed"], (0.5, 0.5), obj["size"], obj["word"])
    traj = trajectory(so, geometry.frames)
    pan_dx, pan_dy = pan_offset(pan, geometry.frames)
    hx, hy = _half_extent(obj, geometry)
    start = []
    for offset, shift, half, current in ((traj.x - 0.5, pan_dx, hx, obj["start"][0]),
                                         (traj.y - 0.5, pan_dy, hy, obj["start"][1])):
        extent = half * traj.scale
        lo = float(np.max(MARGIN + extent - offset - shift))
        hi = float(np.min(1 - MARGIN - extent - offset - shift))
        if lo > hi:
            return None
        start.append(float(np.clip(current, lo, hi)))
    return start[0], start[1]


def allowed_motions(obj: dict, pan: str | None) -> list[str]:
    """Motions this object could have in this scene: visible on its shape, not along the pan's axis."""
    return [m for m in MOTIONS
            if (obj["shape"], m) not in INVISIBLE and not (pan is not None and AXIS.get(m) == AXIS[pan])]


def with_motion(attrs: dict, index: int, motion: str, geometry: ClipGeometry, rng: np.random.Generator,
                mirror: bool = True) -> dict | None:
    """attrs with object `index` doing `motion` instead; None if it cannot stay in frame.

    With mirror (and `motion` the opposite of the current one) the new trajectory is the old one
    reversed: same path, same sizes, other direction. Otherwise the start is moved as little as
    needed to keep the object inside the frame.
    """
    out = copy.deepcopy(attrs)
    obj = out["objects"][index]
    old = obj["motion"]
    if motion == old:
        raise ValueError(f"object {index} already moves {motion!r}")
    if mirror and OPPOSITE.get(old) == motion:
        if old in AXIS:  # start where the old path ended
            sign = 1 if old in ("right", "down") else -1
            k = 0 if AXIS[old] == "x" else 1
            start = list(obj["start"])
            start[k] += sign * SHIFT[obj["speed"]]
            obj["start"] = start
        else:  # zoom: the new clip starts at the size the old one ended with
            factor = ZOOM[obj["speed"]]
            obj["size"] = obj["size"] * factor if old == "zoom_in" else obj["size"] / factor
        obj["motion"] = motion
        return out if 0 < obj["size"] <= 0.5 else None
    base = obj["size"] / SIZE_FACTOR.get(old, 1.0)
    obj["motion"] = motion
    obj["size"] = base * SIZE_FACTOR.get(motion, 1.0)
    if motion == "still":
        obj["speed"] = None
    elif obj["speed"] is None:
        obj["speed"] = str(rng.choice(["slow", "fast"]))
    start = _fit_start(obj, geometry, out.get("pan"))
    if start is None or not 0 < obj["size"] <= 0.5:
        return None
    obj["start"] = [start[0], start[1]]
    return out


def motion_counterfactual(attrs: dict, geometry: ClipGeometry, rng: np.random.Generator,
                          opposite_share: float = 0.5) -> dict | None:
    """The scene with one random object's motion changed (opposite if possible, with opposite_share)."""
    index = int(rng.integers(len(attrs["objects"])))
    obj = attrs["objects"][index]
    if obj["motion"] in OPPOSITE and rng.random() < opposite_share:
        out = with_motion(attrs, index, OPPOSITE[obj["motion"]], geometry, rng)
        if out is not None:
            return out
    options = [m for m in allowed_motions(obj, attrs.get("pan")) if m != obj["motion"]]
    for motion in rng.permutation(options):
        out = with_motion(attrs, index, str(motion), geometry, rng, mirror=False)
        if out is not None:
            return out
    return None


def caption_of(attrs: dict, style: str, rng: np.random.Generator) -> str:
    scene = Scene.from_dict(attrs)
    return short_caption(scene) if style == "short" else dense_caption(scene, rng)


# ---------------------------------------------------------------------------------------------
# Quality pairs


def _degradation_params(kind: str, strength: float) -> dict[str, float]:
    """Parameters of a dataset degradation at strength in [0, 1] (1 = the dataset's strongest)."""
    def lerp(lo_hi: tuple[float, float], lo_scale: float = 0.5) -> float:
        lo, hi = lo_hi
        return lo * lo_scale + (hi - lo * lo_scale) * strength

    if kind == "noise":
        return {"sigma": lerp(degrade_mod.NOISE_SIGMA)}
    if kind == "blur":
        return {"sigma": lerp(degrade_mod.BLUR_SIGMA)}
    if kind == "low_contrast":
        lo, hi = degrade_mod.CONTRAST
        return {"contrast": 1.0 - (1.0 - lo) * (0.4 + 0.6 * strength)}  # lower contrast = stronger
    if kind == "watermark":
        return {"alpha": lerp(degrade_mod.WATERMARK_ALPHA), "text": 0.0, "x": 0.5, "y": 0.5}
    raise ValueError(kind)


def degrade_frame(frame: np.ndarray, attrs: dict, kind: str, strength: float, rng: np.random.Generator) -> np.ndarray:
    """One frame (H, W, 3) in [0, 1] with a dataset degradation applied, as render_clip would."""
    params = _degradation_params(kind, strength)
    if kind == "watermark":
        params.update(text=float(rng.integers(len(degrade_mod.WATERMARKS))), x=rng.uniform(0.3, 0.7),
                      y=rng.uniform(0.25, 0.75))
    scene = Scene.from_dict({**clean_attrs(attrs), "degraded": [kind], "degradation": {kind: params},
                             "seed": int(rng.integers(2**32))})
    return degrade_mod.apply_degradations(frame[None].astype(np.float32), scene)[0]


def corrupt_frame(frame: np.ndarray, kind: str, strength: float, rng: np.random.Generator) -> np.ndarray:
    """A rendering failure of the kind generators show, on (H, W, 3) in [0, 1]; strength in [0, 1]."""
    h, w, _ = frame.shape
    x = frame.astype(np.float32)
    s = 0.35 + 0.65 * strength
    if kind == "color_shift":  # over-cooked colours: channel gamma and cross-talk (reward hacking's look)
        gamma = np.exp(rng.uniform(-1.2, 1.2, size=3) * s).astype(np.float32)
        mix = np.eye(3, dtype=np.float32) * (1 - 0.5 * s) + 0.5 * s * np.eye(3, dtype=np.float32)[rng.permutation(3)]
        out = np.power(np.clip(x, 1e-4, 1), gamma) @ mix.T
    elif kind == "ghosting":  # a displaced second copy: unstable structure across denoising steps
        dy, dx = rng.integers(3, 9, size=2) * rng.choice([-1, 1], size=2)
        shifted = np.roll(x, (int(dy), int(dx)), axis=(0, 1))
        out = (1 - 0.45 * s) * x + 0.45 * s * shifted
    elif kind == "blocky":  # block artefacts: average over k x k blocks
        k = 4 if strength < 0.5 else 8
        k = min(k, h, w)
        blocks = x[: h // k * k, : w // k * k].reshape(h // k, k, w // k, k, 3).mean(axis=(1, 3))
        coarse = blocks.repeat(k, axis=0).repeat(k, axis=1)
        out = x.copy()
        out[: coarse.shape[0], : coarse.shape[1]] = (1 - s) * out[: coarse.shape[0], : coarse.shape[1]] + s * coarse
    elif kind == "blotches":  # smooth stains of wrong colour
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        out = x.copy()
        for _ in range(int(rng.integers(2, 5))):
            cy, cx = rng.uniform(0, h), rng.uniform(0, w)
            sigma = rng.uniform(0.06, 0.15) * min(h, w)
            blob = np.exp(-((ys - cy) ** 2 + (xs - cx) ** 2) / (2 * sigma**2))[..., None] * 0.8 * s
            out = out + blob * (rng.uniform(0, 1, size=3).astype(np.float32) - out)
    elif kind == "patch_shuffle":  # broken shapes: blocks of the picture swapped around
        k = max(2, min(h, w) // 8)
        out = x.copy()
        for _ in range(int(2 + 6 * s)):
            (y0, y1), (x0, x1) = rng.integers(0, h - k, size=2), rng.integers(0, w - k, size=2)
            a, b = out[y0:y0 + k, x0:x0 + k].copy(), out[y1:y1 + k, x1:x1 + k].copy()
            out[y0:y0 + k, x0:x0 + k], out[y1:y1 + k, x1:x1 + k] = b, a
    else:
        raise ValueError(f"unknown corruption {kind!r}; kinds are {CORRUPTION_KINDS}")
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def defective_frame(frame: np.ndarray, attrs: dict, kind: str, strength: float, rng: np.random.Generator) -> np.ndarray:
    if kind in DEGRADATION_KINDS:
        return degrade_frame(frame, attrs, kind, strength, rng)
    return corrupt_frame(frame, kind, strength, rng)


def quantise(frame: np.ndarray) -> np.ndarray:
    """Through 8 bits and back, as every frame the studio shows (and scores) is."""
    return np.rint(np.clip(frame, 0, 1) * 255.0).astype(np.float32) / 255.0


def quality_pairs(ds: PromoClips, indices: np.ndarray, rng: np.random.Generator, severity_share: float
                  ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(better, worse) frames (N, 3, H, W) in [0, 1] and each pair's defect kind."""
    better, worse, kinds = [], [], []
    for i in indices:
        attrs, *_ = ds.item_attrs(int(i))
        attrs = clean_attrs(attrs)
        clip = render_clip(attrs, ds.geometry).astype(np.float32) / 255.0  # (T, H, W, 3)
        frame = clip[int(rng.integers(clip.shape[0]))]
        for _ in range(8):  # a defect can be invisible (a white watermark on white): draw another
            kind = QUALITY_KINDS[int(rng.integers(len(QUALITY_KINDS)))]
            if rng.random() < severity_share:
                lo = rng.uniform(0.0, 0.4)
                good = quantise(defective_frame(frame, attrs, kind, lo, rng))
                bad = quantise(defective_frame(frame, attrs, kind, min(1.0, lo + rng.uniform(0.5, 0.6)), rng))
                label = f"{kind}:severity"
            else:
                good, bad = quantise(frame), quantise(defective_frame(frame, attrs, kind, rng.uniform(0.15, 1.0), rng))
                label = kind
            if np.abs(bad - good).mean() >= MIN_VISIBLE:
                break
        better.append(good)
        worse.append(bad)
        kinds.append(label)
    return np.moveaxis(np.stack(better), -1, 1), np.moveaxis(np.stack(worse), -1, 1), kinds
