"""The shape check (eval/shape_check.py): it reads rendered clips right; exact and damaged outlines
score as the shape they are; an oracle that draws the asked shape scores every clip, a blob painter
only the circles; no object, no verdict."""

from __future__ import annotations

import numpy as np
import pytest

from t2v_turbo.config import resolve_config
from t2v_turbo.data.render import render_clip
from t2v_turbo.data.scene import Background, ClipGeometry, Scene, SceneObject
from t2v_turbo.data.vocabulary import SHAPES
from t2v_turbo.data.render import TRIANGLE_CIRCUMRADIUS, shape_sdf
from t2v_turbo.eval.shape_check import (
    clip_shape,
    format_shape_check,
    shape_check,
    shape_prompts,
    template_scores,
    verify_shape_check,
)

YS, XS = np.mgrid[0:64, 0:64] + 0.5


def test_the_check_reads_rendered_clips():
    verdict = verify_shape_check(resolve_config("demo"), clips=60)
    assert verdict["ground_truth_clips"] == 60 and verdict["ground_truth_accuracy"] >= 0.95  # measured: 1.0


def test_exact_outlines_score_as_themselves_at_any_rotation():
    for shape in SHAPES:
        for degrees in (0.0, 17.0, 40.0):  # off the 6-degree grid too
            t = np.deg2rad(degrees)
            dx, dy = XS - 30.3, YS - 33.6
            mask = shape_sdf(shape, dx * np.cos(t) + dy * np.sin(t), dy * np.cos(t) - dx * np.sin(t), 8.5) < 0
            scores = template_scores(mask)
            assert _best(mask) == shape and scores[shape] > 0.85, (shape, degrees, scores)
    assert template_scores(np.zeros((64, 64), bool)) is None
    assert template_scores((YS - 32) ** 2 + (XS - 32) ** 2 < 1.5**2) is None  # a speck has no outline


def _best(mask: np.ndarray) -> str:
    scores = template_scores(mask)
    return max(scores, key=scores.get)


def test_damaged_outlines_still_read_as_their_shape():
    """What sampled objects look like: a square with a dark pixel inside and a nick in one side, a
    triangle with bowed-in sides (the stop-33 samples whose fill and solidity read as stars)."""
    square = (abs(YS - 32) < 8) & (abs(XS - 32) < 8)
    square[31:33, 31:33] = False
    square[24, 30:34] = False
    assert _best(square) == "square"
    tri_sdf = shape_sdf("triangle", XS - 32, YS - 34, 8.0)
    corners = np.deg2rad([0.0, 120.0, 240.0])
    tip = 8.0 * TRIANGLE_CIRCUMRADIUS  # the corners, at radius 8
    from_corner = np.min([np.hypot(XS - 32 - tip * np.sin(a), YS - 34 + tip * np.cos(a)) for a in corners], axis=0)
    bowed = tri_sdf < -1.8 * np.clip((from_corner - 3) / 5, 0, 1)  # sides bowed in up to 1.8 px
    assert bowed.sum() < 0.8 * (tri_sdf < 0).sum()  # measured 94 of 128 px
    assert _best(bowed) == "triangle"


def test_shape_check_counts_the_asked_shapes():
    asked = {p["prompt"]: p for p in shape_prompts()}

    def painter(shape_of, draw=True):
        def render(texts, seed):
            clips = []
            for k, text in enumerate(texts):
                p = asked[text]
                other = "white" if p["color"] == "black" else "black"
                rng = np.random.default_rng(seed + k)
                obj = SceneObject(shape_of(p["shape"]), p["color"] if draw else other, "still", None,
                                  tuple(rng.uniform(0.35, 0.65, 2)), float(rng.uniform(0.11, 0.16)))
                clips.append(render_clip(Scene(Background("solid", [other]), [obj]).to_dict(), ClipGeometry()))
            return clips
        return render

    oracle = shape_check(painter(lambda s: s), seeds=(1, 2))
    n = 2 * len(shape_prompts())
    assert oracle["clips"] == oracle["found"] == oracle["hits"] == n
    assert all(oracle["confusion"][s][s] == n // len(SHAPES) for s in SHAPES)
    blobs = shape_check(painter(lambda s: "circle"), seeds=(1,))
    assert blobs["hits"] == n // 2 // len(SHAPES)  # only the circles are right
    assert all(blobs["confusion"][s]["circle"] == blobs["found"] // len(SHAPES) for s in SHAPES)
    absent = shape_check(painter(lambda s: s, draw=False), seeds=(1,))
    assert absent["found"] == 0 and absent["hits"] == 0
    assert f"{n} of {n} clips, {n} of those" in format_shape_check(oracle)
    assert clip_shape(painter(lambda s: s, draw=False)(["a red star staying still"], 0)[0], "red") is None
