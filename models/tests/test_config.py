"""Config strictness: unknown or ill-typed keys fail before any work, naming the dotted key."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from t2v_turbo.config import PRESETS, Config, ConfigError, config_from_dict, load_config, resolve_config


def test_presets_resolve_and_demo_is_the_default():
    for name in PRESETS:
        cfg = resolve_config(name)
        assert isinstance(cfg, Config)
    demo = resolve_config("demo")
    assert demo.teacher_training.multiscale_noise == 0.8
    # The demo departs from the defaults only in the teacher's recipe: data, VAE and widths are shared.
    assert demo.unet.prediction == "v" and demo.schedule.terminal_abar == 1e-6 and demo.teacher_top.enabled
    assert demo.data.entry_band == 0.1
    assert demo.teacher_images.enabled  # the teacher starts on single frames (stop 27) ...
    assert not demo.teacher_shapes.enabled  # still shapes first were forgotten on the promo clips (stop 34)
    recipe = ("teacher_training", "teacher_images", "teacher_top", "unet", "schedule", "data")
    assert dataclasses.replace(demo, **{k: getattr(Config(), k) for k in recipe}) == Config().validate()
    assert dataclasses.replace(demo.unet, prediction="epsilon", temporal_frame_position=False,
                               temporal_frame_position_init=Config().unet.temporal_frame_position_init,
                               frame_embedding=False) == Config().unet
    assert dataclasses.replace(demo.data, entry_band=0.0) == Config().data
    # A config stored before the key existed keeps white noise: the teachers it describes learnt that.
    stored = Config().to_dict()
    del stored["teacher_training"]["multiscale_noise"]
    assert config_from_dict(stored).teacher_training.multiscale_noise == 0.0
    assert resolve_config("micro").teacher_training.multiscale_noise == 0.0
    assert resolve_config("vc2").teacher_training.multiscale_noise == 0.0
    micro = resolve_config("micro")
    assert micro.latent_shape == (4, 4, 4, 4)
    vc2 = resolve_config("vc2")
    assert vc2.latent_shape == (4, 16, 40, 64)  # VideoCrafter2's 4 x 16 x 40 x 64 latent
    assert vc2.unet.model_channels == 320 and vc2.unet.context_dim == 1024


def test_the_still_shapes_stage_changes_only_its_data_and_batches():
    """teacher_shapes.apply: still-shape scenes, centred, frames only; every other key as the recipe's, and the
    recipe's own data key (the latent cache's) is what it was before these keys existed."""
    demo = resolve_config("demo")
    stage = demo.teacher_shapes.apply(demo)
    assert stage.data == dataclasses.replace(demo.data, scenes="still_shapes", placement_spread=0.15)
    assert stage.teacher_training == dataclasses.replace(demo.teacher_training, steps=1500, batch_size=0,
                                                         image_batch_size=64)
    assert dataclasses.replace(stage, data=demo.data, teacher_training=demo.teacher_training) == demo
    assert {"scenes", "still_colors", "still_backgrounds"}.isdisjoint(demo.data_key())
    assert stage.data_key()["scenes"] == "still_shapes" and "still_colors" not in stage.data_key()
    recoloured = resolve_config("demo", overrides=['data.still_colors=["red","white"]'])
    assert recoloured.teacher_shapes.apply(recoloured).data_key()["still_colors"] == ["red", "white"]
    assert recoloured.data_key() == demo.data_key()  # the promo clips do not depend on the still-shape keys


def test_overrides_are_typed_json():
    cfg = resolve_config(
        "micro",
        overrides=[
            "unet.model_channels=32",
            "unet.channel_mult=[1,2]",
            "sampling.guidance=5",
            "logging.progress=true",
        ],
    )
    assert cfg.unet.model_channels == 32 and cfg.unet.channel_mult == [1, 2]
    assert cfg.sampling.guidance == 5.0 and isinstance(cfg.sampling.guidance, float)
    assert cfg.logging.progress is True


@pytest.mark.parametrize(
    "override, message",
    [
        ("unet.model_chanels=32", "unknown config key 'unet.model_chanels'"),
        ("trainig.steps=3", "unknown config key 'trainig'"),
        ("unet.model_channels=32.5", "unet.model_channels must be an integer"),
        ("unet.model_channels=true", "unet.model_channels must be an integer"),
        ('unet.channel_mult=[1,"x"]', "unet.channel_mult[1] must be an integer"),
        ("logging.progress=1", "logging.progress must be true or false"),
        ("teacher_training.mixed_precision=fp8", "teacher_training.mixed_precision must be one of"),
        ("teacher_training.text_dropout=1.5", "teacher_training.text_dropout must lie in [0, 1]"),
        ("teacher_training.multiscale_noise=1", "teacher_training.multiscale_noise must lie in [0, 1)"),
        ("teacher_training.high_noise_share=-0.1", "teacher_training.high_noise_share must lie in [0, 1]"),
        ("data.entry_band=1.5", "data.entry_band must lie in [0, 1]"),
        ("data.object_scale=0", "data.object_scale must lie in (0, 2.0]"),
        ("data.placement_spread=-0.5", "data.placement_spread must lie in [0, 1]"),
        ("teacher_training.snr_weight_floor=5", "teacher_training.snr_weight_floor must be 0 or lie in (0, min_snr"),
        ("teacher_training.high_noise_from=1000", "teacher_training.high_noise_from must lie in [0, 1000)"),
        ("unet.context_dim=512", "unet.context_dim (512) must equal text.embed_dim (384)"),
        ("geometry.height=66", "geometry.height/width (66x64) must be divisible by the VAE factor 4"),
        ("teacher_training.steps=0", "teacher_training.steps must be positive"),
        ("teacher_images.image_batch_size=0", "teacher_images.image_batch_size must be positive when"),
        ("teacher_images.steps=0", "teacher_images.steps must be positive"),
        ("teacher_shapes.image_batch_size=0", "teacher_shapes.image_batch_size must be positive, got 0"),
        ("teacher_shapes.placement_spread=1.5", "teacher_shapes.placement_spread must lie in [0, 1]"),
        ("data.scenes=stills", "data.scenes must be one of ['promo', 'still_shapes']"),
        ('data.still_colors=["gold"]', "data.still_colors must be a non-empty list of colours from ['red'"),
        ("data.still_backgrounds=[]", "data.still_backgrounds must be a non-empty list of colours"),
        ('data.still_colors=["yellow","purple"]', "data.still_colors ['purple'] are too close to the background 'blue'"),
        ("teacher_training.keep_every=-250", "teacher_training.keep_every must be 0 (rotate everything)"),
        ("unet", "must look like section.key=value"),
    ],
)
def test_bad_overrides_name_the_key(override, message):
    with pytest.raises(ConfigError) as e:
        resolve_config("demo", overrides=[override])
    assert message in str(e.value)


def test_post_training_schedule_keys_are_checked_in_every_stage():
    from t2v_turbo.train.post_config import resolve_post_config

    for key in ("distill.training.keep_every", "rewards.quality.training.keep_every"):
        with pytest.raises(ConfigError, match=f"{key} must be 0"):
            resolve_post_config("micro", overrides=[f"{key}=-1"])
    for stage in ("distill.training", "rewards.video_text.training"):
        message = rf"{stage}.cooldown_steps must lie in \[0, steps = \d+\], got 99999"
        with pytest.raises(ConfigError, match=message):
            resolve_post_config("micro", overrides=[f"{stage}.cooldown_steps=99999"])
    assert resolve_post_config("micro", overrides=["distill.training.keep_every=100"]).distill.training.keep_every == 100
    with pytest.raises(ConfigError, match="distill.cond_lr_scale must be positive, got 0"):
        resolve_post_config("micro", overrides=["distill.cond_lr_scale=0"])


def test_json_file_layer_is_strict(tmp_path: Path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"unet": {"model_channels": 48}, "teacher_training": {"steps": 7}}))
    cfg = resolve_config("demo", good)
    assert cfg.unet.model_channels == 48 and cfg.teacher_training.steps == 7
    assert cfg.unet.channel_mult == Config().unet.channel_mult  # untouched keys keep the preset's values
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"vae": {"chmult": [1, 2]}}))
    with pytest.raises(ConfigError, match="unknown config key 'vae.chmult'"):
        resolve_config("demo", bad)
    with pytest.raises(ConfigError, match="unknown preset"):
        resolve_config("large")


def test_round_trip_through_json(tmp_path: Path):
    cfg = resolve_config("micro", overrides=['data.caption_mix={"short": 1.0}'])
    path = tmp_path / "config.json"
    path.write_text(cfg.to_json())
    assert load_config(path) == cfg
    with pytest.raises(ConfigError, match="unknown config key 'extra'"):
        config_from_dict({**cfg.to_dict(), "extra": 1})


def test_cli_rejects_a_bad_key_before_any_work(tmp_path: Path):
    out = tmp_path / "run"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "t2v_turbo",
            "train-vae",
            "--preset",
            "micro",
            "--out",
            str(out),
            "--set",
            "vae.chanels=8",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "unknown config key 'vae.chanels'" in proc.stderr
    assert not out.exists()  # failed before creating anything
