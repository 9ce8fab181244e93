"""The caption-swap probe: which attribute words a denoiser reads (eval/caption_probe.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from t2v_turbo.config import resolve_config
from t2v_turbo.data.captions import short_caption
from t2v_turbo.data.scene import Background, Scene, SceneObject
from t2v_turbo.diffusion.schedule import add_noise
from t2v_turbo.eval.caption_probe import (
    ATTRIBUTES,
    caption_probe,
    layout_leak,
    probe_clips,
    probe_scene,
    swapped_caption,
    x0_error,
)
from t2v_turbo.train.teacher import build_unet, load_text_encoder, noise_schedule
from t2v_turbo.train.vae import build_vae, dataset


def scene(shape="circle", color="red", motion="right", pan=None, objects=1) -> Scene:
    obj = SceneObject(shape, color, motion, "fast", (0.3, 0.5), 0.15, "SALE" if shape == "text" else None)
    return Scene(Background("solid", ["white"]), [obj] * objects, pan)


def test_a_swap_changes_only_its_attribute():
    rng = np.random.default_rng(0)
    s = scene()
    assert short_caption(s) == "a red circle moving right"
    assert swapped_caption(s, "motion", rng) == "a red circle moving left"
    assert swapped_caption(scene(motion="zoom_in"), "motion", rng) == short_caption(scene(motion="zoom_out"))
    colour = swapped_caption(s, "color", rng)
    assert colour.endswith(" circle moving right") and " red " not in colour
    shape = swapped_caption(s, "shape", rng)
    assert shape.startswith("a red ") and shape.endswith(" moving right") and "circle" not in shape
    with pytest.raises(ValueError, match="attribute must be one of"):
        swapped_caption(s, "speed", rng)


def test_only_single_shapes_with_a_directed_motion_are_probed():
    assert probe_scene(scene())
    assert not probe_scene(scene(motion="rotate"))  # no single opposite
    assert not probe_scene(scene(motion="still"))
    assert not probe_scene(scene(shape="text"))  # words have no shape to swap
    assert not probe_scene(scene(pan="left"))
    assert not probe_scene(scene(objects=2))


def test_training_probe_clips_are_cached_training_clips_and_held_out_ones_are_not():
    cfg = resolve_config("micro", overrides=["data.teacher_clips=60"])
    vae = build_vae(cfg).eval()
    _, train = probe_clips(cfg, vae, 1.0, count=3, split="train")
    _, held_out = probe_clips(cfg, vae, 1.0, count=3, split="val")
    ds = dataset(cfg, "train", degrade_prob=0.0)
    scenes = [Scene.from_dict(ds.item_attrs(i)[0]) for i in range(60)]
    cached = {s.content_key() for s in scenes}
    assert len(train) == 3 and all(s.content_key() in cached for s in train)
    assert len(held_out) == 3 and not any(s.content_key() in cached for s in held_out)
    # A cache that holds no probe-able clip: the first one lies just past it.
    first = next(i for i, s in enumerate(scenes) if probe_scene(s))
    assert first > 0
    too_few = resolve_config("micro", overrides=[f"data.teacher_clips={first}"])
    with pytest.raises(ValueError, match="no clip of the train split can be probed"):
        probe_clips(too_few, vae, 1.0, split="train")


@pytest.fixture(scope="module")
def encoder():
    return load_text_encoder(resolve_config("micro"))


def test_a_denoiser_blind_to_text_reads_no_word(encoder):
    cfg = resolve_config("micro")
    torch.manual_seed(0)
    unet = build_unet(cfg).eval()  # spatial transformers start as identity: the output ignores the text
    latents, scenes = probe_clips(cfg, build_vae(cfg).eval(), 1.0, count=3)
    assert len(scenes) == 3 and all(probe_scene(s) for s in scenes)
    g = cfg.geometry
    assert latents.shape == (3, cfg.vae.z_channels, g.frames, g.height // 4, g.width // 4)
    fps = torch.full((3,), float(g.fps))
    probe = caption_probe(lambda z, t, c: unet(z, t, c, fps), lambda x: encoder.encode(x)[0], latents, scenes,
                          noise_schedule(cfg).alphas_cumprod_torch(), timesteps=(500, 900))
    assert set(probe) == set(ATTRIBUTES)
    for values in probe.values():
        assert values["t=500"] == 0.0 and values["t=900"] == 0.0


def test_a_denoiser_that_needs_the_true_caption_loses_with_each_swap(encoder):
    """An oracle that recovers the noise exactly, plus an error growing with the distance of its context
    from the clip's true caption: every swapped attribute must show as a positive loss increase."""
    scenes = [scene(color="red", motion="right"), scene(shape="square", color="blue", motion="up")]
    latents = torch.randn(2, 4, 4, 4, 4, generator=torch.Generator().manual_seed(0))  # (B, C, T, h, w)
    true = encoder.encode([short_caption(s) for s in scenes])[0]  # (B, L, D)
    abar = noise_schedule(resolve_config("micro")).alphas_cumprod_torch()

    def oracle(z_t, t, context):
        a = abar[t.long()].view(-1, 1, 1, 1, 1)
        noise = (z_t - a.sqrt() * latents) / (1 - a).sqrt()
        error = 0.1 + (context - true).pow(2).mean(dim=(1, 2)).sqrt()  # (B,)
        return noise + error.view(-1, 1, 1, 1, 1)

    probe = caption_probe(oracle, lambda x: encoder.encode(x)[0], latents, scenes, abar, timesteps=(800,))
    for attribute in ATTRIBUTES:
        assert probe[attribute]["t=800"] > 1.0, (attribute, probe)
    # The same z_t and noise are used for the true and the swapped caption: the oracle's loss is exact.
    noise = torch.randn(latents.shape, generator=torch.Generator().manual_seed(0))
    z = add_noise(latents, noise, torch.full((2,), 800), abar)
    assert torch.allclose(oracle(z, torch.full((2,), 800.0), true) - noise, torch.full_like(z, 0.1), atol=1e-5)


def test_layout_leak_is_one_for_a_denoiser_that_reads_the_clip_and_zero_for_one_that_invents_it():
    latents = torch.randn(16, 4, 4, 4, 4, generator=torch.Generator().manual_seed(1))  # (B, C, T, h, w)
    abar = noise_schedule(resolve_config("micro")).alphas_cumprod_torch()
    empty = torch.zeros(1, 3, 8)  # (1, L, D)

    def denoiser_predicting(x0):  # eps whose implied x0 is `x0`, whatever the context
        def denoise(z_t, t, context):
            assert context.shape == (16, 3, 8)
            a = abar[t.long()].view(-1, 1, 1, 1, 1)
            return (z_t - a.sqrt() * x0) / (1 - a).sqrt()
        return denoise

    reads = layout_leak(denoiser_predicting(latents), empty, latents, abar)
    assert reads["t"] == 999
    for part in ("clip", "layout", "motion"):
        assert reads[part] == pytest.approx(1.0, abs=1e-4)
    other_clips = torch.randn(latents.shape, generator=torch.Generator().manual_seed(2))
    invents = layout_leak(denoiser_predicting(other_clips), empty, latents, abar, timestep=900)
    assert invents["t"] == 900
    for part in ("clip", "layout", "motion"):
        assert abs(invents[part]) < 0.15


def test_layout_leak_draws_the_training_noise():
    """A multiscale teacher is measured on its own noise, whose coarse levels hide a static layout."""
    latents = torch.randn(16, 4, 1, 4, 4, generator=torch.Generator().manual_seed(1)).expand(-1, -1, 4, -1, -1)
    abar = noise_schedule(resolve_config("micro")).alphas_cumprod_torch()

    def reads_the_frame_average(z_t, t, context):  # x0_hat = mean over frames of z_t / sqrt(abar_t)
        a = abar[t.long()].view(-1, 1, 1, 1, 1)
        return (z_t - z_t.mean(dim=2, keepdim=True)) / (1 - a).sqrt()

    white = layout_leak(reads_the_frame_average, torch.zeros(1, 3, 8), latents, abar, timestep=500)
    coarse = layout_leak(reads_the_frame_average, torch.zeros(1, 3, 8), latents, abar, timestep=500, multiscale=0.8)
    assert white["motion"] == coarse["motion"] == 0.0  # a static clip and a static estimate
    assert white["layout"] > coarse["layout"] + 0.1  # 0.55 vs 0.41 here


def test_x0_error_is_zero_for_an_oracle_and_the_baseline_for_a_mean_predictor():
    latents = torch.randn(8, 4, 4, 4, 4, generator=torch.Generator().manual_seed(1))  # (B, C, T, h, w)
    abar = noise_schedule(resolve_config("micro")).alphas_cumprod_torch()
    context = torch.zeros(8, 3, 8)

    def predicting(x0):  # eps whose implied x0 is `x0`
        def denoise(z_t, t, c):
            a = abar[t.long()].view(-1, 1, 1, 1, 1)
            return (z_t - a.sqrt() * x0) / (1 - a).sqrt()
        return denoise

    oracle = x0_error(predicting(latents), context, latents, abar, multiscale=0.8)
    assert set(oracle) == {"t=500", "t=800", "t=900", "t=950", "t=999", "mean"}
    assert all(oracle[k] < 1e-8 for k in oracle if k != "mean")  # float32 round trip through eps
    mean = latents.mean(dim=(0, 2, 3, 4), keepdim=True).expand_as(latents)
    blind = x0_error(predicting(mean), context, latents, abar)
    assert all(blind[k] == pytest.approx(blind["mean"], rel=1e-4) for k in blind)
    # An epsilon off by 0.05 everywhere costs 0.05^2 (1 - abar) / abar in x0: ~0.5 at t = 999.
    noisy = x0_error(lambda z, t, c: predicting(latents)(z, t, c) + 0.05, context, latents, abar)
    assert noisy["t=999"] == pytest.approx(0.05**2 * float((1 - abar[999]) / abar[999]), rel=1e-3)


def test_top_drift_reads_how_far_the_caption_alone_moves_the_object():
    """An oracle whose x0 is the asked clip scores its true displacement; one that ignores the direction, ~0."""
    from t2v_turbo.data.render import render_clip
    from t2v_turbo.data.scene import ClipGeometry
    from t2v_turbo.evaluate import DRIFT_PROMPTS, soft_displacement, top_drift

    geometry = ClipGeometry()
    start = {"left": (0.7, 0.5), "right": (0.3, 0.5), "up": (0.5, 0.7), "down": (0.5, 0.3)}

    def clips(motion_of):  # (16, 3, T, H, W) in [-1, 1]: prompt i's object on black, with motion_of(direction)
        out = []
        for _, color, direction in DRIFT_PROMPTS:
            motion = motion_of(direction)
            obj = SceneObject("circle", color, motion, None if motion == "still" else "fast", start[direction], 0.12)
            frames = render_clip(Scene(Background("solid", ["black"]), [obj]).to_dict(), geometry)
            out.append(torch.from_numpy(frames).permute(3, 0, 1, 2).float() / 127.5 - 1)
        return torch.stack(out)

    frames = ((clips(lambda d: d)[1] + 1) * 127.5).permute(1, 2, 3, 0).numpy()  # "moving right"
    assert soft_displacement(frames, DRIFT_PROMPTS[1][1]) == pytest.approx([25.6, 0.0], abs=1.0)  # 0.5 x 64 x 12/15

    abar = noise_schedule(resolve_config("demo")).alphas_cumprod_torch()
    top = abar[-1]

    def oracle(targets):
        def denoise(z, t, context):  # eps whose x0 is the prompt's clip; context holds the prompt's index
            x0 = targets[context[:, 0, 0].long()]
            return (z - top.sqrt() * x0) / (1 - top).sqrt()
        return denoise

    encode = lambda texts: torch.tensor([[[float(i)]] for i in range(len(texts))])  # noqa: E731
    shape = (3, geometry.frames, geometry.height, geometry.width)
    follows = top_drift(oracle(clips(lambda d: d)), lambda x: x, encode, abar, shape, seeds=1)
    assert follows["px"] == pytest.approx(25.6, abs=1.5) and follows["clips"] == 16
    blind = top_drift(oracle(clips(lambda d: "still")), lambda x: x, encode, abar, shape, seeds=1)
    assert abs(blind["px"]) < 0.5


def test_direction_check_counts_the_clips_that_move_the_asked_way():
    """An oracle that draws each directed held-out prompt scores every clip a hit at cosine 1; one that
    moves the other way scores none at cosine -1; one that paints the colour everywhere finds no object."""
    from t2v_turbo.data import EVAL_PROMPTS
    from t2v_turbo.data.render import render_clip
    from t2v_turbo.data.scene import ClipGeometry
    from t2v_turbo.evaluate import direction_check, format_direction_check

    asked = {p["prompt"]: p for p in EVAL_PROMPTS}
    opposite = {"left": "right", "right": "left", "up": "down", "down": "up"}
    start = {"left": (0.7, 0.5), "right": (0.3, 0.5), "up": (0.5, 0.7), "down": (0.5, 0.3)}

    def oracle(motion_of, draw=True):
        def render(texts, seed):
            clips = []
            for text in texts:
                p = asked[text]
                motion = motion_of(p["motion"])
                other = "white" if p["color"] == "black" else "black"
                obj = SceneObject("circle", p["color"] if draw else other, motion, "fast", start[motion], 0.12)
                ground = Background("solid", [other if draw else p["color"]])  # not drawn: the colour fills all
                clips.append(render_clip(Scene(ground, [obj]).to_dict(), ClipGeometry()))
            return clips
        return render

    follows = direction_check(oracle(lambda m: m), seeds=(1, 2))
    assert follows["clips"] == 32 and follows["color_found"] == 32 and follows["hits"] == 32
    assert follows["cosine"] == pytest.approx(1.0, abs=1e-6) and set(follows["by_kind"]) == {
        "seen", "paraphrase", "unseen-combination"}
    contrary = direction_check(oracle(opposite.get), seeds=(1,))
    assert contrary["color_found"] == 16 and contrary["hits"] == 0 and contrary["cosine"] == pytest.approx(-1.0)
    empty = direction_check(oracle(lambda m: m, draw=False), seeds=(1,))
    assert empty["color_found"] == 0 and empty["hits"] == 0
    assert "32 of 32 clips, 32 of those" in format_direction_check(follows)
