"""Reward models: shapes and text broadcasting, frame order matters to the video model, ONNX export
(2D convolutions only, onnxruntime parity), counterfactual data (opposite motion = time reversal,
defects change the frame), the contrastive targets, exact trimmed text encoding, and a micro
training run that records its held-out accuracies and refuses to load below the floor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from post_training_fixtures import micro_stack  # noqa: F401  (fixture)

from t2v_turbo.config import resolve_config
from t2v_turbo.data import PromoClips, render_clip
from t2v_turbo.data.scene import ClipGeometry
from t2v_turbo.nets.rewards import RewardNetConfig, build_reward, strided_indices
from t2v_turbo.train import reward_data as rd
from t2v_turbo.train.rewards import RewardTooWeak, _multi_positive_ce, _top1, load_reward

NET = RewardNetConfig(widths=[8, 16, 16], embed_dim=16, text_queries=2, keypoints=4, frames=4, norm_groups=4)
# The content models' shape: a patch stem and attribute heads (heads are training-only, never exported).
CONTENT = RewardNetConfig(widths=[8, 16, 16], stem_stride=2, embed_dim=16, text_queries=2, keypoints=4, frames=4,
                          norm_groups=4, aux_labels=7)


def _net(kind: str) -> RewardNetConfig:
    return NET if kind == "quality" else CONTENT
GEOMETRY = ClipGeometry(frames=16, height=32, width=32)


def _inputs(n: int, frames: int | None = None, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    shape = (n, 3, 32, 32) if frames is None else (n, 3, frames, 32, 32)
    mask = torch.zeros(n, 12)
    mask[:, :7] = 1
    return torch.rand(shape, generator=g) * 2 - 1, torch.randn(n, 12, 384, generator=g) * mask[..., None], mask


@pytest.mark.parametrize("kind", ["image_text", "video_text"])
def test_text_models_score_each_item_and_broadcast_one_prompt(kind):
    torch.manual_seed(0)
    model = build_reward(kind, _net(kind), 32).eval()
    pixels, context, mask = _inputs(3, 4 if kind == "video_text" else None)
    scores = model(pixels, context, mask)
    assert scores.shape == (3,) and scores.abs().max() <= 1.0 + 1e-6  # cosines
    one = model(pixels, context[:1], mask[:1])
    for i in range(3):
        torch.testing.assert_close(one[i], model(pixels[i:i + 1], context[:1], mask[:1])[0])
    # Padding is ignored: changing a padded token's features does not change the score.
    noisy = context.clone()
    noisy[:, 9] = torch.randn(3, 384)
    torch.testing.assert_close(model(pixels, noisy, mask), scores)


def test_quality_model_scores_frames():
    torch.manual_seed(0)
    model = build_reward("quality", NET, 32).eval()
    pixels, _, _ = _inputs(5)
    assert model(pixels).shape == (5,)


def test_video_model_sees_frame_order():
    torch.manual_seed(0)
    model = build_reward("video_text", CONTENT, 32).eval()
    pixels, _, _ = _inputs(2, 4)
    forward = model.embed_video(pixels)
    backward = model.embed_video(pixels.flip(2))
    assert (forward - backward).abs().max() > 1e-3
    with pytest.raises(ValueError, match="takes 4 frames, got 3"):
        model.embed_video(pixels[:, :, :3])


def test_strided_indices_match_the_studio():
    assert strided_indices(16, 4) == [0, 4, 8, 12]
    assert strided_indices(16, 8) == [0, 2, 4, 6, 8, 10, 12, 14]
    with pytest.raises(ValueError):
        strided_indices(4, 5)


@pytest.mark.parametrize("kind", ["image_text", "quality", "video_text"])
def test_onnx_export_is_2d_only_and_matches_pytorch(kind, tmp_path: Path):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    torch.manual_seed(0)
    model = build_reward(kind, _net(kind), 32).eval()
    pixels, context, mask = _inputs(2, 4 if kind == "video_text" else None)
    args = (pixels,) if kind == "quality" else (pixels[:1] if kind == "video_text" else pixels, context[:1], mask[:1])
    names = ["pixels"] if kind == "quality" else ["pixels", "context", "mask"]
    path = tmp_path / f"{kind}.onnx"
    torch.onnx.export(model, args, str(path), dynamo=True, input_names=names, output_names=["score"])
    graph = onnx.load(str(path)).graph
    weights = {init.name: tuple(init.dims) for init in graph.initializer}
    for node in graph.node:
        assert node.op_type != "ConvTranspose"
        if node.op_type == "Conv" and node.input[1] in weights:
            assert len(weights[node.input[1]]) == 4, f"non-2D convolution {node.name}"
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {n: a.numpy() for n, a in zip(names, args, strict=True)})
    with torch.no_grad():
        want = model(*args)
    torch.testing.assert_close(torch.from_numpy(got), want, rtol=1e-4, atol=1e-5)


def _single_object_attrs(motion: str, speed: str | None = "fast", shape: str = "square") -> dict:
    return {"background": {"kind": "solid", "colors": ["blue"]},
            "objects": [{"shape": shape, "word": None, "color": "red", "motion": motion, "speed": speed,
                         "start": [0.5, 0.5], "size": 0.12}]}


@pytest.mark.parametrize("motion", ["left", "right", "up", "down", "zoom_in", "zoom_out"])
def test_opposite_twin_is_the_time_reversal(motion):
    attrs = _single_object_attrs(motion)
    if motion == "zoom_out":
        attrs["objects"][0]["size"] = 0.2
    twin = rd.with_motion(attrs, 0, rd.OPPOSITE[motion], GEOMETRY, np.random.default_rng(0))
    assert twin["objects"][0]["motion"] == rd.OPPOSITE[motion]
    a = render_clip(attrs, GEOMETRY).astype(int)
    b = render_clip(twin, GEOMETRY).astype(int)
    assert np.abs(a[::-1] - b).max() <= 1  # same path, walked backwards (up to float rounding)
    assert np.abs(a - b).max() > 100  # and a different clip


def test_counterfactual_changes_only_one_objects_motion_and_stays_in_frame():
    ds = PromoClips("train", length=200, seed=0, geometry=GEOMETRY, degrade_prob=0.0)
    rng = np.random.default_rng(0)
    made = 0
    for i in range(40):
        attrs, *_ = ds.item_attrs(i)
        twin = rd.motion_counterfactual(attrs, GEOMETRY, rng, opposite_share=0.0)
        if twin is None:
            continue
        made += 1
        changed = [j for j, (o, p) in enumerate(zip(attrs["objects"], twin["objects"], strict=True))
                   if o["motion"] != p["motion"]]
        assert len(changed) == 1
        for o, p in zip(attrs["objects"], twin["objects"], strict=True):
            assert (o["color"], o["shape"], o["word"]) == (p["color"], p["shape"], p["word"])
        assert rd.caption_of(twin, "short", rng) != rd.caption_of(attrs, "short", rng)
        render_clip(twin, GEOMETRY)  # a valid scene
    assert made >= 30


@pytest.mark.parametrize("kind", rd.QUALITY_KINDS)
def test_every_defect_changes_the_frame_and_grows_with_strength(kind):
    attrs = _single_object_attrs("still", None)
    attrs["background"] = {"kind": "gradient", "colors": ["blue", "yellow"], "angle": 30.0}
    frame = render_clip(attrs, GEOMETRY)[0].astype(np.float32) / 255.0
    weak = rd.defective_frame(frame, attrs, kind, 0.0, np.random.default_rng(1))
    strong = rd.defective_frame(frame, attrs, kind, 1.0, np.random.default_rng(1))
    assert strong.shape == frame.shape and strong.dtype == np.float32
    assert np.abs(weak - frame).mean() > 1e-3
    assert np.abs(strong - frame).mean() >= np.abs(weak - frame).mean() - 1e-6


def test_static_key_ignores_motion_and_order():
    a = {"objects": [{"color": "red", "shape": "circle", "word": None}, {"color": "blue", "shape": "text", "word": "GO"}]}
    b = {"objects": [{"color": "blue", "shape": "text", "word": "GO"}, {"color": "red", "shape": "circle", "word": None}]}
    assert rd.static_key(a) == rd.static_key(b) == "blue GO|red circle"


def test_multi_positive_cross_entropy_and_top1():
    logits = torch.tensor([[2.0, 0.0, 2.0], [0.0, 3.0, 0.0]])
    positives = torch.tensor([[True, False, True], [False, True, False]])
    want = -(0.5 * logits[0].log_softmax(0)[0] + 0.5 * logits[0].log_softmax(0)[2] + logits[1].log_softmax(0)[1]) / 2
    torch.testing.assert_close(_multi_positive_ce(logits, positives), want)
    assert _top1(logits, positives) == 1.0
    assert _top1(-logits, positives) == 0.0


def test_trimmed_text_encoding_is_exact():
    from t2v_turbo.train.rewards import TextContexts
    from t2v_turbo.train.teacher import load_text_encoder

    encoder = load_text_encoder(resolve_config("micro"))
    texts = ["a red circle moving left", "", "A crimson disc glides steadily toward the right over a soft "
             "blue-to-purple gradient. Meanwhile, the bold pink word SALE spins quickly clockwise."]
    want_c, want_m = encoder.encode(texts)
    got_c, got_m = TextContexts(encoder)(texts)
    torch.testing.assert_close(got_c, want_c, rtol=0, atol=1e-5)
    torch.testing.assert_close(got_m, want_m)


def test_micro_training_records_heldout_accuracy_and_enforces_the_floor(micro_stack):  # noqa: F811
    for kind, path in micro_stack.rewards.items():
        model, extras = load_reward(path, check_accuracy=False)
        assert extras["reward"] == kind and "heldout" in extras
        assert extras["input"]["mean"] == [0.5, 0.5, 0.5] and extras["input"]["kind"] in ("frames", "clip")
        assert not any(p.requires_grad for p in model.parameters())
    with pytest.raises(RewardTooWeak, match="held-out accuracy"):
        load_reward(micro_stack.rewards["quality"], min_accuracy=1.01)


def test_attribute_labels_mark_each_objects_combinations():
    attrs = {"objects": [{"color": "red", "shape": "text", "word": "GO", "motion": "left"},
                         {"color": "blue", "shape": "circle", "word": None, "motion": "still"}]}
    v = rd.video_labels(attrs)
    assert v.shape == (rd.label_count(rd.VIDEO_LABELS),) and v.sum() == 6  # 2 objects x 3 label spaces
    colours, shapes, motions = len(rd.COLOR_NAMES), len(rd.SHAPE_NAMES), len(rd.MOTIONS)
    red, left = rd.COLOR_NAMES.index("red"), rd.MOTIONS.index("left")
    assert v[red * motions + left] == 1  # (red, left)
    go = rd.SHAPE_NAMES.index("word GO")
    assert v[colours * motions + go * motions + left] == 1  # (word GO, left)
    i = rd.image_labels(attrs)
    assert i.shape == (colours * shapes + colours + shapes,) and i.sum() == 6


def test_export_fields_describe_each_model_for_the_package(micro_stack):  # noqa: F811
    from t2v_turbo.train.rewards import reward_export_fields

    for kind, path in micro_stack.rewards.items():
        f = reward_export_fields(path)
        assert f["id"] == kind and f["uses_text"] == (kind != "quality")
        assert f["kind"] == ("clip" if kind == "video_text" else "frames") and f["mean"] == (0.5, 0.5, 0.5)
        pixels = torch.zeros(1, 3, f["frames"], f["height"], f["width"]) if f["kind"] == "clip" else \
            torch.zeros(f["frames"], 3, f["height"], f["width"])
        args = (pixels,) if not f["uses_text"] else (pixels, torch.zeros(1, 48, 384), torch.ones(1, 48))
        assert f["module"](*args).shape == ((1,) if f["kind"] == "clip" else (f["frames"],))
