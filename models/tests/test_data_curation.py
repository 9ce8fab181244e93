"""Curation: pixel measurements find each degradation, the report scores them, the mixing policy routes subsets."""

import copy

import numpy as np
import pytest
import torch

from t2v_turbo.data import PromoClips, render_clip
from t2v_turbo.data.curation import (
    CuratedClips,
    CurationConfig,
    MixingPolicy,
    caption_problems,
    curation_report,
    measure,
    quality_problems,
)

# Which filter each degradation kind should trip.
EXPECTED = {"noise": "noisy", "blur": "blurry", "low_contrast": "low_contrast", "watermark": "overlay"}
PARAMS = {
    "noise": {"sigma": 0.05},
    "blur": {"sigma": 1.0},
    "low_contrast": {"contrast": 0.35},
    "watermark": {"alpha": 0.45, "text": 0.0, "x": 0.5, "y": 0.5},
    "jitter": {"shake": 3.0, "stutter": 0.3},
}


def _clean_scenes(count: int) -> list[dict]:
    ds = PromoClips("train", length=100_000, seed=11, degrade_prob=0.0)
    scenes = []
    for i in range(count):
        attrs = ds.item_attrs(i)[0]
        # A white overlay cannot show on a white or yellow background; such scenes test nothing here.
        if not set(attrs["background"]["colors"]) & {"white", "yellow"}:
            scenes.append(attrs)
    return scenes


def test_clean_clips_pass_and_each_degradation_is_caught_by_its_own_filter():
    config = CurationConfig()
    scenes = _clean_scenes(30)
    for attrs in scenes:
        assert quality_problems(measure(render_clip(attrs)), config) == [], attrs
        for kind, params in PARAMS.items():
            degraded = copy.deepcopy(attrs)
            degraded["degraded"], degraded["degradation"] = [kind], {kind: params}
            problems = quality_problems(measure(render_clip(degraded)), config)
            if kind == "jitter":
                assert {"shaky", "stuttering", "irregular_motion"} & set(problems), (kind, attrs, problems)
            else:
                assert EXPECTED[kind] in problems, (kind, attrs, problems)


def test_measurements_respond_to_strength():
    attrs = _clean_scenes(1)[0]
    sigmas = []
    for sigma in (0.03, 0.06, 0.09):
        noisy = copy.deepcopy(attrs)
        noisy["degraded"], noisy["degradation"] = ["noise"], {"noise": {"sigma": sigma}}
        sigmas.append(measure(render_clip(noisy))["noise"])
    assert sigmas[0] < sigmas[1] < sigmas[2]
    # Grey = mean of three channels with independent noise, so the estimate sits near sigma.
    assert sigmas[1] == pytest.approx(0.06, rel=0.25)
    with pytest.raises(ValueError, match="uint8"):
        measure(np.zeros((4, 8, 8, 3), np.float32))


def test_report_precision_and_recall_against_the_flags():
    ds = PromoClips("train", length=100_000, seed=5, degrade_prob=0.5)
    report = curation_report(ds, 160)
    q = report["quality_filter"]
    print(f"\ncuration on 160 clips (half degraded): precision {q['precision']:.3f}, recall {q['recall']:.3f}, "
          f"by kind {report['recall_by_kind']}")
    assert q["precision"] > 0.95 and q["recall"] > 0.9
    assert report["kept"] + report["dropped"] == 160
    assert report["degraded"] == q["true_positives"] + q["false_negatives"]


def test_caption_filters():
    config = CurationConfig()
    assert caption_problems("a red circle moving right", config) == []
    assert caption_problems("red circle", config) == ["caption_too_short"]
    assert caption_problems("word " * 60, config) == ["caption_too_long"]


def test_curated_dataset_only_returns_passing_items():
    ds = PromoClips("train", length=1000, seed=0, degrade_prob=0.6)
    curated = CuratedClips(ds)
    for i in range(6):
        item = curated[i]
        assert quality_problems(item["quality"], curated.config) == []
    assert torch.equal(curated[3]["video"], curated[3]["video"])  # deterministic


def test_mixing_policy_defaults_to_the_paper():
    policy = MixingPolicy()
    assert policy.uses("cd", "short") and policy.uses("cd", "dense")
    assert policy.uses("reward", "short") and not policy.uses("reward", "dense")
    assert policy.mask("reward", ["short", "dense", "short"]).tolist() == [True, False, True]
    assert MixingPolicy.from_dict({"reward": ["short", "dense"]}).uses("reward", "dense")
    with pytest.raises(ValueError, match="unknown objectives"):
        MixingPolicy.from_dict({"gan": ["short"]})
    with pytest.raises(ValueError, match="unknown styles"):
        MixingPolicy(reward=("long",))
    with pytest.raises(ValueError, match="unknown objective"):
        policy.uses("gan", "short")
    with pytest.raises(ValueError, match="unknown curation keys"):
        CurationConfig.from_dict({"max_noize": 0.1})
