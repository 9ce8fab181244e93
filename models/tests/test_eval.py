"""Evaluation: the video metrics equal the studio's definitions (the cases of
app/engine/kernels/video_metrics.test.ts and a float64 reference), scoring follows the studio's
pre-processing, rows share their noise, and make-demo-student writes the report from nothing but a
micro teacher."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from post_training_fixtures import micro_stack  # noqa: F401  (fixture)

from t2v_turbo.eval.metrics import video_metrics


def _clip(t: int, h: int, w: int, fn) -> np.ndarray:
    tt, yy, xx = np.meshgrid(np.arange(t), np.arange(h), np.arange(w), indexing="ij")
    return np.stack(fn(tt, yy, xx), axis=-1).astype(np.uint8)


def _reference(frames: np.ndarray) -> tuple[float, float, float]:
    """The definitions, directly in float64 with two-pass statistics."""
    x = frames.reshape(frames.shape[0], -1).astype(np.float64) / 255
    motion = np.mean([np.abs(x[t + 1] - x[t]).mean() for t in range(len(x) - 1)])
    flicker = np.mean([np.abs(x[t + 1] - 2 * x[t] + x[t - 1]).mean() for t in range(1, len(x) - 1)])
    consistency = np.mean([np.corrcoef(x[t], x[t + 1])[0, 1] for t in range(len(x) - 1)])
    return motion, flicker, consistency


def test_video_metrics_match_their_definitions():
    rng = np.random.default_rng(5)
    frames = _clip(5, 12, 16, lambda t, y, x: [(x * 12 + t * 20) % 256, (y * 20) % 256, rng.integers(0, 256, x.shape)])
    m = video_metrics(frames)
    for got, want in zip((m["motion"], m["flicker"], m["consistency"]), _reference(frames), strict=True):
        assert abs(got - want) < 1e-12
    assert len(m["motion_curve"]) == 4 and len(m["flicker_curve"]) == 3 and len(m["consistency_curve"]) == 4


def test_video_metrics_cases_shared_with_the_studio():
    still = _clip(4, 8, 8, lambda t, y, x: [x * 30, y * 30, np.full_like(x, 7)])
    m = video_metrics(still)
    assert (m["motion"], m["flicker"], m["consistency"]) == (0, 0, 1)
    fade = _clip(6, 8, 8, lambda t, y, x: [x * 20 + t * 10, y * 20 + t * 10, 100 + t * 10])
    m = video_metrics(fade)
    assert m["motion"] == pytest.approx(10 / 255, abs=1e-12) and m["flicker"] == 0
    assert m["consistency"] == pytest.approx(1, abs=1e-12)
    pulse = _clip(6, 8, 8, lambda t, y, x: [x * 20 + (t % 2) * 10, y * 20 + (t % 2) * 10, 100 + (t % 2) * 10])
    m = video_metrics(pulse)
    assert m["motion"] == pytest.approx(10 / 255, abs=1e-12) and m["flicker"] == pytest.approx(20 / 255, abs=1e-12)
    flat = _clip(2, 2, 2, lambda t, y, x: [t * 50, t * 50, t * 50])
    m = video_metrics(flat)
    assert m["consistency"] == 1 and m["flicker"] == 0
    with pytest.raises(ValueError, match="needs at least 2 frames, got 1"):
        video_metrics(flat[:1])
    with pytest.raises(ValueError, match="uint8"):
        video_metrics(flat.astype(np.float32))


def test_judges_score_like_the_studio(micro_stack):  # noqa: F811
    from t2v_turbo.eval.report import Judges
    from t2v_turbo.nets.rewards import strided_indices

    judges = Judges.load(micro_stack.post())
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, size=(4, 16, 16, 3), dtype=np.uint8)
    ctx, mask = torch.randn(1, 48, 384), torch.ones(1, 48)
    scores = judges.score(frames, ctx, mask)
    x = torch.from_numpy(frames).float().permute(0, 3, 1, 2) / 127.5 - 1  # (x / 255 - 0.5) / 0.5
    with torch.no_grad():
        want_q = judges.quality(x[strided_indices(4, judges.image_frames)]).mean()
        want_v = judges.video_text(x[strided_indices(4, judges.video_text.cfg.frames)].transpose(0, 1)[None], ctx, mask)
    assert scores["quality"] == pytest.approx(float(want_q), rel=1e-5, abs=1e-6)
    assert scores["video_text"] == pytest.approx(float(want_v[0]), rel=1e-5, abs=1e-6)


@pytest.mark.slow
def test_make_demo_student_writes_the_report(micro_stack, tmp_path: Path):  # noqa: F811
    from t2v_turbo.eval.reproduce import ABLATION_ROWS, make_demo_student
    from t2v_turbo.train.post_config import resolve_post_config

    report = tmp_path / "docs" / "POST_TRAINING.md"
    report.parent.mkdir()
    report.with_suffix(".notes.md").write_text("Hand-written analysis goes here.")
    out = tmp_path / "post"
    # Reuse the session's micro reward models: make-demo-student skips finished stages.
    for kind, path in micro_stack.rewards.items():
        shutil.copytree(path, out / "rewards" / kind / "final")
    # The rewards double as the judges here: each judge_* score must then equal its reward score.
    summary = make_demo_student(resolve_post_config("micro"), "micro", micro_stack.teacher, out, report,
                                overrides=[f"evaluation.judges={out / 'rewards'}"])
    result = json.loads(report.with_suffix(".json").read_text())
    names = [r["name"] for r in result["rows"]]
    assert names[0] == "teacher" and len(names) == 1 + 2 * (len(ABLATION_ROWS) + 1)
    assert "demo student @1" in names and "CD only @2" in names
    text = report.read_text()
    for needle in ("## Headline", "## Ablation", "| CD + video reward @1 |", "Hand-written analysis goes here.",
                   "## Reward models", "## Reproduce", "as in the paper", "scored by independent judges",
                   "| demo student @1 |"):
        assert needle in text, needle
    assert report.with_suffix(".grid.png").is_file()
    assert Path(summary["student"]).is_dir()
    demo = [r for r in result["rows"] if r["name"] == "demo student @1"][0]
    assert len(demo["prompts"]) == len(result["prompts"])
    assert all(np.isfinite(demo[k]) for k in ("video_text", "quality", "image_text", "motion", "seconds"))
    for k in ("video_text", "quality", "image_text"):
        assert demo[f"judge_{k}"] == pytest.approx(demo[k], rel=1e-6), k
    assert demo["w_response"]["w"] == [result["post"]["distill"]["w_min"], result["post"]["distill"]["w_max"]]
    assert set(demo["w_response"]["relative_change"]) == {"999", "500"}
    assert "The guidance input w: from w = " in text
    from t2v_turbo.data import EVAL_PROMPTS
    from t2v_turbo.data.vocabulary import TRANSLATIONS

    check = demo["direction_check"]  # the directed held-out prompts x 2 seeds, counted from the clips
    directed = 2 * sum(p["motion"] in TRANSLATIONS for p in EVAL_PROMPTS)
    assert check["clips"] == directed and 0 <= check["hits"] <= check["clips"]
    assert check["color_found"] == sum(r["color_ok"] for r in check["results"])
    assert "### Motion words" in text and f"| demo student @1 | {check['color_found']} of {directed} |" in text


def test_cli_routes_post_training_commands_and_rejects_bad_keys(capsys):
    from t2v_turbo.cli import build_parser, main

    args = build_parser().parse_args(["distill", "--teacher", "t", "--out", "o", "--set", "distill.skip=5"])
    assert args.command == "distill" and args.overrides == ["distill.skip=5"]
    assert main(["distill", "--teacher", "t", "--out", "o", "--set", "distill.nope=1"]) == 2
    assert "unknown config key 'distill.nope'" in capsys.readouterr().err
    assert main(["distill", "--teacher", "t", "--out", "o", "--set", "unet.model_channels=8"]) == 2
    assert "a student keeps its teacher's config" in capsys.readouterr().err


def test_make_demo_student_names_unknown_stages(tmp_path: Path):
    from t2v_turbo.eval.reproduce import make_demo_student
    from t2v_turbo.train.post_config import resolve_post_config

    with pytest.raises(ValueError, match=r"unknown stages \['bogus'\]; stages are \['rewards', 'cd'"):
        make_demo_student(resolve_post_config("micro"), "micro", "t", tmp_path, tmp_path / "r.md", only=["bogus"])
