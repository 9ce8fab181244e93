"""A run interrupted between checkpoints and resumed with `--resume latest` continues from the saved
step and reaches exactly the weights (and EMA) of an uninterrupted run with the same seed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from t2v_turbo.config import resolve_config
from t2v_turbo.train import checkpoint as ckpt
from t2v_turbo.train.loop import SimulatedInterrupt
from t2v_turbo.train.teacher import load_text_encoder, train_teacher
from t2v_turbo.train.vae import train_vae


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    cfg = resolve_config(
        "micro",
        overrides=[
            "teacher_training.steps=6",
            "teacher_training.checkpoint_every=2",
            "teacher_training.keep_checkpoints=5",
        ],
    )
    vae = train_vae(resolve_config("micro"), tmp_path_factory.mktemp("vae"))
    return cfg, vae, load_text_encoder(cfg)


def _weights(folder: Path, name: str) -> dict[str, torch.Tensor]:
    return load_file(str(folder / name))


def test_resume_latest_matches_an_uninterrupted_run(setup, tmp_path: Path):
    cfg, vae, encoder = setup
    straight = train_teacher(cfg, tmp_path / "straight", vae, encoder=encoder)

    run = tmp_path / "interrupted"
    with pytest.raises(SimulatedInterrupt):
        train_teacher(cfg, run, vae, encoder=encoder, interrupt_after=5)  # dies after step 5; last save: 4
    assert [p.name for p in ckpt.list_checkpoints(run)] == ["step-000002", "step-000004"]
    assert ckpt.resolve_resume(run, "latest").name == "step-000004"
    # Training time accumulates over segments: pretend the first one took 1000 s.
    meta4 = run / "checkpoints/step-000004/meta.json"
    assert 0 < ckpt.train_seconds(meta4.parent) < 1000
    meta4.write_text(json.dumps({**json.loads(meta4.read_text()), "train_seconds": 1000.0}))
    resumed = train_teacher(cfg, run, vae, resume="latest", encoder=encoder)
    assert json.loads((resumed / "meta.json").read_text())["step"] == 6
    assert 1000 < ckpt.train_seconds(resumed) < 1100

    last = "checkpoints/step-000006"
    for name in ("model.safetensors", "ema.safetensors"):
        a, b = _weights(tmp_path / "straight" / last, name), _weights(run / last, name)
        assert a.keys() == b.keys()
        for key in a:
            assert torch.equal(a[key], b[key]), f"{name}:{key} differs after resuming"
    # The resumed run really trained from step 4: its step-4 weights differ from its step-6 weights.
    w4, w6 = (
        _weights(run / "checkpoints/step-000004", "model.safetensors"),
        _weights(run / last, "model.safetensors"),
    )
    assert any(not torch.equal(w4[k], w6[k]) for k in w6)
    assert torch.equal(
        _weights(straight, "model.safetensors")["out.2.weight"],
        _weights(run / "final", "model.safetensors")["out.2.weight"],
    )
    # A step-* folder loads as its final/ would: the EMA, not the online weights.
    loaded, meta = ckpt.load_final(run / last)
    final_w, online = _weights(run / "final", "model.safetensors"), _weights(run / last, "model.safetensors")
    assert meta["step"] == 6 and all(torch.equal(loaded[k], v) for k, v in final_w.items())
    assert any(not torch.equal(loaded[k], v) for k, v in online.items())


def test_resume_refuses_a_different_model(setup, tmp_path: Path):
    cfg, vae, encoder = setup
    with pytest.raises(SimulatedInterrupt):
        train_teacher(cfg, tmp_path, vae, encoder=encoder, interrupt_after=3)
    other = resolve_config("micro", overrides=["unet.num_head_channels=4"])
    with pytest.raises(ValueError, match="'unet' config differs"):
        train_teacher(other, tmp_path, vae, resume="latest", encoder=encoder)
    # A checkpoint saved before an option existed resumes: its config takes the option's default.
    saved = tmp_path / "checkpoints" / "step-000002" / "config.json"
    old = json.loads(saved.read_text())
    del old["unet"]["temporal_frame_position"], old["teacher_training"]["multiscale_noise"]
    saved.write_text(json.dumps(old))
    train_teacher(cfg, tmp_path, vae, resume="latest", encoder=encoder)
    assert (tmp_path / "final" / "model.safetensors").is_file()


def test_make_demo_base_regrows_the_stages_after_one_that_grows(tmp_path: Path):
    from t2v_turbo.cli import main

    out = tmp_path / "demo"
    base = ["make-demo-base", "--preset", "micro", "--out", str(out), "--skip-eval",
            "--set", "teacher_shapes.enabled=true", "--set", "teacher_shapes.steps=2",
            "--set", "teacher_shapes.image_batch_size=2", "--set", "teacher_images.enabled=true", "--set", "teacher_images.steps=3",
            "--set", "teacher_images.still_shapes_share=0.5",
            "--set", "teacher_images.image_batch_size=2",
            "--set", "teacher_top.enabled=true", "--set", "teacher_top.steps=2",
            "--set", "teacher_top.top_band_motions=[]"]

    def meta(stage: str) -> dict:
        return json.loads((out / stage / "final" / "meta.json").read_text())

    def grown_from(stage: str = "teacher-top") -> int:
        return meta(stage)["extras"]["initialised_from_step"]

    assert main(base) == 0
    # shapes (2 steps, frames of still shapes, their own latent cache) -> images (3 steps, frames only)
    # -> teacher (6 clip steps) -> teacher-top (2), the last three on one latent cache
    def cache_key(name: str = "cache") -> dict:
        return json.loads((out / name / "cache.json").read_text())["key"]

    assert meta("shapes")["step"] == 2 and "initialised_from" not in meta("shapes")["extras"]
    assert json.loads((out / "shapes" / "final" / "config.json").read_text())["data"]["scenes"] == "still_shapes"
    assert cache_key("cache-shapes")["data"]["scenes"] == "still_shapes" and "scenes" not in cache_key()["data"]
    assert meta("images")["step"] == 3 and grown_from("images") == 2
    images = json.loads((out / "images" / "final" / "config.json").read_text())["teacher_training"]
    assert images["batch_size"] == 0 and images["still_shapes_share"] == 0.5  # rehearses the cache-shapes clips
    assert grown_from("teacher") == 3 and grown_from() == 6
    assert not (out / "teacher" / "cache").exists()
    timings = out / "timings.json"
    assert {"vae_s", "shapes_s", "images_s", "teacher_s", "teacher_top_s"} <= json.loads(timings.read_text()).keys()
    timings.write_text(json.dumps(json.loads(timings.read_text()) | {"teacher_top_s": 1e6}))
    # A longer first stage (--resume, more steps) makes the old second stage stale: it is set aside, not kept.
    assert main([*base, "--resume", "--set", "teacher_training.steps=8"]) == 0
    assert grown_from() == 8
    assert grown_from("teacher-top.stale-1") == 6
    assert not any((out / f"{stage}.stale-1").exists() for stage in ("shapes", "images", "teacher"))
    assert json.loads(timings.read_text())["teacher_top_s"] < 1e6  # the stage set aside no longer counts
    # Resuming a finished run again changes nothing.
    before = (out / "teacher-top" / "final" / "model.safetensors").stat().st_mtime_ns
    assert main([*base, "--resume", "--set", "teacher_training.steps=8"]) == 0
    assert (out / "teacher-top" / "final" / "model.safetensors").stat().st_mtime_ns == before
    assert not (out / "teacher-top.stale-2").exists()
    # A longer image stage makes both later stages stale; they grow again, each from the new stage before it.
    assert main([*base, "--resume", "--set", "teacher_training.steps=8", "--set", "teacher_images.steps=4"]) == 0
    assert meta("images")["step"] == 4 and grown_from("images") == 2 and grown_from("teacher") == 4 and grown_from() == 8
    assert not (out / "shapes.stale-1").exists()
    assert grown_from("teacher.stale-1") == 3 and grown_from("teacher-top.stale-2") == 8
    # A longer VAE re-encodes both caches: every teacher stage learnt the old latents and starts again,
    # the shapes stage from nothing.
    vae_steps = json.loads((out / "vae" / "final" / "meta.json").read_text())["step"]
    keys = cache_key(), cache_key("cache-shapes")
    assert main([*base, "--resume", "--set", "teacher_training.steps=8", "--set", "teacher_images.steps=4",
                 "--set", f"vae_training.steps={vae_steps + 2}"]) == 0
    assert meta("vae")["step"] == vae_steps + 2
    assert cache_key() != keys[0] and cache_key("cache-shapes") != keys[1]
    assert "initialised_from" not in meta("shapes")["extras"] and meta("shapes.stale-1")["step"] == 2
    assert grown_from("images") == 2 and meta("images.stale-1")["step"] == 4
    assert grown_from("teacher") == 4 and grown_from("teacher.stale-2") == 4 and grown_from("teacher-top.stale-3") == 8
