"""Render a Scene to frames: background, objects as anti-aliased signed-distance shapes, degradations.

All frames of a clip are computed at once as (T, H, W) arrays. A shape's coverage of a pixel is
clip(0.5 - sdf, 0, 1) with the signed distance in pixels: exact area coverage for a straight edge
through the pixel, which is all the anti-aliasing flat promo graphics need.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from t2v_turbo.data import glyphs
from t2v_turbo.data.degrade import apply_degradations
from t2v_turbo.data.scene import ClipGeometry, Scene, SceneObject, pan_offset, trajectory
from t2v_turbo.data.vocabulary import COLORS, TEXT

# Shape proportions relative to the object's radius: chosen so that the four shapes look about
# equally large (a square of half-side r would look much bigger than a circle of radius r).
SQUARE_HALF_SIDE = 0.88
TRIANGLE_CIRCUMRADIUS = 1.25
STAR_OUTER = 1.2
STAR_INNER = 0.5  # of the outer radius
GRADIENT_SPAN = 1.4  # the gradient runs over 1.4 frames, so a camera pan still shows a gradient
TEXT_HALF_HEIGHT_SCALE = 1.0  # a word's half-height is its size (shapes use the size as radius)


def render_clip(attrs: dict | Scene, geometry: ClipGeometry = ClipGeometry()) -> np.ndarray:
    """The clip of a scene (attrs dict or Scene) as uint8 (T, H, W, 3); a pure function of its inputs."""
    scene = attrs if isinstance(attrs, Scene) else Scene.from_dict(attrs)
    frames = render_float(scene, geometry)
    return np.clip(np.rint(frames * 255.0), 0, 255).astype(np.uint8)


def render_float(scene: Scene, geometry: ClipGeometry) -> np.ndarray:
    """float32 (T, H, W, 3) in [0, 1], before quantisation."""
    pan_dx, pan_dy = pan_offset(scene.pan, geometry.frames)  # (T,), (T,)
    frames = _background(scene, geometry, pan_dx, pan_dy)
    for obj in scene.objects:
        alpha = object_coverage(obj, geometry, pan_dx, pan_dy)[..., None]  # (T, H, W, 1)
        frames = frames + alpha * (_rgb(obj.color) - frames)
    return apply_degradations(frames, scene)


@cache
def _pixel_centres(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    ys = np.arange(height, dtype=np.float32) + 0.5
    xs = np.arange(width, dtype=np.float32) + 0.5
    return ys[None, :, None], xs[None, None, :]  # (1, H, 1), (1, 1, W)


def _rgb(name: str) -> np.ndarray:
    return np.asarray(COLORS[name], dtype=np.float32) / 255.0


def _background(scene: Scene, geometry: ClipGeometry, pan_dx: np.ndarray, pan_dy: np.ndarray) -> np.ndarray:
    t, h, w = geometry.frames, geometry.height, geometry.width
    bg = scene.background
    if bg.kind == "solid":
        return np.broadcast_to(_rgb(bg.colors[0]), (t, h, w, 3)).astype(np.float32)
    ys, xs = _pixel_centres(h, w)
    a = np.deg2rad(bg.angle)
    cos, sin = np.float32(np.cos(a)), np.float32(np.sin(a))
    span = (abs(w * cos) + abs(h * sin)) * GRADIENT_SPAN
    # Scene coordinates of each pixel: the content moved by the pan, so undo it.
    sx = xs - w / 2 - (pan_dx * w).astype(np.float32)[:, None, None]  # (T, 1, W)
    sy = ys - h / 2 - (pan_dy * h).astype(np.float32)[:, None, None]  # (T, H, 1)
    s = np.clip((sx * cos + sy * sin) / span + 0.5, 0.0, 1.0)[..., None]  # (T, H, W, 1)
    c0, c1 = _rgb(bg.colors[0]), _rgb(bg.colors[1])
    return (c0 + s * (c1 - c0)).astype(np.float32)


def object_coverage(obj: SceneObject, geometry: ClipGeometry, pan_dx: np.ndarray, pan_dy: np.ndarray) -> np.ndarray:
    """Coverage in [0, 1] of one object at every pixel of every frame, float32 (T, H, W)."""
    h, w = geometry.height, geometry.width
    traj = trajectory(obj, geometry.frames)
    ys, xs = _pixel_centres(h, w)
    cx = ((traj.x + pan_dx) * w).astype(np.float32)[:, None, None]  # (T, 1, 1) pixels
    cy = ((traj.y + pan_dy) * h).astype(np.float32)[:, None, None]
    radius = (obj.size * min(h, w) * traj.scale).astype(np.float32)[:, None, None]  # (T, 1, 1) pixels
    theta = np.deg2rad(traj.angle).astype(np.float32)[:, None, None]
    dx, dy = xs - cx, ys - cy  # (T, 1, W), (T, H, 1)
    # Rotate pixel offsets by -theta into the object's own frame (clockwise on screen = +theta).
    cos, sin = np.cos(theta), np.sin(theta)
    px = dx * cos + dy * sin  # (T, H, W)
    py = dy * cos - dx * sin
    if obj.shape == TEXT:
        half_height = radius * TEXT_HALF_HEIGHT_SCALE
        return glyphs.sample_glyph(obj.word, px / half_height, py / half_height,
                                   float(2 * half_height.max())).astype(np.float32)
    sdf = shape_sdf(obj.shape, px, py, radius)
    return np.clip(0.5 - sdf, 0.0, 1.0).astype(np.float32)


def shape_sdf(shape: str, px: np.ndarray, py: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Signed distance in pixels (negative inside) at local offsets (px right, py down) from the centre."""
    if shape == "circle":
        return np.sqrt(px * px + py * py) - radius
    if shape == "square":
        half = radius * SQUARE_HALF_SIDE
        qx, qy = np.abs(px) - half, np.abs(py) - half
        outside = np.sqrt(np.maximum(qx, 0) ** 2 + np.maximum(qy, 0) ** 2)
        return outside + np.minimum(np.maximum(qx, qy), 0)
    if shape == "triangle":
        r = radius * TRIANGLE_CIRCUMRADIUS
        return _folded_star_sdf(px, py, 3, r, r * np.cos(np.pi / 3))
    if shape == "star":
        r = radius * STAR_OUTER
        return _folded_star_sdf(px, py, 5, r, r * STAR_INNER)
    raise ValueError(f"no signed distance for shape {shape!r}")


def _folded_star_sdf(px, py, n: int, tip: np.ndarray, valley: np.ndarray) -> np.ndarray:
    """Signed distance to an n-fold star with tips at radius `tip` (one pointing up) and valleys at `valley`.

    A regular n-gon is the star whose valleys sit on its edge midpoints (valley = tip cos(pi/n)).
    By symmetry every point folds into the half-wedge [0, pi/n] from a tip, where the boundary is
    the single segment from the tip A = (tip, 0) to the valley B = valley (cos pi/n, sin pi/n); in
    that wedge the shape is the triangle (origin, A, B), so inside means the origin's side of AB.
    """
    half = np.pi / n
    rho = np.sqrt(px * px + py * py)
    phi = np.arctan2(px, -py)  # angle from "up", clockwise
    phi = np.abs(np.mod(phi + half, 2 * half) - half)  # fold into [0, half]
    qx, qy = rho * np.cos(phi), rho * np.sin(phi)
    ex, ey = valley * np.cos(half) - tip, valley * np.sin(half)  # B - A
    rx, ry = qx - tip, qy  # q - A
    t = np.clip((rx * ex + ry * ey) / (ex * ex + ey * ey), 0.0, 1.0)
    dist = np.sqrt((rx - t * ex) ** 2 + (ry - t * ey) ** 2)
    # The origin is at -A from A: cross(e, -A) = ey * tip > 0, so inside is where cross(e, q - A) > 0.
    inside = ex * ry - ey * rx > 0
    return np.where(inside, -dist, dist)
