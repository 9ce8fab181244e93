"""Rendering: anti-aliased shapes against an independent rasteriser, motions, pan, colours, counterfactuals."""

import copy

import numpy as np
import pytest
from matplotlib.path import Path as PolygonPath

from t2v_turbo.data import ClipGeometry, PromoClips, Scene, SceneError, render_clip
from t2v_turbo.data.render import (
    SQUARE_HALF_SIDE,
    STAR_INNER,
    STAR_OUTER,
    TRIANGLE_CIRCUMRADIUS,
    object_coverage,
    shape_sdf,
)
from t2v_turbo.data.scene import SceneObject
from t2v_turbo.data.vocabulary import COLORS

GEOMETRY = ClipGeometry()


def _polygon(shape: str, r: float) -> np.ndarray:
    """Vertices (x right, y down) of the shape with radius r, one tip pointing up."""
    if shape == "square":
        h = r * SQUARE_HALF_SIDE
        return np.array([[-h, -h], [h, -h], [h, h], [-h, h]])
    n, tip, valley = {"triangle": (3, r * TRIANGLE_CIRCUMRADIUS, r * TRIANGLE_CIRCUMRADIUS * np.cos(np.pi / 3)),
                      "star": (5, r * STAR_OUTER, r * STAR_OUTER * STAR_INNER)}[shape]
    points = []
    for k in range(2 * n):
        radius = tip if k % 2 == 0 else valley
        a = k * np.pi / n  # clockwise from up
        points.append([radius * np.sin(a), -radius * np.cos(a)])
    return np.array(points)


@pytest.mark.parametrize("shape", ["circle", "square", "triangle", "star"])
def test_antialiased_coverage_matches_supersampling(shape):
    """Coverage clip(0.5 - sdf) against 16x16 supersampled point-in-shape tests (matplotlib's polygon test)."""
    r, cx, cy, angle = 9.3, 20.4, 17.8, 23.0
    size = 40
    ys, xs = np.mgrid[0:size, 0:size] + 0.5
    theta = np.deg2rad(angle)
    dx, dy = xs - cx, ys - cy
    px, py = dx * np.cos(theta) + dy * np.sin(theta), dy * np.cos(theta) - dx * np.sin(theta)
    ours = np.clip(0.5 - shape_sdf(shape, px, py, np.float64(r)), 0, 1)

    sub = (np.arange(16) + 0.5) / 16 - 0.5
    shape16 = (size, size, 16, 16)
    sx = np.broadcast_to(xs[..., None, None] + sub[None, None, None, :], shape16).ravel() - cx
    sy = np.broadcast_to(ys[..., None, None] + sub[None, None, :, None], shape16).ravel() - cy
    lx, ly = sx * np.cos(theta) + sy * np.sin(theta), sy * np.cos(theta) - sx * np.sin(theta)
    if shape == "circle":
        inside = lx**2 + ly**2 < r**2
    else:
        inside = PolygonPath(_polygon(shape, r)).contains_points(np.stack([lx, ly], 1))
    truth = inside.reshape(size, size, 256).mean(-1)
    err = np.abs(ours - truth)
    edge = (truth > 0) & (truth < 1)
    print(f"\n{shape}: coverage error mean {err.mean():.4f}, on edge pixels {err[edge].mean():.4f}, max {err.max():.3f}")
    assert err.mean() < 0.005 and err[edge].mean() < 0.04, (err.mean(), err[edge].mean())
    assert err.max() < 0.25  # corners and star tips: a straight-edge model of a corner pixel
    assert abs(ours.sum() - truth.sum()) / truth.sum() < 0.02  # area within 2 %


def _scene(shape="circle", motion="still", speed=None, color="red", bg=("blue",), pan=None, start=(0.5, 0.5),
           size=0.14, word=None):
    return {
        "background": {"kind": "solid" if len(bg) == 1 else "gradient", "colors": list(bg), "angle": 0.0},
        "objects": [{"shape": shape, "word": word, "color": color, "motion": motion, "speed": speed,
                     "start": list(start), "size": size}],
        "pan": pan,
        "degraded": [],
        "degradation": {},
        "seed": 1,
    }


def _centroid_and_area(attrs):
    scene = Scene.from_dict(attrs)
    cov = object_coverage(scene.objects[0], GEOMETRY, np.zeros(GEOMETRY.frames), np.zeros(GEOMETRY.frames))
    area = cov.sum(axis=(1, 2))  # (T,)
    ys, xs = np.mgrid[0 : GEOMETRY.height, 0 : GEOMETRY.width] + 0.5
    return (cov * xs).sum(axis=(1, 2)) / area, (cov * ys).sum(axis=(1, 2)) / area, area


@pytest.mark.parametrize(
    "motion,check",
    [
        ("left", lambda x, y, a: np.all(np.diff(x) < 0) and np.ptp(y) < 0.01),
        ("right", lambda x, y, a: np.all(np.diff(x) > 0) and np.ptp(y) < 0.01),
        ("up", lambda x, y, a: np.all(np.diff(y) < 0) and np.ptp(x) < 0.01),
        ("down", lambda x, y, a: np.all(np.diff(y) > 0) and np.ptp(x) < 0.01),
        ("zoom_in", lambda x, y, a: np.all(np.diff(a) > 0)),
        ("zoom_out", lambda x, y, a: np.all(np.diff(a) < 0)),
        ("bounce", lambda x, y, a: y[0] > y.min() + 5 and abs(y[-1] - y[0]) < 0.5),
        ("still", lambda x, y, a: np.ptp(x) == 0 and np.ptp(y) == 0 and np.ptp(a) == 0),
    ],
)
def test_motions_move_the_object_as_named(motion, check):
    speed = None if motion == "still" else "slow"
    x, y, a = _centroid_and_area(_scene("square", motion, speed, start=(0.5, 0.7 if motion == "bounce" else 0.5),
                                        size=0.1))
    assert check(x, y, a), (x, y, a)


def test_fast_moves_twice_as_far_as_slow():
    xs = {s: _centroid_and_area(_scene("circle", "right", s, start=(0.2, 0.5), size=0.1))[0] for s in ("slow", "fast")}
    travelled = {s: x[-1] - x[0] for s, x in xs.items()}
    assert travelled["fast"] == pytest.approx(2 * travelled["slow"], rel=0.02)
    assert travelled["slow"] == pytest.approx(0.25 * GEOMETRY.width, rel=0.02)


def test_rotation_turns_clockwise():
    # A triangle's tip starts pointing up; after a clockwise quarter-turn-ish it points right of centre.
    attrs = _scene("triangle", "rotate", "slow", size=0.2)
    scene = Scene.from_dict(attrs)
    cov = object_coverage(scene.objects[0], GEOMETRY, np.zeros(16), np.zeros(16))
    first, later = cov[0], cov[5]  # 50 degrees clockwise at frame 5
    assert first.sum() == pytest.approx(later.sum(), rel=0.02)
    xs = np.arange(GEOMETRY.width) + 0.5
    top = slice(0, 26)  # upper rows: where the tip is
    assert abs((first[top] * xs).sum() / first[top].sum() - 32) < 0.5  # symmetric at frame 0
    assert (later[top] * xs).sum() / later[top].sum() > 33  # the tip swung to the right: clockwise


def test_pan_moves_the_whole_scene_opposite_to_the_camera():
    still = _scene("circle", "still", None, bg=("blue", "yellow"), pan="left")
    frames = render_clip(still).astype(float)
    red = np.abs(frames - np.array(COLORS["red"])).sum(-1) < 30  # (T, H, W) object pixels
    xs = np.arange(GEOMETRY.width)
    centre_x = [(m * xs).sum() / m.sum() for m in red]
    assert centre_x[-1] - centre_x[0] == pytest.approx(0.2 * GEOMETRY.width, abs=1.0)  # camera left: content right
    # The gradient (blue at left -> yellow at right) moved right too: a fixed column gets bluer.
    column = frames[:, 5, 5, 2]  # blue channel at the top-left corner
    assert column[-1] > column[0]


def test_colours_are_exact_inside_and_outside():
    frames = render_clip(_scene("square", "still", None, color="orange", bg=("purple",)))
    assert tuple(frames[0, 32, 32]) == COLORS["orange"]
    assert tuple(frames[0, 2, 2]) == COLORS["purple"]


def test_words_are_drawn_where_they_are():
    frames = render_clip(_scene("text", "still", None, color="white", bg=("black",), word="SALE", size=0.09))
    lit = frames[0].max(-1) > 128
    rows, cols = np.nonzero(lit)
    assert lit.sum() > 60
    assert abs(rows.mean() - 32) < 3 and abs(cols.mean() - 32) < 3
    assert np.ptp(cols) > 2 * np.ptp(rows)  # a word is wider than tall


def test_counterfactual_clean_and_degraded_twins():
    ds = PromoClips("train", length=50, seed=0, degrade_prob=1.0)
    attrs = ds.item_attrs(0)[0]
    assert attrs["degraded"]
    degraded = render_clip(attrs)
    clean_attrs = copy.deepcopy(attrs)
    clean_attrs["degraded"], clean_attrs["degradation"] = [], {}
    clean = render_clip(clean_attrs)
    assert not np.array_equal(clean, degraded)
    assert np.array_equal(render_clip(attrs), degraded)  # pure function of attrs
    # Same scene moving the other way: the first frames agree, the last ones differ.
    left, right = _scene("circle", "left", "fast"), _scene("circle", "right", "fast")
    a, b = render_clip(left), render_clip(right)
    assert np.array_equal(a[0], b[0]) and not np.array_equal(a[-1], b[-1])
    assert np.array_equal(a[-1], b[-1][:, ::-1])  # mirror images about the centre column


def test_geometry_is_respected_and_validated():
    frames = render_clip(_scene(), ClipGeometry(frames=8, fps=4, height=80, width=128))
    assert frames.shape == (8, 80, 128, 3) and frames.dtype == np.uint8
    with pytest.raises(ValueError, match="frames must be at least 2"):
        ClipGeometry(frames=1)
    with pytest.raises(ValueError, match="height must be a positive integer"):
        ClipGeometry(height=0)


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda a: a["objects"][0].update(color="mauve"), r"objects\[0\]\.color is 'mauve'"),
        (lambda a: a["objects"][0].update(spin=3), r"objects\[0\] has unknown keys \['spin'\]"),
        (lambda a: a.update(pan="sideways"), r"pan is 'sideways'"),
        (lambda a: a["objects"][0].update(motion="rotate", speed="slow"), r"circle that is rotated"),
        (lambda a: a["objects"][0].update(motion="left"), r"objects\[0\]\.speed is None"),
        (lambda a: a["background"].update(colors=["red", "blue"]), r"solid background needs 1"),
        (lambda a: a.update(degraded=["sepia"]), r"degraded is 'sepia'"),
        (lambda a: a.update(degraded=["noise"], degradation={"noise": {"std": 0.1}}),
         r"degradation\.noise must give exactly \['sigma'\], got \['std'\]"),
        (lambda a: a["objects"][0].update(word="SALE"), r"word must be set exactly when shape is 'text'"),
    ],
)
def test_bad_attrs_are_rejected_with_the_field_named(edit, message):
    attrs = _scene()
    edit(attrs)
    with pytest.raises(SceneError, match=message):
        render_clip(attrs)
