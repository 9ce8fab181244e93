"""A promo clip's true attributes (Scene), their JSON form, and the motion each one implies.

A Scene is everything needed to render a clip and caption it: background, 1-2 objects, camera pan,
and which degradations were applied (with their parameters and a seed). `Scene.to_dict()` is the
JSON-serialisable `attrs` of a dataset item; `Scene.from_dict` reads it back strictly (unknown keys
or values are errors), so callers can edit attrs to render counterfactual clips.

Positions are fractions of the frame (x of the width, y of the height, y pointing down); sizes are
fractions of min(height, width). Motion amounts are per clip, not per second, so a clip shows the
same motion whatever its frame count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np

from t2v_turbo.data.degrade import PARAMETERS as DEGRADATION_PARAMETERS
from t2v_turbo.data.vocabulary import (
    COLORS,
    DEGRADATIONS,
    INVISIBLE,
    MOTIONS,
    PANS,
    SHAPES,
    SPEEDS,
    TEXT,
    WORDS,
)

# Per-clip motion amounts (slow, fast); chosen so that both speeds read clearly at 16 frames.
SHIFT = {"slow": 0.25, "fast": 0.5}  # fraction of the frame travelled
ZOOM = {"slow": 1.5, "fast": 2.2}  # scale factor reached at the last frame (inverse when zooming out)
TURN = {"slow": 150.0, "fast": 270.0}  # degrees clockwise; 18 deg/frame at most, a quarter of the star's symmetry
BOUNCES = {"slow": 1, "fast": 2}  # full bounces per clip
BOUNCE_HEIGHT = 0.3  # fraction of the frame height
PAN_SHIFT = 0.2  # fraction of the frame the camera travels


class SceneError(ValueError):
    """An attrs dict that does not describe a valid scene; the message names the field."""


@dataclass(frozen=True)
class ClipGeometry:
    frames: int = 16  # the paper's clip length (VideoCrafter2 / T2V-Turbo-v2 sample 16 frames)
    fps: int = 8  # the paper's frame rate; playback only, motion is defined per clip
    height: int = 64  # 64x64 keeps a 16-frame clip trainable on 2 CPU cores; 80x128 for a GPU run
    width: int = 64

    def __post_init__(self):
        for name in ("frames", "fps", "height", "width"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"ClipGeometry.{name} must be a positive integer, got {value!r}")
        if self.frames < 2:
            raise ValueError(f"ClipGeometry.frames must be at least 2 to show motion, got {self.frames}")
        if min(self.height, self.width) < 16:
            raise ValueError(f"ClipGeometry needs at least 16x16 pixels to draw legible objects, got "
                             f"{self.height}x{self.width}")


@dataclass
class SceneObject:
    shape: str  # circle | square | triangle | star | text
    color: str
    motion: str
    speed: str | None  # slow | fast; None when the motion is "still"
    start: tuple[float, float]  # centre (x, y) at the first frame, fractions of width and height
    size: float  # shapes: radius; text: half the glyph height; fraction of min(H, W), at scale 1
    word: str | None = None  # the word, when shape == "text"


@dataclass
class Background:
    kind: str  # solid | gradient
    colors: list[str]  # one colour, or the gradient's two end colours
    angle: float = 0.0  # gradient direction in degrees, clockwise from "left to right"


@dataclass
class Scene:
    background: Background
    objects: list[SceneObject]
    pan: str | None = None  # direction the camera moves (the content moves the other way)
    degraded: list[str] = field(default_factory=list)  # kinds applied, in order
    degradation: dict[str, dict[str, float]] = field(default_factory=dict)  # kind -> its parameters
    seed: int = 0  # seeds the random parts of degradations (noise, jitter)

    def to_dict(self) -> dict:
        return {
            "background": {"kind": self.background.kind, "colors": list(self.background.colors),
                           "angle": float(self.background.angle)},
            "objects": [
                {"shape": o.shape, "word": o.word, "color": o.color, "motion": o.motion, "speed": o.speed,
                 "start": [float(o.start[0]), float(o.start[1])], "size": float(o.size)}
                for o in self.objects
            ],
            "pan": self.pan,
            "degraded": list(self.degraded),
            "degradation": {k: {p: float(v) for p, v in params.items()} for k, params in self.degradation.items()},
            "seed": int(self.seed),
        }

    @classmethod
    def from_dict(cls, attrs: dict) -> Scene:
        _keys(attrs, "attrs", {"background", "objects", "pan", "degraded", "degradation", "seed"},
              required={"background", "objects"})
        bg = attrs["background"]
        _keys(bg, "background", {"kind", "colors", "angle"}, required={"kind", "colors"})
        background = Background(bg["kind"], list(bg["colors"]), float(bg.get("angle", 0.0)))
        objects = []
        for i, o in enumerate(attrs["objects"]):
            _keys(o, f"objects[{i}]", {"shape", "word", "color", "motion", "speed", "start", "size"},
                  required={"shape", "color", "motion", "start", "size"})
            objects.append(SceneObject(o["shape"], o["color"], o["motion"], o.get("speed"),
                                       (float(o["start"][0]), float(o["start"][1])), float(o["size"]), o.get("word")))
        scene = cls(background, objects, attrs.get("pan"), list(attrs.get("degraded", [])),
                    {k: dict(v) for k, v in attrs.get("degradation", {}).items()}, int(attrs.get("seed", 0)))
        scene.validate()
        return scene

    def validate(self) -> Scene:
        bg = self.background
        _one_of(bg.kind, ("solid", "gradient"), "background.kind")
        if len(bg.colors) != (1 if bg.kind == "solid" else 2):
            raise SceneError(f"background.colors: a {bg.kind} background needs "
                             f"{1 if bg.kind == 'solid' else 2} colour(s), got {bg.colors}")
        for c in bg.colors:
            _one_of(c, COLORS, "background.colors")
        if not 1 <= len(self.objects) <= 2:
            raise SceneError(f"objects: a scene has 1 or 2 objects, got {len(self.objects)}")
        for i, o in enumerate(self.objects):
            where = f"objects[{i}]"
            _one_of(o.shape, (*SHAPES, TEXT), f"{where}.shape")
            _one_of(o.color, COLORS, f"{where}.color")
            _one_of(o.motion, MOTIONS, f"{where}.motion")
            if o.motion == "still":
                if o.speed is not None:
                    raise SceneError(f"{where}.speed must be null for a still object, got {o.speed!r}")
            else:
                _one_of(o.speed, SPEEDS, f"{where}.speed")
            if (o.shape == TEXT) != (o.word is not None):
                raise SceneError(f"{where}.word must be set exactly when shape is 'text' (shape {o.shape!r}, "
                                 f"word {o.word!r})")
            if o.word is not None:
                _one_of(o.word, WORDS, f"{where}.word")
            if (o.shape, o.motion) in INVISIBLE:
                raise SceneError(f"{where}: a {o.shape} that is {o.motion}d cannot be seen to move")
            if not 0.0 < o.size <= 0.5:
                raise SceneError(f"{where}.size must lie in (0, 0.5], got {o.size}")
        if self.pan is not None:
            _one_of(self.pan, PANS, "pan")
        for kind in self.degraded:
            _one_of(kind, DEGRADATIONS, "degraded")
            given = set(self.degradation.get(kind, {}))
            if given != set(DEGRADATION_PARAMETERS[kind]):
                raise SceneError(f"degradation.{kind} must give exactly {list(DEGRADATION_PARAMETERS[kind])}, "
                                 f"got {sorted(given)}")
        if set(self.degradation) - set(self.degraded):
            raise SceneError(f"degradation has parameters for kinds not in degraded: "
                             f"{sorted(set(self.degradation) - set(self.degraded))}")
        return self

    def content_key(self) -> str:
        """What the scene shows, rounded, without degradations: equal keys mean the same content."""
        objects = [
            (o.shape, o.word, o.color, o.motion, o.speed, round(o.start[0], 2), round(o.start[1], 2), round(o.size, 2))
            for o in self.objects
        ]
        bg = self.background
        return repr((bg.kind, tuple(bg.colors), round(bg.angle / 15) if bg.kind == "gradient" else 0, self.pan,
                     tuple(sorted(objects, key=repr))))


def _keys(d: dict, where: str, allowed: set[str], required: set[str]) -> None:
    if not isinstance(d, dict):
        raise SceneError(f"{where} must be an object, got {type(d).__name__}")
    unknown = set(d) - allowed
    if unknown:
        raise SceneError(f"{where} has unknown keys {sorted(unknown)}; allowed: {sorted(allowed)}")
    missing = required - set(d)
    if missing:
        raise SceneError(f"{where} lacks {sorted(missing)}")


def _one_of(value, allowed, where: str) -> None:
    if value not in allowed:
        raise SceneError(f"{where} is {value!r}; expected one of {sorted(allowed)}")


@dataclass(frozen=True)
class Trajectory:
    """Per-frame placement of one object, before the camera pan. Arrays of shape (T,)."""

    x: np.ndarray  # centre, fraction of width
    y: np.ndarray  # centre, fraction of height
    scale: np.ndarray  # multiplies the object's size
    angle: np.ndarray  # degrees, clockwise on screen


@cache
def _clip_time(frames: int) -> np.ndarray:
    u = np.linspace(0.0, 1.0, frames)  # (T,) t / (T - 1)
    u.flags.writeable = False
    return u


def trajectory(obj: SceneObject, frames: int) -> Trajectory:
    """Where `obj` is at each frame: constant speed over the clip, time u = t / (T - 1) in [0, 1]."""
    u = _clip_time(frames)
    x = np.full(frames, obj.start[0])
    y = np.full(frames, obj.start[1])
    scale = np.ones(frames)
    angle = np.zeros(frames)
    m, s = obj.motion, obj.speed
    if m in ("left", "right"):
        x = x + (1 if m == "right" else -1) * SHIFT[s] * u
    elif m in ("up", "down"):
        y = y + (1 if m == "down" else -1) * SHIFT[s] * u
    elif m == "zoom_in":
        scale = ZOOM[s] ** u
    elif m == "zoom_out":
        scale = ZOOM[s] ** -u
    elif m == "rotate":
        angle = TURN[s] * u
    elif m == "bounce":
        # |sin| arcs: the object leaves its start (the floor of the bounce) and lands BOUNCES times.
        y = y - BOUNCE_HEIGHT * np.abs(np.sin(np.pi * BOUNCES[s] * u))
    return Trajectory(x, y, scale, angle)


def pan_offset(pan: str | None, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Shift of the whole scene at each frame, fractions of (width, height): opposite to the camera."""
    u = _clip_time(frames)
    dx = np.zeros(frames)
    dy = np.zeros(frames)
    if pan == "left":
        dx = PAN_SHIFT * u
    elif pan == "right":
        dx = -PAN_SHIFT * u
    elif pan == "up":
        dy = PAN_SHIFT * u
    elif pan == "down":
        dy = -PAN_SHIFT * u
    return dx, dy
