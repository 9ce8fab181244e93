"""Does a sample draw the asked shape, or a blob? A pixel check against the renderer's own outlines.

The object is the largest 8-connected region of the prompt's colour (evaluate.color_masks) in a frame.
Each shape is drawn by the renderer's signed distance (data/render.py) at that region's centroid and
area, at every rotation on a 6-degree grid within the shape's symmetry; the region's score for a shape
is its best intersection over union with those templates. A clip takes the mean score over the frames
where the object is found and is read as the shape that scores highest. Whole outlines are compared,
so a sampled square with a dark pixel in it or a triangle with bowed sides still reads as itself (two
outline numbers, fill and solidity, read both as stars; docs/COMPANION.md, stop 33). A round blob reads
as a circle and a ragged one as whatever outline it is nearest, so a model that draws blobs scores
about chance, 1 in 4, with its confusion showing the bias. The check's accuracy on rendered val clips
is reported beside every use (`verify_shape_check`), so a reader knows what a hit means.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from ..data.render import shape_sdf
from ..data.vocabulary import SHAPES

MIN_PIXELS = 12  # an object smaller than this has no readable outline at 64x64
MIN_FRAME = 32  # px: below, objects are a few pixels wide
SHAPE_SEEDS = (300, 400)  # shape_check's draws, apart from every other check's seeds
SHAPE_COLORS = ("red", "blue", "yellow", "white")  # one colour per draw of each shape, rotating
SYMMETRY_DEG = {"circle": 360.0, "square": 90.0, "triangle": 120.0, "star": 72.0}  # rotations that repeat
ROTATION_STEP_DEG = 6.0  # a triangle's corner moves under a pixel at 16 px across


@cache
def _unit_area(shape: str) -> float:
    """Area of `shape` at radius 1 (the renderer's size unit), measured on a fine grid."""
    ys, xs = np.mgrid[-300:300, -300:300] + 0.5
    return float((shape_sdf(shape, xs, ys, np.float64(100.0)) < 0).sum()) / 100.0**2


def largest_region(mask: np.ndarray) -> np.ndarray | None:
    """(H, W) bool -> the largest 8-connected region, None when it is too small to have an outline."""
    from scipy import ndimage

    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n == 0:
        return None
    sizes = np.bincount(labels.ravel())[1:]
    if sizes.max() < MIN_PIXELS:
        return None
    return labels == sizes.argmax() + 1


def template_scores(mask: np.ndarray) -> dict[str, float] | None:
    """(H, W) bool -> {shape: best IoU of the largest region with that shape at its centroid and area}."""
    region = largest_region(mask)
    if region is None:
        return None
    ys, xs = np.nonzero(region)
    cy, cx = ys.mean() + 0.5, xs.mean() + 0.5  # pixel centres, as the renderer samples them
    h, w = region.shape
    py, px = np.mgrid[0:h, 0:w] + 0.5
    dx, dy = px - cx, py - cy  # (H, W)
    scores = {}
    for shape in SHAPES:
        radius = np.float64(np.sqrt(len(ys) / _unit_area(shape)))
        theta = np.deg2rad(np.arange(0.0, SYMMETRY_DEG[shape], ROTATION_STEP_DEG))[:, None, None]  # (R, 1, 1)
        cos, sin = np.cos(theta), np.sin(theta)
        templates = shape_sdf(shape, dx * cos + dy * sin, dy * cos - dx * sin, radius) < 0  # (R, H, W)
        inter = (templates & region).sum(axis=(1, 2))
        union = (templates | region).sum(axis=(1, 2))
        scores[shape] = float((inter / union).max())
    return scores


def clip_scores(frames: np.ndarray, color: str) -> dict[str, float] | None:
    """(T, H, W, 3) uint8 -> each shape's mean template score over the frames where `color`'s object is
    found; None when it is found in none."""
    from ..evaluate import color_masks

    idx, names = color_masks(frames)
    found = [s for s in (template_scores(m) for m in idx == names.index(color)) if s is not None]
    return {shape: float(np.mean([s[shape] for s in found])) for shape in SHAPES} if found else None


def clip_shape(frames: np.ndarray, color: str) -> str | None:
    """The shape `color`'s object in a clip (T, H, W, 3) uint8 is drawn as; None when there is none."""
    scores = clip_scores(frames, color)
    return None if scores is None else max(scores, key=scores.get)


def verify_shape_check(cfg, clips: int = 120) -> dict:
    """The check's accuracy on rendered val clips of one plain shape (evaluate.single_object_clips).

    Raises ValueError where frames are too small for an object to have an outline (the micro config)."""
    from ..evaluate import single_object_clips

    g = cfg.geometry
    if min(g.height, g.width) < MIN_FRAME:
        raise ValueError(f"{g.height}x{g.width} frames are too small for readable outlines (needs {MIN_FRAME}+ px)")
    n = hits = 0
    for obj, frames in single_object_clips(cfg, "val", 20 * clips):
        drawn = clip_shape(frames[:: max(1, len(frames) // 4)], obj["color"])  # 4 frames: a quarter of the cost
        if drawn is None:
            continue
        n, hits = n + 1, hits + (drawn == obj["shape"])
        if n == clips:
            break
    return {"ground_truth_clips": n, "ground_truth_accuracy": hits / max(1, n)}


def shape_prompts() -> list[dict]:
    """Still objects, every shape in turn, so nothing but the shape word tells them apart."""
    return [{"prompt": f"a {c} {s} staying still", "color": c, "shape": s}
            for c in SHAPE_COLORS for s in SHAPES]


def shape_check(render, seeds=SHAPE_SEEDS) -> dict:
    """render(prompts, seed) -> clips (T, H, W, 3) uint8, prompt i from seed + i. Of the clips whose object
    is found, `hits` draw the asked shape; `confusion[asked][drawn]` counts them all (chance: 1 in 4)."""
    prompts = shape_prompts()
    rows = []
    for seed in seeds:
        for i, (p, clip) in enumerate(zip(prompts, render([p["prompt"] for p in prompts], seed), strict=True)):
            drawn = clip_shape(clip, p["color"])
            rows.append({"prompt": p["prompt"], "seed": seed + i, "asked": p["shape"], "drawn": drawn})
    found = [r for r in rows if r["drawn"] is not None]
    confusion = {a: {d: sum(r["asked"] == a and r["drawn"] == d for r in found) for d in SHAPES} for a in SHAPES}
    return {"seeds": list(seeds), "clips": len(rows), "found": len(found),
            "hits": sum(r["asked"] == r["drawn"] for r in found), "confusion": confusion, "results": rows}


def format_shape_check(check: dict) -> str:
    drawn = "; ".join(f"{a} -> " + ", ".join(f"{d} {n}" for d, n in row.items() if n)
                      for a, row in check["confusion"].items())
    return (f"object found in {check['found']} of {check['clips']} clips, {check['hits']} of those draw the "
            f"asked shape (chance 1 in 4; asked -> drawn: {drawn})")
