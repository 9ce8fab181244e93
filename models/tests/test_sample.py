"""The teacher's sampler (DDIM + CFG) and the `sample` command: MP4 via PyAV, PNG frames, a grid."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
import torch

from t2v_turbo.config import resolve_config
from t2v_turbo.diffusion.ddim import cfg as guided
from t2v_turbo.evaluate import measure_clip, motion_ok
from t2v_turbo.sample import sample_latents, sample_videos, to_uint8, write_mp4
from t2v_turbo.train.teacher import load_teacher, load_text_encoder, train_teacher
from t2v_turbo.train.vae import load_vae, train_vae


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Micro-sized ops gain nothing from a second thread and stall on a busy shared CPU."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def micro_teacher(tmp_path_factory) -> Path:
    cfg = resolve_config("micro")
    root = tmp_path_factory.mktemp("run")
    vae = train_vae(cfg, root / "vae")
    return train_teacher(cfg, root / "teacher", vae)


def test_sampler_runs_and_is_seeded(micro_teacher: Path):
    unet, cfg, extras = load_teacher(micro_teacher)
    vae, scale, _ = load_vae(extras["vae"])
    encoder = load_text_encoder(cfg)
    prompts = ["a red circle moving right", "a blue square moving up"]
    videos = sample_videos(unet, vae, scale, encoder, prompts, cfg, steps=4, guidance=7.5, seed=3)
    g = cfg.geometry
    assert videos.shape == (2, 3, g.frames, g.height, g.width)
    assert torch.isfinite(videos).all() and videos.abs().max() <= 1.0
    again = sample_videos(unet, vae, scale, encoder, prompts[:1], cfg, steps=4, guidance=7.5, seed=3)
    torch.testing.assert_close(again[0], videos[0])  # prompt i uses seed + i: reproducible
    # Guidance enters as eps_c + w (eps_c - eps_u): w = 0 is the plain conditional sampler.
    ctx, _ = encoder.encode(prompts[:1])
    unc, _ = encoder.encode([""])
    z_cfg0 = sample_latents(unet, ctx, unc, cfg, 4, 0.0, 3)
    z_cfg5 = sample_latents(unet, ctx, unc, cfg, 4, 5.0, 3)
    assert not torch.allclose(z_cfg0, z_cfg5)
    e_c, e_u = torch.ones(2), torch.zeros(2)
    torch.testing.assert_close(guided(e_c, e_u, 7.5), torch.full((2,), 8.5))


def test_mp4_round_trip(tmp_path: Path):
    frames = np.zeros((16, 64, 64, 3), dtype=np.uint8)
    for t in range(16):
        frames[t, 20:30, 4 + 3 * t : 14 + 3 * t] = (220, 30, 40)  # a red block moving right
    path = write_mp4(frames, tmp_path / "clip.mp4", fps=8, upscale=2)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.width, stream.height) == ("h264", 128, 128)
        assert stream.average_rate == 8
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(decoded) == 16
    # Lossy, but the block is where it was: the colour check finds it moving right.
    small = np.stack(decoded)[:, ::2, ::2]
    m = measure_clip(small, "red")
    assert m["color_ok"] and motion_ok("right", m["motion"]), m
    with pytest.raises(ValueError, match="even frame sizes"):
        write_mp4(np.zeros((2, 5, 5, 3), np.uint8), tmp_path / "odd.mp4", fps=8)


def test_to_uint8_rounds_like_the_browser():
    video = torch.tensor([-1.0, -0.5, 0.0, 1.0, 2.0]).view(1, 5, 1, 1).expand(3, 5, 1, 1)
    assert to_uint8(video)[:, 0, 0, 0].tolist() == [0, 64, 128, 255, 255]


def test_sample_command_writes_mp4_frames_and_grid(micro_teacher: Path, tmp_path: Path):
    out = tmp_path / "samples"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "t2v_turbo",
            "sample",
            "--teacher",
            str(micro_teacher),
            "--prompt",
            "a crimson disc sliding left",
            "--out",
            str(out),
            "--steps",
            "3",
            "--frames",
            "--grid",
            "--upscale",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "sample_000.mp4").is_file() and (out / "grid.png").is_file()
    assert len(list((out / "sample_000_frames").glob("frame_*.png"))) == 4  # micro: 4 frames
    assert str(out / "sample_000.mp4") in proc.stdout  # the command says where its outputs went


def test_caption_override_tells_a_caption_led_teacher_from_a_clip_led_one():
    """eval-teacher's SDEdit check on toy denoisers whose x0 is known exactly (CFG off, identity VAE):
    one draws the clip its caption describes, the other reads every word but the direction."""
    import dataclasses

    from t2v_turbo.data.captions import short_caption
    from t2v_turbo.data.render import render_clip
    from t2v_turbo.data.scene import Background, Scene, SceneObject
    from t2v_turbo.evaluate import caption_override
    from t2v_turbo.train.teacher import noise_schedule

    cfg = resolve_config("demo")
    scenes = [
        Scene(Background("solid", ["white"]), [SceneObject("circle", "red", "right", "slow", (0.5, 0.5), 0.14)]),
        Scene(Background("solid", ["black"]), [SceneObject("square", "yellow", "down", "slow", (0.5, 0.5), 0.14)]),
        Scene(Background("solid", ["white"]), [SceneObject("star", "blue", "rotate", "fast", (0.5, 0.5), 0.14)]),
    ]

    def clip(scene):  # (3, T, H, W) in [-1, 1]: the "latent" of an identity VAE
        frames = render_clip(scene.to_dict(), cfg.geometry)
        return torch.from_numpy(frames).permute(3, 0, 1, 2).float() / 127.5 - 1.0

    captions = {}  # caption -> the clip it describes, from the scene's own start (mid-frame: both ways fit)
    for s in scenes:
        o = s.objects[0]
        for motion in {o.motion, {"right": "left", "down": "up"}.get(o.motion, o.motion)}:
            moved = dataclasses.replace(s, objects=[dataclasses.replace(o, motion=motion)])
            captions[short_caption(moved)] = clip(moved)
    names = ["", *captions]

    class Encoder:  # context (1, 1, 1) = the caption's index
        def encode(self, texts):
            return torch.tensor([[[float(names.index(t))]] for t in texts]), None

    class Identity:
        def decode(self, z):
            return z

    abar = noise_schedule(cfg).alphas_cumprod_torch().float()
    latents = torch.stack([clip(s) for s in scenes])

    def toy(follows_caption: bool):
        def unet(z, t, context, fps):
            a = abar[t.long()].view(-1, 1, 1, 1, 1)
            if follows_caption:
                x0 = torch.stack([captions[names[int(c)]] if int(c) else latents[0] for c in context[:, 0, 0]])
            else:  # reads colour and shape, not the direction: always the scene's own clip
                x0 = torch.stack([latents[next(i for i, sc in enumerate(scenes) if sc.objects[0].color in names[int(c)])]
                                  if int(c) else latents[0] for c in context[:, 0, 0]])
            return (z - a.sqrt() * x0) / (1 - a).sqrt()
        return unet

    led = caption_override(toy(True), Identity(), 1.0, Encoder(), cfg, latents, scenes, steps=10, guidance=0.0)
    assert led == {"start": 900, "clips": 2, "true_followed": 2, "steered": 2, "kept": 0}  # rotate is skipped
    blind = caption_override(toy(False), Identity(), 1.0, Encoder(), cfg, latents, scenes, steps=10, guidance=0.0)
    assert blind == {"start": 900, "clips": 2, "true_followed": 2, "steered": 0, "kept": 2}
