"""`eval-teacher` end to end at the demo's 64x64 frames, where every check runs (the shape check needs
32+ px): a micro-sized teacher trained for a few steps, so what is tested is the path, not the figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from t2v_turbo.config import resolve_config
from t2v_turbo.data.heldout import EVAL_PROMPTS
from t2v_turbo.data.vocabulary import TRANSLATIONS
from t2v_turbo.evaluate import LEAK_TIMESTEPS, evaluate_teacher
from t2v_turbo.eval.shape_check import SHAPES, shape_prompts
from t2v_turbo.train.teacher import train_teacher
from t2v_turbo.train.vae import train_vae

# The micro networks on the demo's frames: 4 frames of 64x64 px -> a 4x4x16x16 latent.
FRAMES_64 = ["geometry.height=64", "geometry.width=64"]


@pytest.fixture(scope="module")
def teacher_64(tmp_path_factory) -> Path:
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # micro-sized ops gain nothing from a second thread on a busy shared CPU
    cfg = resolve_config("micro", overrides=FRAMES_64)
    root = tmp_path_factory.mktemp("run64")
    try:
        return train_teacher(cfg, root / "teacher", train_vae(cfg, root / "vae"))
    finally:
        torch.set_num_threads(before)


def test_eval_teacher_runs_every_check_and_writes_its_report(teacher_64: Path, tmp_path: Path):
    out = tmp_path / "eval"
    summary = evaluate_teacher(teacher_64, out, direction_seeds=(100,), shape_seeds=(300,))
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk["steps"] == summary["steps"] == 4 and on_disk["guidance"] == 7.5

    # Every held-out prompt is sampled, checked and written as an MP4, each kind as a grid.
    assert len(summary["results"]) == len(EVAL_PROMPTS) == len(list((out / "mp4").glob("*.mp4")))
    kinds = {p["kind"] for p in EVAL_PROMPTS}
    assert all((out / f"grid_{kind}.png").stat().st_size > 0 for kind in kinds)
    for row in summary["results"]:
        assert row["motion_ok"] <= row["color_ok"]  # a motion is only judged where its colour is found
        assert row["color_ok"] or row["shape_drawn"] is None  # a shape is only read where its colour is found
        assert row["shape_ok"] == (row["shape_drawn"] == row["shape"])
    # The checks are calibrated on rendered clips of the same geometry: the figures a reader weighs them by.
    truth = summary["checks_on_ground_truth"]
    assert truth["clips"] == 120 and truth["color_accuracy"] >= 0.95 and truth["shape_accuracy"] >= 0.95

    # The shape check: every shape in every colour, each clip tallied once.
    shapes = summary["shape_check"]
    assert shapes["clips"] == len(shape_prompts()) == len(shapes["results"])
    assert shapes["hits"] <= shapes["found"] <= shapes["clips"]
    assert sum(sum(row.values()) for row in shapes["confusion"].values()) == shapes["found"]
    assert set(shapes["confusion"]) == set(SHAPES) and (out / "grid_shapes.png").stat().st_size > 0
    # The direction check: the held-out prompts that ask for left, right, up or down.
    directions = summary["direction_check"]
    assert directions["clips"] == sum(p["motion"] in TRANSLATIONS for p in EVAL_PROMPTS)
    assert sum(k["clips"] for k in directions["by_kind"].values()) == directions["clips"]
    assert directions["hits"] <= directions["color_found"] and -1 <= directions["cosine"] <= 1
    # The probes that need no sampling.
    assert summary["probe_clips"] > 0 and summary["training_clip_probe"]["clips"] > 0
    assert [leak["t"] for leak in summary["layout_leak_by_t"]] == list(LEAK_TIMESTEPS)
    assert summary["caption_override"]["clips"] > 0

    # --shape-only draws the same clips from the same seeds: the same verdicts, alone in shape.json.
    alone = evaluate_teacher(teacher_64, tmp_path / "shape-only", shape_seeds=(300,), shape_only=True)
    assert alone["shape_check"]["results"] == shapes["results"]
    written = json.loads((tmp_path / "shape-only" / "shape.json").read_text())
    assert written["shape_check"]["hits"] == shapes["hits"]
    assert not (tmp_path / "shape-only" / "summary.json").exists()
