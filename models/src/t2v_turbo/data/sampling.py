"""Draw random scenes: which objects, colours, motions and placements a promo clip gets, per split.

Placement is solved, not guessed: for each object we compute, over its whole trajectory (and the
camera pan), the range of start positions that keeps it inside the frame, and draw from that.
Splits never share content: a scene belongs to the split its content key hashes into, and the
sampler redraws until it lands in the requested one. Train and val also exclude held-out triples.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache

import numpy as np

from t2v_turbo.data import glyphs
from t2v_turbo.data.degrade import sample_degradations
from t2v_turbo.data.heldout import is_heldout
from t2v_turbo.data.render import STAR_OUTER, TRIANGLE_CIRCUMRADIUS
from t2v_turbo.data.scene import Background, ClipGeometry, Scene, SceneObject, pan_offset, trajectory
from t2v_turbo.data.vocabulary import COLORS, INVISIBLE, MOTIONS, PANS, SHAPES, SPEEDS, TEXT, TRANSLATIONS, WORDS

SPLITS = ("train", "val", "test")
# Share of content-hash buckets (out of 100) per split.
SPLIT_BUCKETS = {"train": range(0, 90), "val": range(90, 95), "test": range(95, 100)}

TWO_OBJECTS = 0.35  # share of clips with two objects
WORD_SHARE = 0.25  # share of objects that are words rather than shapes
GRADIENT_SHARE = 0.5  # share of gradient backgrounds
PAN_SHARE = 0.3  # share of gradient-background clips with a camera pan (a solid background hides a pan)
MARGIN = 0.02  # fraction of the frame kept free at the edges
MIN_COLOR_DISTANCE = 150.0  # RGB distance between an object and any background colour it crosses
SIZES = {"shape": (0.11, 0.16), "text": (0.08, 0.1)}  # radius or half-height, fraction of min(H, W)
MAX_OBJECT_SCALE = 2.0  # data.object_scale: there the largest zooming-out shape has radius 0.16 x 1.35 x 2 = 0.43
ZOOM_IN_SIZE = 0.7  # zooming-in objects start smaller ...
ZOOM_OUT_SIZE = 1.35  # ... zooming-out ones larger
MAX_TRIES = 200


@dataclass(frozen=True)
class StillShapes:
    """A curriculum's first data: each clip one still shape (circle, square, triangle or star) of one of
    `colors` on a solid one of `backgrounds`, and nothing else. Its captions differ only in the shape
    word (and the colour words, when there are several), so that word is all a caption adds to what the
    frames show; on the full clips it competes with colour, background, motion and a second object, and
    is learnt last (docs/COMPANION.md, stop 33)."""

    colors: tuple[str, ...] = ("yellow",)
    backgrounds: tuple[str, ...] = ("blue",)

    def __post_init__(self):
        for kind, names in (("colors", self.colors), ("backgrounds", self.backgrounds)):
            unknown = [n for n in names if n not in COLORS]
            if not names or unknown:
                raise ValueError(f"{kind} must be a non-empty list of colours from {list(COLORS)}, got {list(names)}")
        # Each clip draws its background, then a colour that shows on it: every colour needs a background
        # and every background a colour (several of each give a shape word seen in many appearances).
        unseen = [c for c in self.colors if not any(c in _object_colors((bg,)) for bg in self.backgrounds)]
        if unseen:
            where = (f"the background {self.backgrounds[0]!r}" if len(self.backgrounds) == 1
                     else f"every background of {list(self.backgrounds)}")
            raise ValueError(f"colors {unseen} are too close to {where} to be seen (RGB distance < "
                             f"{MIN_COLOR_DISTANCE:.0f}); on {self.backgrounds[0]} these show: "
                             f"{_object_colors((self.backgrounds[0],))}")
        bare = [bg for bg in self.backgrounds if not self.colors_on(bg)]
        if bare:
            raise ValueError(f"backgrounds {bare} show none of the colors {list(self.colors)} (RGB distance "
                             f"< {MIN_COLOR_DISTANCE:.0f}); on {bare[0]} these show: "
                             f"{_object_colors((bare[0],))}")

    def colors_on(self, background: str) -> list[str]:
        """The colours of `colors` far enough from `background` to be seen on it."""
        return [c for c in self.colors if c in _object_colors((background,))]


def sample_scene(
    rng: np.random.Generator, split: str, geometry: ClipGeometry, degrade_prob: float = 0.0,
    entry_band: float = 0.0, object_scale: float = 1.0, placement_spread: float = 1.0,
    still_shapes: StillShapes | None = None,
) -> Scene:
    """A random scene of `split` (content disjoint from the other splits).

    entry_band: 0 draws a start anywhere that keeps the object in frame. Above 0, an object moving
    left/right/up/down starts within that fraction of the frame of the edge it moves away from, so
    that the direction word decides where the object is in every frame, not only how it changes.
    object_scale multiplies every object's size (SIZES).
    placement_spread: 1 draws a start anywhere in frame; below 1, the first object's start comes from
    that central fraction of the feasible range on every axis the entry band does not fix, as promo
    clips centre their subject (a second object goes wherever it fits beside it).
    still_shapes: None draws promo clips; else scenes of one still shape (StillShapes).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if not 0.0 <= entry_band <= 1.0:
        raise ValueError(f"entry_band must lie in [0, 1], got {entry_band}")
    if not 0.0 < object_scale <= MAX_OBJECT_SCALE:
        raise ValueError(f"object_scale must lie in (0, {MAX_OBJECT_SCALE}], got {object_scale}")
    if not 0.0 <= placement_spread <= 1.0:
        raise ValueError(f"placement_spread must lie in [0, 1], got {placement_spread}")
    for _ in range(MAX_TRIES):
        scene = (_draw_content(rng, geometry, entry_band, object_scale, placement_spread) if still_shapes is None
                 else _draw_still_shape(rng, geometry, still_shapes, object_scale, placement_spread))
        if scene is None:
            continue
        if split != "test" and any(is_heldout(o.color, o.shape, o.motion) for o in scene.objects):
            continue
        if split_of(scene) != split:
            continue
        if rng.random() < degrade_prob:
            scene.degraded, scene.degradation = sample_degradations(rng)
        scene.seed = int(rng.integers(2**32))
        return scene.validate()
    raise RuntimeError(f"no valid {split} scene after {MAX_TRIES} draws; the geometry may be too small")


def split_of(scene: Scene) -> str:
    """The split whose content this scene is (a hash of its rounded attributes)."""
    bucket = int.from_bytes(hashlib.blake2b(scene.content_key().encode(), digest_size=8).digest(), "little") % 100
    return next(name for name, buckets in SPLIT_BUCKETS.items() if bucket in buckets)


def _draw_content(rng: np.random.Generator, geometry: ClipGeometry, entry_band: float,
                  object_scale: float, placement_spread: float) -> Scene | None:
    background = _draw_background(rng)
    pan = str(rng.choice(PANS)) if background.kind == "gradient" and rng.random() < PAN_SHARE else None
    objects: list[SceneObject] = []
    for _ in range(2 if rng.random() < TWO_OBJECTS else 1):
        obj = _draw_object(rng, geometry, background, pan, objects, entry_band, object_scale, placement_spread)
        if obj is None:
            return None
        objects.append(obj)
    return Scene(background, objects, pan)


def _draw_still_shape(rng: np.random.Generator, geometry: ClipGeometry, still: StillShapes, object_scale: float,
                      placement_spread: float) -> Scene | None:
    background = Background("solid", [str(rng.choice(still.backgrounds))])
    lo, hi = SIZES["shape"]
    color = str(rng.choice(still.colors_on(background.colors[0])))
    obj = SceneObject(str(rng.choice(SHAPES)), color, "still", None, (0.5, 0.5),
                      float(rng.uniform(lo, hi) * object_scale))
    start = _draw_start(rng, obj, geometry, None, 0.0, placement_spread)
    if start is None:
        return None
    obj.start = start
    return Scene(background, [obj])


def _draw_background(rng: np.random.Generator) -> Background:
    names = list(COLORS)
    if rng.random() < GRADIENT_SHARE:
        first, second = rng.choice(len(names), size=2, replace=False)
        return Background("gradient", [names[first], names[second]], float(rng.uniform(0.0, 360.0)))
    return Background("solid", [names[rng.integers(len(names))]])


@cache
def _object_colors(background_colors: tuple[str, ...]) -> list[str]:
    """Colours far enough from every colour the background shows (gradient ends and its midpoints)."""
    ends = [np.asarray(COLORS[c], dtype=np.float64) for c in background_colors]
    shown = ends if len(ends) == 1 else [ends[0] + f * (ends[1] - ends[0]) for f in np.linspace(0, 1, 5)]
    return [
        name for name, rgb in COLORS.items()
        if min(float(np.linalg.norm(np.asarray(rgb, dtype=np.float64) - s)) for s in shown) >= MIN_COLOR_DISTANCE
    ]


def _draw_object(
    rng: np.random.Generator, geometry: ClipGeometry, background: Background, pan: str | None,
    others: list[SceneObject], entry_band: float, object_scale: float, placement_spread: float,
) -> SceneObject | None:
    colors = _object_colors(tuple(background.colors))
    if not colors:
        return None
    is_word = rng.random() < WORD_SHARE
    shape = TEXT if is_word else str(rng.choice(SHAPES))
    word = str(rng.choice(WORDS)) if is_word else None
    motion = str(rng.choice([m for m in MOTIONS if (shape, m) not in INVISIBLE and not _along_pan(m, pan)]))
    speed = None if motion == "still" else str(rng.choice(SPEEDS))
    lo, hi = SIZES["text" if is_word else "shape"]
    size = rng.uniform(lo, hi) * object_scale * (ZOOM_IN_SIZE if motion == "zoom_in" else ZOOM_OUT_SIZE if motion == "zoom_out" else 1)
    color = str(rng.choice(colors))
    obj = SceneObject(shape, color, motion, speed, (0.5, 0.5), float(size), word)
    for _ in range(20):
        # Only the first object is centred: a second one makes room for it wherever it fits
        start = _draw_start(rng, obj, geometry, pan, entry_band, 1.0 if others else placement_spread)
        if start is None:
            return None
        obj.start = start
        if all(_apart(obj, other, geometry) for other in others):
            return obj
    return None


def _along_pan(motion: str, pan: str | None) -> bool:
    """A shift along the pan's axis would cancel or double on screen; such pairs are never drawn."""
    axis = {"left": "x", "right": "x", "up": "y", "down": "y"}
    return pan is not None and axis.get(motion) == axis[pan]


def _half_extent(obj: SceneObject, geometry: ClipGeometry) -> tuple[float, float]:
    """Half width and half height of the object at scale 1, fractions of the frame's width and height."""
    r = obj.size * min(geometry.height, geometry.width)  # pixels
    if obj.shape == TEXT:
        hx, hy = r * glyphs.aspect(obj.word), r
    else:
        reach = {"circle": 1.0, "square": 0.88 * np.sqrt(2) if obj.motion == "rotate" else 0.88,
                 "triangle": TRIANGLE_CIRCUMRADIUS, "star": STAR_OUTER}[obj.shape]
        hx = hy = r * reach
    if obj.motion == "rotate":
        hx = hy = float(np.hypot(hx, hy)) if obj.shape == TEXT else hx
    return hx / geometry.width, hy / geometry.height


# The axis and sign of each directed motion: the edge it enters from is the low end when it moves +.
DIRECTED = {m: (0, dx) if dx else (1, dy) for m, (dx, dy) in TRANSLATIONS.items()}


def _draw_start(
    rng: np.random.Generator, obj: SceneObject, geometry: ClipGeometry, pan: str | None,
    entry_band: float = 0.0, placement_spread: float = 1.0,
) -> tuple[float, float] | None:
    """A start centre keeping the object in frame for the whole clip, or None if none exists.

    With entry_band > 0, a directed motion's start on its axis is drawn from the band of that width at
    the end of the feasible range it moves away from (the whole range when narrower). Every other axis
    draws from the central placement_spread of its range. Either takes as many random draws as the
    plain draw, so the attributes drawn before a start do not change.
    """
    traj = trajectory(obj, geometry.frames)  # offsets relative to a (0.5, 0.5) start
    pan_dx, pan_dy = pan_offset(pan, geometry.frames)
    hx, hy = _half_extent(obj, geometry)
    axis, sign = DIRECTED.get(obj.motion, (None, 0))
    start = []
    axes = ((traj.x - obj.start[0], pan_dx, hx), (traj.y - obj.start[1], pan_dy, hy))
    for i, (offset, pan_shift, half) in enumerate(axes):
        shift = offset + pan_shift
        extent = half * traj.scale
        lo = float(np.max(MARGIN + extent - shift))
        hi = float(np.min(1 - MARGIN - extent - shift))
        if lo > hi:
            return None
        if entry_band > 0 and i == axis:
            lo, hi = (lo, min(hi, lo + entry_band)) if sign > 0 else (max(lo, hi - entry_band), hi)
        elif placement_spread < 1:
            mid, half = (lo + hi) / 2, placement_spread * (hi - lo) / 2
            lo, hi = mid - half, mid + half
        start.append(rng.uniform(lo, hi))
    return float(start[0]), float(start[1])


def _apart(a: SceneObject, b: SceneObject, geometry: ClipGeometry) -> bool:
    """True when the two objects never come closer than most of their combined size (pixels)."""
    ta, tb = trajectory(a, geometry.frames), trajectory(b, geometry.frames)
    ax, ay = _half_extent(a, geometry)
    bx, by = _half_extent(b, geometry)
    gap_x = np.abs(ta.x - tb.x) - 0.9 * (ax * ta.scale + bx * tb.scale)
    gap_y = np.abs(ta.y - tb.y) - 0.9 * (ay * ta.scale + by * tb.scale)
    return bool(np.all((gap_x > 0) | (gap_y > 0)))
