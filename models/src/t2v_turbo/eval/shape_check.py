"""Does a sample draw the asked shape, or a blob? A pixel check, calibrated on rendered clips.

The object is the largest 8-connected region of the prompt's colour (evaluate.color_masks) in each
frame. Two numbers describe its outline whatever its size and rotation:
- fill: its area over the disc through its farthest pixel (circle ~0.9, square ~0.66, star ~0.48,
  triangle ~0.43 at 64x64);
- solidity: its area over its convex hull (the pixels' corners), ~1 for the convex shapes, ~0.64 for
  the star.
A clip's descriptor is the median over the frames where the object is found; it is classified as the
nearest shape centre, in units of each number's spread, where the centres and spreads are measured
on rendered train clips (`calibrate_shapes`). The check's own accuracy on rendered val clips is
reported beside every use, so a reader knows what a hit means. A blob reads as whichever outline its
ragged edge is nearest (round ones as circles, ragged ones as stars or triangles): a model that draws
blobs scores about chance, 1 in 4.
"""

from __future__ import annotations

import numpy as np

from ..data.vocabulary import SHAPES

MIN_PIXELS = 12  # an object smaller than this has no readable outline at 64x64
MIN_FRAME = 32  # px: below, objects are a few pixels wide
SHAPE_SEEDS = (300, 400)  # shape_check's draws, apart from every other check's seeds
SHAPE_COLORS = ("red", "blue", "yellow", "white")  # one colour per draw of each shape, rotating


def shape_descriptor(mask: np.ndarray) -> np.ndarray | None:
    """(H, W) bool -> (fill, solidity) of the largest 8-connected region, None if it is too small."""
    from scipy import ndimage
    from scipy.spatial import ConvexHull

    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n == 0:
        return None
    sizes = np.bincount(labels.ravel())[1:]
    ys, xs = np.nonzero(labels == sizes.argmax() + 1)
    area = len(ys)
    if area < MIN_PIXELS:
        return None
    cy, cx = ys.mean(), xs.mean()
    reach = np.sqrt((ys - cy) ** 2 + (xs - cx) ** 2).max() + 0.5  # to the farthest pixel's edge
    corners = np.concatenate([np.stack([ys + dy, xs + dx], 1) for dy in (0, 1) for dx in (0, 1)])  # (4A, 2)
    return np.array([area / (np.pi * reach**2), area / ConvexHull(corners).volume])


def clip_descriptor(frames: np.ndarray, color: str) -> np.ndarray | None:
    """(T, H, W, 3) uint8 -> the median (fill, solidity) over the frames where `color`'s object is found."""
    from ..evaluate import color_masks

    idx, names = color_masks(frames)
    found = [d for d in (shape_descriptor(m) for m in idx == names.index(color)) if d is not None]
    return np.median(np.stack(found), axis=0) if found else None


def _ground_truth(cfg, split: str, clips: int):
    """(shape, descriptor) of `clips` rendered single-object clips (evaluate.single_object_clips)."""
    from ..evaluate import single_object_clips

    for obj, frames in single_object_clips(cfg, split, 20 * clips):
        d = clip_descriptor(frames, obj["color"])
        if d is not None:
            yield obj["shape"], d
            clips -= 1
            if clips == 0:
                return


def calibrate_shapes(cfg, clips: int = 240) -> dict:
    """Shape centres and spreads from rendered train clips; the classifier's accuracy on rendered val clips.

    Raises ValueError where frames are too small for an object to have an outline (the micro config)."""
    g = cfg.geometry
    if min(g.height, g.width) < MIN_FRAME:
        raise ValueError(f"{g.height}x{g.width} frames are too small for readable outlines (needs {MIN_FRAME}+ px)")
    by_shape: dict[str, list[np.ndarray]] = {s: [] for s in SHAPES}
    for shape, d in _ground_truth(cfg, "train", clips):
        by_shape[shape].append(d)
    missing = [s for s, v in by_shape.items() if len(v) < 2]
    if missing:
        raise ValueError(f"too few rendered clips of {missing} to calibrate the shape check; raise `clips`")
    centres = {s: np.mean(v, axis=0).tolist() for s, v in by_shape.items()}
    # One spread per number, pooled over shapes: the distance stays comparable across classes
    spread = np.sqrt(np.mean([np.var(v, axis=0) for v in by_shape.values()], axis=0)).tolist()
    model = {"centres": centres, "spread": spread}
    truth = list(_ground_truth(cfg, "val", clips // 2))
    hits = sum(classify_shape(d, model) == s for s, d in truth)
    return model | {"ground_truth_clips": len(truth), "ground_truth_accuracy": hits / max(1, len(truth))}


def classify_shape(descriptor: np.ndarray | None, model: dict) -> str | None:
    """The nearest shape centre to `descriptor` in spread units; None when no object was found."""
    if descriptor is None:
        return None
    spread = np.asarray(model["spread"])
    return min(model["centres"], key=lambda s: float((((descriptor - model["centres"][s]) / spread) ** 2).sum()))


def shape_prompts() -> list[dict]:
    """Still objects, every shape in turn, so nothing but the shape word tells them apart."""
    return [{"prompt": f"a {c} {s} staying still", "color": c, "shape": s}
            for c in SHAPE_COLORS for s in SHAPES]


def shape_check(render, model: dict, seeds=SHAPE_SEEDS) -> dict:
    """render(prompts, seed) -> clips (T, H, W, 3) uint8, prompt i from seed + i. Of the clips whose object
    is found, `hits` draw the asked shape; `confusion[asked][drawn]` counts them all (chance: 1 in 4)."""
    prompts = shape_prompts()
    rows = []
    for seed in seeds:
        for i, (p, clip) in enumerate(zip(prompts, render([p["prompt"] for p in prompts], seed), strict=True)):
            drawn = classify_shape(clip_descriptor(clip, p["color"]), model)
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
