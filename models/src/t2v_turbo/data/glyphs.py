"""Word masks: rasterised once with Pillow's bundled font, then placed by bilinear sampling.

A mask is kept at a few heights (a small mip chain) so that sampling a 10-pixel-high word never
reads a 64-pixel raster point by point, which would alias.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

_RASTER_HEIGHT = 96  # font size of the master raster; larger than any word we draw
_STROKE = 5  # outline width at that size: a bold, poster-like weight that survives 10-px rendering
_MIP_HEIGHTS = (96, 48, 24, 12)


@cache
def _master(word: str) -> np.ndarray:
    font = ImageFont.load_default(size=_RASTER_HEIGHT)
    left, top, right, bottom = font.getbbox(word, stroke_width=_STROKE)
    image = Image.new("L", (right - left + 4, bottom - top + 4), 0)
    ImageDraw.Draw(image).text((2 - left, 2 - top), word, fill=255, font=font, stroke_width=_STROKE,
                               stroke_fill=255)
    return np.asarray(image, dtype=np.float32) / 255.0  # (h, w) coverage in [0, 1]


@cache
def glyph_levels(word: str) -> tuple[np.ndarray, ...]:
    """The word's coverage mask at each mip height, tallest first; each (h, w) float32 in [0, 1]."""
    master = _master(word)
    levels = []
    for height in _MIP_HEIGHTS:
        width = max(1, round(master.shape[1] * height / master.shape[0]))
        image = Image.fromarray((master * 255).astype(np.uint8)).resize((width, height), Image.Resampling.BOX)
        levels.append(np.asarray(image, dtype=np.float32) / 255.0)
    return tuple(levels)


def aspect(word: str) -> float:
    """Width over height of the word's mask."""
    h, w = _master(word).shape
    return w / h


def sample_glyph(word: str, u: np.ndarray, v: np.ndarray, pixel_height: float) -> np.ndarray:
    """Coverage at mask coordinates u (across), v (down) in [-1, 1] on the mask's height, any shape.

    u spans [-aspect, aspect] across the word; `pixel_height` is how tall the word is drawn, used to
    pick the mip level (the smallest one at least as tall).
    """
    levels = glyph_levels(word)
    level = levels[0]
    for candidate in levels:
        if candidate.shape[0] >= pixel_height:
            level = candidate
    h, w = level.shape
    # Mask-pixel coordinates of each sample (pixel centres at integer + 0.5).
    gx = (u / aspect(word) + 1.0) * 0.5 * w - 0.5
    gy = (v + 1.0) * 0.5 * h - 0.5
    x0 = np.floor(gx)
    y0 = np.floor(gy)
    fx = (gx - x0).astype(np.float32)
    fy = (gy - y0).astype(np.float32)
    x0 = x0.astype(np.int64)
    y0 = y0.astype(np.int64)
    padded = np.pad(level, 1)  # zero border: outside the mask is no coverage

    def tap(yy, xx):
        return padded[np.clip(yy + 1, 0, h + 1), np.clip(xx + 1, 0, w + 1)]

    top = tap(y0, x0) * (1 - fx) + tap(y0, x0 + 1) * fx
    bottom = tap(y0 + 1, x0) * (1 - fx) + tap(y0 + 1, x0 + 1) * fx
    return top * (1 - fy) + bottom * fy
