"""Video metrics of a clip, defined exactly as the studio's (app/engine/kernels/video_metrics.ts).

Over the RGBA8 frames' R, G, B bytes x (as values / 255), all pixels:
  motion       mean over consecutive pairs of mean |x_{t+1} - x_t|        (dynamic degree; 0 = still)
  flicker      mean over t = 1..T-2 of mean |x_{t+1} - 2 x_t + x_{t-1}|  (0 when T < 3)
  consistency  mean over consecutive pairs of the Pearson correlation of the two frames' values;
               two flat frames count 1, one flat frame 0
The sums are exact integers (as the WGSL kernel's), so both sides give the same numbers.
"""

from __future__ import annotations

import math

import numpy as np


def _pearson(n: int, sa: int, sb: int, saa: int, sbb: int, sab: int) -> float:
    cov = n * sab - sa * sb  # Python ints: exact, as the studio's BigInt
    var_a = n * saa - sa * sa
    var_b = n * sbb - sb * sb
    if var_a == 0 or var_b == 0:
        return 1.0 if var_a == var_b else 0.0
    return float(cov) / math.sqrt(float(var_a) * float(var_b))


def video_metrics(frames: np.ndarray) -> dict[str, float | list[float]]:
    """uint8 frames (T, H, W, 3) -> motion, flicker, consistency (+ their per-pair curves)."""
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"video_metrics expects uint8 (T, H, W, 3) frames, got {frames.dtype} {frames.shape}")
    t = frames.shape[0]
    if t < 2:
        raise ValueError(f"video_metrics: needs at least 2 frames, got {t}")
    x = frames.reshape(t, -1).astype(np.int64)  # (T, H*W*3) bytes
    values = x.shape[1]
    motion_curve, flicker_curve, consistency_curve = [], [], []
    for i in range(t - 1):
        a, b = x[i], x[i + 1]
        motion_curve.append(int(np.abs(b - a).sum()) / (255 * values))
        if i > 0:
            flicker_curve.append(int(np.abs(b - 2 * a + x[i - 1]).sum()) / (255 * values))
        consistency_curve.append(_pearson(values, int(a.sum()), int(b.sum()), int((a * a).sum()), int((b * b).sum()),
                                          int((a * b).sum())))

    def mean(v: list[float]) -> float:
        return sum(v) / len(v) if v else 0.0

    return {"motion": mean(motion_curve), "flicker": mean(flicker_curve), "consistency": mean(consistency_curve),
            "motion_curve": motion_curve, "flicker_curve": flicker_curve, "consistency_curve": consistency_curve}
