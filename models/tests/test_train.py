"""Training on the micro config: losses fall, the NaN guard names the step and term, checkpoints
rotate and carry the whole config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from t2v_turbo.config import ConfigError, resolve_config
from t2v_turbo.train import checkpoint as ckpt
from t2v_turbo.train.loop import Stage, TrainingDiverged, lr_factor, param_groups, train_stage
from t2v_turbo.train.teacher import (
    motion_weighted_mse,
    build_unet,
    load_teacher,
    noise_schedule,
    teacher_losses,
    train_teacher,
    epsilon_loss_weight,
    motion_pool,
    teacher_batch,
    training_timesteps,
    TeacherCache,
)
from t2v_turbo.train.vae import build_vae, dataset, frame_batch, load_vae, train_vae, vae_losses


@pytest.fixture(scope="module")
def micro_vae(tmp_path_factory) -> Path:
    cfg = resolve_config("micro")
    return train_vae(cfg, tmp_path_factory.mktemp("vae"))


def test_vae_loss_decreases_and_is_measured(tmp_path: Path):
    cfg = resolve_config(
        "micro",
        overrides=[
            "vae_training.steps=40",
            "vae_training.checkpoint_every=40",
            "vae_training.batch_size=16",
            "logging.log_every=10",
        ],
    )
    frames = torch.cat(
        [dataset(cfg, "val", 8)[i]["video"].transpose(0, 1) for i in range(4)]
    )  # held-out frames

    def eval_loss(model) -> float:
        with torch.no_grad():
            return vae_losses(model.eval(), frames, torch.Generator().manual_seed(0), cfg)["loss"].item()

    torch.manual_seed(cfg.vae_training.seed)
    before = eval_loss(build_vae(cfg))
    final = train_vae(cfg, tmp_path)
    vae, scale, saved_cfg = load_vae(final)
    after = eval_loss(vae)
    assert after < 0.95 * before, (before, after)  # measured: 1.62 -> 1.46 (a 16x16 VAE of width 8)
    assert saved_cfg == cfg
    meta = json.loads((final / "meta.json").read_text())
    assert meta["extras"]["psnr_mean"] > 0 and scale == pytest.approx(1 / meta["extras"]["latent_std"])


@pytest.mark.parametrize("multiscale", [0.0, 0.8], ids=["white-noise", "multiscale-noise"])
def test_teacher_loss_decreases(micro_vae: Path, tmp_path: Path, multiscale: float):
    cfg = resolve_config(
        "micro",
        overrides=[
            "teacher_training.steps=40",
            "teacher_training.checkpoint_every=40",
            "teacher_training.batch_size=4",
            "teacher_training.lr=1e-3",
            f"teacher_training.multiscale_noise={multiscale}",
        ],
    )
    abar = noise_schedule(cfg).alphas_cumprod_torch()
    vae, scale, _ = load_vae(micro_vae)
    video = torch.stack([dataset(cfg, "val", 8)[i]["video"] for i in range(4)])
    batch = {"latents": vae.encode(video) * scale, "context": torch.zeros(4, 48, 384)}

    def eval_loss(model) -> float:
        with torch.no_grad():  # fixed timesteps and noise: the same question before and after
            return teacher_losses(model.eval(), batch, torch.Generator().manual_seed(0), cfg, abar)[
                "mse"
            ].item()

    torch.manual_seed(cfg.teacher_training.seed)
    before = eval_loss(build_unet(cfg))
    final = train_teacher(cfg, tmp_path, micro_vae)
    unet, saved_cfg, extras = load_teacher(final)
    after = eval_loss(unet)
    assert after < 0.9 * before, (before, after)
    assert extras["latent_scale"] == pytest.approx(scale)
    assert saved_cfg.teacher_training.multiscale_noise == multiscale  # what its samplers will draw
    # The student-only projections were frozen at their initial values: the teacher ignores w, motion.
    assert torch.count_nonzero(unet.combine_proj.weight) == 0


def _vae_stage(cfg, poison_step: int | None = None, term: str = "kl") -> Stage:
    torch.manual_seed(0)
    ds = dataset(cfg, "train")

    def batch_fn(step, rank, world):
        return step, frame_batch(ds, cfg, step, rank, world)

    def loss_fn(model, batch, gen):
        step, frames = batch
        terms = vae_losses(model, frames, gen, cfg)
        if step + 1 == poison_step:
            terms[term] = terms[term] * float("nan")
            terms["loss"] = terms["loss"] + terms[term]
        return terms

    return Stage(kind="vae", model=build_vae(cfg), batch_fn=batch_fn, loss_fn=loss_fn)


def test_high_noise_share_visits_the_top_band_more_and_defaults_to_the_old_draws():
    tt = resolve_config("micro").teacher_training
    uniform = training_timesteps(4096, 1000, torch.Generator().manual_seed(3), tt)
    assert torch.equal(uniform, torch.randint(0, 1000, (4096,), generator=torch.Generator().manual_seed(3)))
    tt.high_noise_share, tt.high_noise_from = 0.5, 800
    t = training_timesteps(4096, 1000, torch.Generator().manual_seed(3), tt)
    assert t.min() >= 0 and t.max() <= 999
    # 0.5 + 0.5 * 0.2 = 0.6 of the draws land in [800, 1000); the band stays uniform within itself.
    band = t[t >= 800]
    assert abs(band.numel() / 4096 - 0.6) < 0.03
    assert abs(band.float().mean().item() - 899.5) < 5
    tt.high_noise_share = 1.0
    assert training_timesteps(256, 1000, torch.Generator().manual_seed(3), tt).min() >= 800


def _attrs(motions: list[str], pan: bool = False) -> dict:
    return {"objects": [{"motion": m} for m in motions], "pan": {"direction": "left"} if pan else None}


def test_top_band_motions_feed_the_top_band_only_with_captioned_clips_that_move_so():
    cfg = resolve_config("micro", overrides=[
        "teacher_training.batch_size=64", "teacher_training.high_noise_share=0.5",
        "teacher_training.high_noise_from=980", 'teacher_training.top_band_motions=["left","right"]'])
    attrs = [_attrs(["left"]), _attrs(["right", "left"]), _attrs(["left"], pan=True), _attrs(["still"]),
             _attrs(["right", "zoom_in"]), _attrs(["up"])] * 4
    n = len(attrs)
    cache = TeacherCache(latents=torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1, 1).expand(n, 4, 4, 4, 4),
                         contexts=torch.randn(1 + 2 * n, 3, 8), caption_rows=torch.arange(1, 1 + 2 * n).view(n, 2),
                         captions=[""] * (1 + 2 * n), attrs=attrs)
    pool = motion_pool(cache, cfg.teacher_training.top_band_motions)
    assert pool.tolist() == [i for i in range(n) if i % 6 in (0, 1)]  # a pan or another motion excludes a clip
    tops, chosen, dropped_any, rest = 0, [], 0, []
    for step in range(20):
        batch = teacher_batch(cache, cfg, step, 0, 1, pool)
        top = batch["top"]
        dropped = (batch["context"] == cache.contexts[0]).flatten(1).all(1)
        assert not torch.equal(batch["latents"], teacher_batch(cache, cfg, step, 0, 1)["latents"]) or not top.any()
        index = torch.as_tensor(batch["index"])
        assert torch.equal(batch["latents"][:, 0, 0, 0, 0].long(), index)
        chosen += index[top & ~dropped].tolist()
        tops += int(top.sum()); dropped_any += int((top & dropped).sum())
        t = training_timesteps(64, 1000, torch.Generator().manual_seed(step), cfg.teacher_training, top)
        assert (t[top] >= 980).all()  # the marked items, and only they, draw the top band
        rest.append(t[~top])
    assert abs(tops / (20 * 64) - 0.5) < 0.05
    assert (torch.cat(rest) >= 980).float().mean() < 0.05  # the others: uniform over the schedule (2 % there)
    assert set(chosen) <= set(pool.tolist()) and len(set(chosen)) == len(pool)
    assert dropped_any > 0  # empty-caption top items exist and keep draws from the whole data
    with pytest.raises(ConfigError, match="unknown motions"):
        resolve_config("micro", overrides=['teacher_training.top_band_motions=["sideways"]'])
    with pytest.raises(ConfigError, match="needs teacher_training.high_noise_share"):
        resolve_config("micro", overrides=['teacher_training.top_band_motions=["left"]'])
    with pytest.raises(ValueError, match="selects nothing"):
        motion_pool(cache, ["rotate"])


def test_image_batches_add_single_frames_and_leave_the_clip_draws_alone():
    """Joint image-video training: image_batch_size frames, each from a drawn clip at a drawn position
    with that clip's short or dense caption (or the empty one), drawn after the clips, which stay as a
    run without images draws them."""
    cfg = resolve_config("micro", overrides=["teacher_training.batch_size=4", "teacher_training.image_batch_size=32"])
    n, frames = 24, 4
    latents = (100 * torch.arange(n).view(n, 1, 1, 1, 1) + torch.arange(frames).view(1, 1, frames, 1, 1)).float()
    cache = TeacherCache(latents=latents.expand(n, 4, frames, 2, 2).contiguous(), contexts=torch.randn(1 + 2 * n, 3, 8),
                         caption_rows=torch.arange(1, 1 + 2 * n).view(n, 2), captions=[""] * (1 + 2 * n))
    plain_cfg = resolve_config("micro", overrides=["teacher_training.batch_size=4"])
    positions, dropped = [], 0
    for step in range(10):
        batch, plain = teacher_batch(cache, cfg, step, 0, 1), teacher_batch(cache, plain_cfg, step, 0, 1)
        assert torch.equal(batch["latents"], plain["latents"]) and torch.equal(batch["context"], plain["context"])
        images = batch["image_latents"]  # (32, C, 1, h, w)
        assert images.shape == (32, 4, 1, 2, 2)
        clip = images[:, 0, 0, 0, 0].long() // 100
        assert torch.equal(images[:, 0, 0, 0, 0].long() % 100, batch["frame_index"])  # the frame it says it is
        for i, ctx in zip(clip.tolist(), batch["image_context"]):
            rows = [0, *cache.caption_rows[i].tolist()]
            match = [r for r in rows if torch.equal(ctx, cache.contexts[r])]
            assert match, "an image's caption is its own clip's (or the empty one)"
            dropped += match[0] == 0
        positions += batch["frame_index"].tolist()
    assert set(positions) == set(range(frames))
    assert 0 < dropped / 320 < 0.25  # text_dropout 0.1
    assert "image_latents" not in teacher_batch(cache, plain_cfg, 0, 0, 1)
    with pytest.raises(ConfigError, match="0 only with teacher_training.image_batch_size"):
        resolve_config("micro", overrides=["teacher_training.batch_size=0"])
    with pytest.raises(ConfigError, match="image_batch_size must be 0"):
        resolve_config("micro", overrides=["teacher_training.image_batch_size=-1"])


def test_image_only_teacher_learns_and_leaves_the_temporal_layers_untouched(micro_vae: Path, tmp_path: Path):
    """batch_size 0 + image_batch_size: the single-frame loss falls; the temporal layers get no gradient,
    so their zero-initialised outputs stay zero and the clip forward is the per-frame image forward."""
    cfg = resolve_config("micro", overrides=[
        "teacher_training.steps=40", "teacher_training.checkpoint_every=40", "teacher_training.batch_size=0",
        "teacher_training.image_batch_size=16", "teacher_training.lr=1e-3", "teacher_training.multiscale_noise=0.8"])
    abar = noise_schedule(cfg).alphas_cumprod_torch()
    vae, scale, _ = load_vae(micro_vae)
    video = torch.stack([dataset(cfg, "val", 8)[i]["video"] for i in range(4)])
    clips = vae.encode(video) * scale  # (4, C, T, h, w)
    frames = clips.transpose(1, 2).flatten(0, 1)[:, :, None]  # (4*T, C, 1, h, w)
    batch = {"latents": clips[:0], "context": torch.zeros(0, 48, 384), "image_latents": frames,
             "image_context": torch.zeros(frames.shape[0], 48, 384),
             "frame_index": torch.arange(clips.shape[2]).repeat(clips.shape[0])}

    def eval_loss(model) -> float:
        with torch.no_grad():
            return teacher_losses(model.eval(), batch, torch.Generator().manual_seed(0), cfg, abar)["mse_image"].item()

    torch.manual_seed(cfg.teacher_training.seed)
    before = eval_loss(build_unet(cfg))
    unet, _, _ = load_teacher(train_teacher(cfg, tmp_path, micro_vae))
    after = eval_loss(unet)
    assert after < 0.9 * before, (before, after)
    from t2v_turbo.nets.attention import TemporalTransformer
    from t2v_turbo.nets.unet3d import TemporalConvBlock

    outputs = [m.conv4[-1] if isinstance(m, TemporalConvBlock) else m.proj_out for m in unet.modules()
               if isinstance(m, (TemporalConvBlock, TemporalTransformer))]
    assert outputs and all(torch.count_nonzero(p) == 0 for o in outputs for p in o.parameters())


def test_teacher_top_stage_overrides_only_its_keys():
    cfg = resolve_config("demo")
    assert cfg.teacher_top.enabled  # the demo teacher is trained in two stages (make-demo-base)
    top = cfg.teacher_top.apply(cfg)
    assert top.teacher_training.high_noise_from == 980 and top.teacher_training.motion_loss_weight == 32
    assert top.teacher_training.top_band_motions == ["left", "right", "up", "down"]
    assert top.teacher_training.steps == cfg.teacher_top.steps and top.teacher_training.lr == cfg.teacher_top.lr
    kept = ("batch_size", "ema_decay", "multiscale_noise", "snr_weight_floor", "text_dropout")
    assert all(getattr(top.teacher_training, k) == getattr(cfg.teacher_training, k) for k in kept)
    assert top.unet == cfg.unet and top.data == cfg.data
    assert cfg.teacher_training.top_band_motions == []  # the first stage sees every clip at the top


def test_still_shapes_share_draws_that_share_of_the_frames_from_the_still_shape_clips():
    """Rehearsal: round(share x image_batch_size) frames come from the still-shape cache, each with its own
    clip's caption there (or the empty one); the rest from the main cache; the clips are untouched."""
    cfg = resolve_config("micro", overrides=["teacher_training.batch_size=2", "teacher_training.image_batch_size=16",
                                             "teacher_training.still_shapes_share=0.25"])

    def toy_cache(n: int, offset: float) -> TeacherCache:
        latents = (offset + 100 * torch.arange(n).view(n, 1, 1, 1, 1)).float().expand(n, 4, 4, 2, 2).contiguous()
        return TeacherCache(latents=latents, contexts=torch.randn(1 + 2 * n, 3, 8),
                            caption_rows=torch.arange(1, 1 + 2 * n).view(n, 2), captions=[""] * (1 + 2 * n))

    main, still = toy_cache(12, 0.0), toy_cache(6, 0.5)  # still-shape latents end in .5
    plain = resolve_config("micro", overrides=["teacher_training.batch_size=2", "teacher_training.image_batch_size=16"])
    for step in range(5):
        batch = teacher_batch(main, cfg, step, 0, 1, still_cache=still)
        assert torch.equal(batch["latents"], teacher_batch(main, plain, step, 0, 1)["latents"])
        values = batch["image_latents"][:, 0, 0, 0, 0]
        from_still = values.frac() == 0.5
        assert batch["image_latents"].shape[0] == 16 and from_still.sum() == 4 and from_still[-4:].all()
        for value, ctx in zip(values[from_still].tolist(), batch["image_context"][from_still]):
            rows = [0, *still.caption_rows[int(value) // 100].tolist()]
            assert any(torch.equal(ctx, still.contexts[r]) for r in rows)
    with pytest.raises(ValueError, match="needs the still-shape clips' cache"):
        teacher_batch(main, cfg, 0, 0, 1)
    with pytest.raises(ConfigError, match="still_shapes_share needs teacher_training.image_batch_size > 0"):
        resolve_config("micro", overrides=["teacher_training.still_shapes_share=0.25"])
    with pytest.raises(ConfigError, match=r"teacher_images.still_shapes_share must lie in \[0, 1\]"):
        resolve_config("demo", overrides=["teacher_images.still_shapes_share=1.5"])
    demo = resolve_config("demo", overrides=["teacher_images.still_shapes_share=0.25"])
    assert demo.teacher_images.apply(demo).teacher_training.still_shapes_share == 0.25
    assert demo.teacher_training.still_shapes_share == 0  # the clip stages rehearse nothing


def test_image_stage_trains_frames_alone_with_the_first_stages_objective():
    cfg = resolve_config("demo")
    images = cfg.teacher_images.apply(cfg).teacher_training
    assert images.batch_size == 0 and images.image_batch_size == cfg.teacher_images.image_batch_size > 0
    assert images.steps == cfg.teacher_images.steps
    kept = ("lr", "ema_decay", "multiscale_noise", "high_noise_share", "snr_weight_floor", "text_dropout", "seed")
    assert all(getattr(images, k) == getattr(cfg.teacher_training, k) for k in kept)
    assert cfg.teacher_training.image_batch_size == 0  # the clip stages see clips only
    # A bad second-stage value fails at once, naming its section, not after the first stage's training.
    with pytest.raises(ConfigError, match=r"teacher_top.top_band_motions: unknown motions \['sideways'\]"):
        resolve_config("demo", overrides=['teacher_top.top_band_motions=["sideways"]'])
    with pytest.raises(ConfigError, match="teacher_top.high_noise_share must lie in"):
        resolve_config("demo", overrides=["teacher_top.high_noise_share=1.5"])


def test_snr_weight_floor_lifts_only_the_high_noise_steps():
    tt = resolve_config("micro").teacher_training
    snr = torch.tensor([0.005, 0.02, 0.05, 1.0, 5.0, 50.0])
    assert torch.allclose(epsilon_loss_weight(snr, tt), torch.tensor([1, 1, 1, 1, 1, 0.1]))
    tt.snr_weight_floor = 0.05
    # x0-space weight clamp(SNR, 0.05, 5): epsilon weight 10x at SNR 0.005, unchanged from SNR 0.05 on.
    assert torch.allclose(epsilon_loss_weight(snr, tt), torch.tensor([10, 2.5, 1, 1, 1, 0.1]))
    tt.min_snr_gamma, tt.snr_weight_floor = 0.0, 0.0
    assert torch.equal(epsilon_loss_weight(snr, tt), torch.ones(6))


def test_motion_loss_weight_splits_appearance_from_motion_and_keeps_white_errors():
    g = torch.Generator().manual_seed(0)
    error = torch.randn(4, 4, 16, 8, 8, generator=g)  # (B, C, T, h, w)
    plain = error.pow(2).mean(dim=(1, 2, 3, 4))
    assert torch.equal(motion_weighted_mse(error, 1.0), plain)
    # A white error keeps its loss (1/T of it lies in the frame mean), up to sampling noise.
    assert abs(motion_weighted_mse(error, 4.0).mean().item() / plain.mean().item() - 1) < 0.02
    # Appearance only (one error repeated in every frame) vs motion only (zero frame mean), each of
    # mean square 1: the weight sets their ratio, and the normaliser (4 * 15/16 + 1/16) both scales.
    appearance = error[:, :, :1].expand_as(error)
    motion = error - error.mean(dim=2, keepdim=True)
    norm = 4.0 * 15 / 16 + 1 / 16
    torch.testing.assert_close(motion_weighted_mse(appearance, 4.0), appearance.pow(2).mean(dim=(1, 2, 3, 4)) / norm)
    torch.testing.assert_close(motion_weighted_mse(motion, 4.0), 4.0 * motion.pow(2).mean(dim=(1, 2, 3, 4)) / norm)
    with pytest.raises(ConfigError, match="motion_loss_weight must be positive"):
        resolve_config("micro", overrides=["teacher_training.motion_loss_weight=0"])


def test_lr_scale_moves_the_named_modules_faster_at_any_depth():
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = torch.nn.Linear(4, 4)
            self.combine_proj = torch.nn.Linear(4, 4)

        def forward(self, x):
            return self.combine_proj(torch.tanh(self.body(x)))

    torch.manual_seed(0)
    wrapped = torch.nn.ModuleDict({"model": Net()})  # names like model.combine_proj.weight, as under peft
    named = list(wrapped.named_parameters())
    assert len(param_groups(named, 1e-3, {})) == 1  # stages without a scale keep their optimizer layout
    assert len(param_groups(named, 1e-3, {"proj": 20.0})) == 1  # whole module names only
    optimizer = torch.optim.AdamW(param_groups(named, 1e-3, {"combine_proj": 20.0}), lr=1e-3, weight_decay=0.0)
    before = {n: p.detach().clone() for n, p in named}
    wrapped["model"](torch.randn(8, 4)).square().sum().backward()
    optimizer.step()
    # Adam's first step moves each weight with a gradient by its group's rate.
    moved = {n: (p.detach() - before[n]).abs().max().item() for n, p in named}
    assert moved["model.body.weight"] == pytest.approx(1e-3, rel=1e-3)
    assert moved["model.combine_proj.weight"] == pytest.approx(2e-2, rel=1e-3)
    assert moved["model.combine_proj.bias"] == pytest.approx(2e-2, rel=1e-3)


def test_cooldown_falls_linearly_to_the_last_step_and_is_off_by_default():
    cfg = resolve_config("micro", overrides=["vae_training.steps=10", "vae_training.warmup_steps=2"])
    assert [lr_factor(cfg.vae_training, s) for s in range(10)] == [0.5] + [1.0] * 9
    cfg = resolve_config("micro", overrides=["vae_training.steps=10", "vae_training.warmup_steps=2",
                                             "vae_training.cooldown_steps=4"])
    factors = [lr_factor(cfg.vae_training, s) for s in range(10)]
    assert factors == pytest.approx([0.5, 1, 1, 1, 1, 1, 1, 0.75, 0.5, 0.25])
    with pytest.raises(ConfigError, match=r"vae_training.cooldown_steps must lie in \[0, steps = 10\]"):
        resolve_config("micro", overrides=["vae_training.steps=10", "vae_training.cooldown_steps=11"])


def test_nan_guard_names_step_and_term_and_keeps_last_good_checkpoint(tmp_path: Path):
    cfg = resolve_config("micro", overrides=["vae_training.steps=6", "vae_training.checkpoint_every=2"])
    with pytest.raises(TrainingDiverged, match=r"step 5: loss term 'kl' is nan"):
        train_stage(_vae_stage(cfg, poison_step=5), cfg, cfg.vae_training, tmp_path)
    kept = [p.name for p in ckpt.list_checkpoints(tmp_path)]
    assert kept == ["step-000002", "step-000004"]  # nothing written for the poisoned step
    assert not (tmp_path / "final").exists()
    # The last good checkpoint is intact and loadable.
    state = ckpt.load_checkpoint(tmp_path / "checkpoints" / "step-000004", build_vae(cfg), None)
    assert state["step"] == 4


def test_checkpoints_rotate_and_carry_the_config(tmp_path: Path):
    cfg = resolve_config(
        "micro",
        overrides=[
            "vae_training.steps=5",
            "vae_training.checkpoint_every=1",
            "vae_training.keep_checkpoints=2",
        ],
    )
    train_stage(_vae_stage(cfg), cfg, cfg.vae_training, tmp_path)
    kept = ckpt.list_checkpoints(tmp_path)
    assert [p.name for p in kept] == ["step-000004", "step-000005"]
    for folder in kept:
        assert json.loads((folder / "config.json").read_text()) == cfg.to_dict()
        meta = ckpt.read_metadata(folder / "model.safetensors")
        assert meta["config"] == cfg and meta["kind"] == "vae" and meta["step"] == int(folder.name[5:])
    assert (tmp_path / "tb").is_dir() and any((tmp_path / "tb").iterdir())  # TensorBoard event file
    assert json.loads((tmp_path / "config.json").read_text()) == cfg.to_dict()


def test_rotation_spares_every_keep_every_th_step(tmp_path: Path):
    # A long run keeps its learning curve (step 2, 4, ...) besides the newest checkpoint.
    cfg = resolve_config("micro", overrides=["vae_training.steps=5", "vae_training.checkpoint_every=1",
                                             "vae_training.keep_checkpoints=1", "vae_training.keep_every=2"])
    train_stage(_vae_stage(cfg), cfg, cfg.vae_training, tmp_path)
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)] == ["step-000002", "step-000004", "step-000005"]
    assert ckpt.resolve_resume(tmp_path, "latest").name == "step-000005"
