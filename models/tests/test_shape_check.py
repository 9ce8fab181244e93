"""The shape check (eval/shape_check.py): calibrated on rendered clips it reads them right; an oracle
that draws the asked shape scores every clip, a blob painter only the circles; no object, no verdict."""

from __future__ import annotations

import numpy as np
import pytest

from t2v_turbo.config import resolve_config
from t2v_turbo.data.render import render_clip
from t2v_turbo.data.scene import Background, ClipGeometry, Scene, SceneObject
from t2v_turbo.data.vocabulary import SHAPES
from t2v_turbo.eval.shape_check import (
    calibrate_shapes,
    classify_shape,
    clip_descriptor,
    format_shape_check,
    shape_check,
    shape_descriptor,
    shape_prompts,
)


@pytest.fixture(scope="module")
def model() -> dict:
    return calibrate_shapes(resolve_config("demo"), clips=120)


def test_calibration_separates_the_shapes_on_rendered_clips(model: dict):
    assert model["ground_truth_clips"] == 60 and model["ground_truth_accuracy"] >= 0.95  # measured: 1.0
    fill = {s: c[0] for s, c in model["centres"].items()}
    solidity = {s: c[1] for s, c in model["centres"].items()}
    assert fill["circle"] > fill["square"] > fill["star"] > fill["triangle"]  # farther corners, less fill
    assert min(solidity, key=solidity.get) == "star"  # the one concave shape


def test_descriptor_of_exact_masks():
    ys, xs = np.mgrid[0:64, 0:64] + 0.5
    disc = (ys - 32) ** 2 + (xs - 32) ** 2 < 10**2
    square = (abs(ys - 32) < 9) & (abs(xs - 32) < 9)
    fill_disc, solid_disc = shape_descriptor(disc)
    fill_square, solid_square = shape_descriptor(square)
    assert fill_disc > 0.85 and solid_disc > 0.9
    assert fill_square == pytest.approx(2 / np.pi, rel=0.1) and solid_square == pytest.approx(1.0)
    assert shape_descriptor(np.zeros((64, 64), bool)) is None
    assert shape_descriptor((ys - 32) ** 2 + (xs - 32) ** 2 < 1.5**2) is None  # a speck has no outline


def test_shape_check_counts_the_asked_shapes(model: dict):
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

    oracle = shape_check(painter(lambda s: s), model, seeds=(1, 2))
    n = 2 * len(shape_prompts())
    assert oracle["clips"] == oracle["found"] == oracle["hits"] == n
    assert all(oracle["confusion"][s][s] == n // len(SHAPES) for s in SHAPES)
    blobs = shape_check(painter(lambda s: "circle"), model, seeds=(1,))
    assert blobs["hits"] == n // 2 // len(SHAPES)  # only the circles are right
    assert all(blobs["confusion"][s]["circle"] == blobs["found"] // len(SHAPES) for s in SHAPES)
    absent = shape_check(painter(lambda s: s, draw=False), model, seeds=(1,))
    assert absent["found"] == 0 and absent["hits"] == 0
    assert f"{n} of {n} clips, {n} of those" in format_shape_check(oracle)
    assert classify_shape(None, model) is None
    assert clip_descriptor(painter(lambda s: s, draw=False)(["a red star staying still"], 0)[0], "red") is None
