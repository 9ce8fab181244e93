"""Training throughput (clips/s) of the real step functions: teacher training and consistency
distillation with and without reward feedback and motion guidance; and how fast the procedural
dataset renders the clips that the stages cache.

Each row runs the stage's own batch and loss functions (train/teacher.py, train/distill.py) with its
configured batch size, AdamW and gradient clipping, as train/loop.py does, minus checkpoints and
logging. Only the data is synthetic: latents and text contexts of the real shapes drawn at random
(rendering and encoding clips is a one-off cache, not part of a step; its values do not change the
cost of dense arithmetic). Motion-guidance gradients are computed with the real teacher, either
precomputed once per clip (the demo recipe: a preprocessing pass, timed per draw) or on the fly.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..config import PRESETS, Config, resolve_config
from ..diffusion.lcm import distillation_grid
from ..train.post_config import PostConfig, resolve_post_config
from .stats import summarize

REPO = Path(__file__).resolve().parents[4]
CLIPS = 8  # synthetic clips in the caches: enough distinct draws for a few steps


def post_preset_for(cfg: Config) -> str:
    """The post-training preset made for this geometry (micro for the micro nets, else demo)."""
    for name in ("micro", "demo"):
        if resolve_config(name).to_dict()["geometry"] == cfg.to_dict()["geometry"]:
            return name
    return "demo" if "demo" in PRESETS else next(iter(PRESETS))


def _timed_steps(
    model: torch.nn.Module,
    batch_fn,
    loss_fn,
    batch_size: int,
    steps: int,
    warmup: int,
    lr: float,
    grad_clip: float,
) -> dict[str, Any]:
    """train/loop.py's step (loss, backward, clip, AdamW) `warmup + steps` times; the timed ones only."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=lr)
    model.train()
    times = []
    for step in range(warmup + steps):
        t0 = time.perf_counter()
        batch = batch_fn(step)
        terms = loss_fn(model, batch, torch.Generator().manual_seed(step))
        terms["loss"].backward()
        torch.nn.utils.clip_grad_norm_(trainable, grad_clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if step >= warmup:
            times.append(time.perf_counter() - t0)
    step_s = summarize(times)
    return {
        "batch_size": batch_size,
        "step_seconds": step_s,
        "clips_per_s": batch_size / step_s["median"],
        "clips_per_s_range": [batch_size / step_s["q3"], batch_size / step_s["q1"]],
    }


def _synthetic_contexts(cfg: Config, rows: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    L, D = cfg.text.max_length, cfg.text.embed_dim
    contexts = torch.randn(rows, L, D, generator=g)  # (U, L, D)
    masks = torch.zeros(rows, L)
    masks[:, :12] = 1.0  # a short caption's tokens
    contexts[0] = 0.0  # row 0: the empty prompt
    return contexts * masks[..., None], masks


def teacher_throughput(cfg: Config, steps: int, warmup: int) -> dict[str, Any]:
    from ..train.teacher import (
        STUDENT_ONLY,
        TeacherCache,
        build_unet,
        noise_schedule,
        teacher_batch,
        teacher_losses,
    )

    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    contexts, _ = _synthetic_contexts(cfg, 1 + 2 * CLIPS, 2)
    cache = TeacherCache(
        latents=torch.randn(CLIPS, *cfg.latent_shape, generator=g),
        contexts=contexts,
        caption_rows=torch.arange(1, 1 + 2 * CLIPS).view(CLIPS, 2),
        captions=[""] * (1 + 2 * CLIPS),
    )
    model = build_unet(cfg)
    for name, p in model.named_parameters():
        p.requires_grad_(not name.startswith(tuple(STUDENT_ONLY)))
    abar = noise_schedule(cfg).alphas_cumprod_torch()
    t = cfg.teacher_training
    return _timed_steps(
        model,
        lambda step: teacher_batch(cache, cfg, step, 0, 1),
        lambda m, b, gen: teacher_losses(m, b, gen, cfg, abar),
        t.batch_size,
        steps,
        warmup,
        t.lr,
        t.grad_clip,
    )


def _networks(cfg: Config, post: PostConfig, teacher_path: Path | None) -> dict[str, Any]:
    """Teacher, VAE and reward models: the trained ones when they exist for this config, else the same
    architectures freshly initialised (same cost), with where each came from."""
    from ..nets.rewards import RewardNetConfig, build_reward
    from ..nets.vae import AutoencoderKL
    from ..train.rewards import load_reward
    from ..train.teacher import build_unet, load_teacher
    from ..train.vae import load_vae

    sources: dict[str, str] = {}
    teacher, vae, scale = None, None, 1.0
    if teacher_path is not None and (teacher_path / "model.safetensors").is_file():
        unet, t_cfg, extras = load_teacher(teacher_path)
        if t_cfg.to_dict()["unet"] == cfg.to_dict()["unet"]:
            teacher, sources["teacher"] = unet, str(teacher_path)
            if Path(extras["vae"]).exists():
                vae, scale, _ = load_vae(extras["vae"])
                sources["vae"] = extras["vae"]
    if teacher is None:
        torch.manual_seed(0)
        teacher, sources["teacher"] = (
            build_unet(cfg).eval().requires_grad_(False),
            "fresh init (same architecture)",
        )
    if vae is None:
        vae, sources["vae"] = (
            AutoencoderKL(cfg.vae, cfg.geometry.height).eval(),
            "fresh init (same architecture)",
        )
    r = post.reward_loss
    rewards = {}
    for kind, path in (
        ("image_text", r.image_text_path),
        ("quality", r.quality_path),
        ("video_text", r.video_text_path),
    ):
        full = REPO / path if not Path(path).is_absolute() else Path(path)
        model = None
        if (full / "model.safetensors").is_file():
            loaded, extras = load_reward(full, check_accuracy=False)
            if extras["image_size"] == cfg.geometry.height:
                model, sources[f"reward_{kind}"] = loaded, str(full)
        if model is None:
            net = dataclasses.replace(
                RewardNetConfig(**getattr(post.rewards, kind).net.to_dict()), text_dim=cfg.text.embed_dim
            )
            model = build_reward(kind, net, cfg.geometry.height).eval().requires_grad_(False)
            sources[f"reward_{kind}"] = "fresh init (same architecture)"
        rewards[kind] = model.requires_grad_(False)
    return {
        "teacher": teacher.eval().requires_grad_(False),
        "vae": vae.eval().requires_grad_(False),
        "scale": float(scale),
        "rewards": rewards,
        "sources": sources,
    }


def distill_throughput(cfg: Config, teacher_path: Path | None, steps: int, warmup: int) -> dict[str, Any]:
    """Rows for distillation without/with rewards and motion guidance, and the motion precompute cost."""
    from ..train.distill import (
        DistillCache,
        Frozen,
        MotionCache,
        distill_batch,
        distill_losses,
        high_noise_indices,
        motion_gradient,
        seeded_noise,
    )
    from ..train.teacher import noise_schedule

    preset = post_preset_for(cfg)
    base = resolve_post_config(preset)
    nets = _networks(cfg, base, teacher_path)
    alphas_cumprod = noise_schedule(cfg).alphas_cumprod()
    abar = torch.from_numpy(alphas_cumprod).float()
    grid = distillation_grid(cfg.schedule.num_train_timesteps, base.distill.num_ddim_timesteps)
    g = torch.Generator().manual_seed(3)
    contexts, masks = _synthetic_contexts(cfg, 1 + 2 * CLIPS, 4)
    cache = DistillCache(
        latents=torch.randn(CLIPS, *cfg.latent_shape, generator=g),
        contexts=contexts,
        masks=masks,
        caption_rows=torch.arange(1, 1 + 2 * CLIPS).view(CLIPS, 2),
        keep=torch.ones(CLIPS, dtype=torch.bool),
        degraded=torch.zeros(CLIPS, dtype=torch.bool),
        captions=[""] * (1 + 2 * CLIPS),
        problems=[[] for _ in range(CLIPS)],
    )

    # The motion-guidance preprocessing pass: one gradient draw per clip, timed per draw.
    post_motion = resolve_post_config(preset)
    high = high_noise_indices(grid, post_motion.motion.tau, cfg.schedule.num_train_timesteps)
    rng = np.random.default_rng(5)
    ns = high[rng.integers(0, len(high), CLIPS)]
    seeds = rng.integers(0, 2**62, CLIPS)
    shape = tuple(cfg.latent_shape)
    fps = torch.full((1,), float(cfg.geometry.fps))
    grads, energies, draw_times = [], [], []
    for c in range(CLIPS):
        t0 = time.perf_counter()
        x0 = cache.latents[c : c + 1]
        t = torch.from_numpy(grid[ns[c : c + 1]])
        a = abar[t].view(-1, 1, 1, 1, 1)
        noise = seeded_noise(int(seeds[c]), shape)[None]
        z_t = a.sqrt() * x0 + (1 - a).sqrt() * noise
        ctx = cache.contexts[cache.caption_rows[c : c + 1, 0]]
        ref_noise = seeded_noise(int(seeds[c]) ^ 0x5EF, shape)[None]
        grad, energy = motion_gradient(
            nets["teacher"], x0, z_t, t, ctx, fps, abar, post_motion, ref_noise, alphas_cumprod
        )
        draw_times.append(time.perf_counter() - t0)
        grads.append(grad)
        energies.append(energy)
    motion_cache = MotionCache(
        clip=torch.arange(CLIPS),
        n=torch.from_numpy(ns),
        dense=torch.zeros(CLIPS, dtype=torch.bool),
        seed=torch.from_numpy(seeds),
        grad=torch.cat(grads),
        energy=torch.cat(energies),
    )

    variants = [
        ("cd", "consistency distillation only", False, False, None),
        ("cd_rewards", "+ reward feedback (3 reward models)", True, False, None),
        ("cd_motion_cached", "+ motion guidance, gradients precomputed", False, True, motion_cache),
        (
            "cd_rewards_motion_cached",
            "+ rewards + motion guidance, precomputed (the demo recipe)",
            True,
            True,
            motion_cache,
        ),
        ("cd_motion_live", "+ motion guidance, gradients computed in the step", False, True, None),
    ]
    rows = []
    for key, label, with_rewards, with_motion, motion in variants:
        post = resolve_post_config(preset, overrides=[f"motion.enabled={'true' if with_motion else 'false'}"])
        d = post.distill
        frozen = Frozen(
            teacher=nets["teacher"],
            vae=nets["vae"],
            latent_scale=nets["scale"],
            rewards=nets["rewards"] if with_rewards else {},
            target=None,
            alphas_cumprod=alphas_cumprod,
            abar=abar,
            grid=grid,
        )
        student = (
            copy.deepcopy(nets["teacher"]).train().requires_grad_(True)
        )  # v2: the student starts as the teacher
        result = _timed_steps(
            student,
            lambda step, post=post, motion=motion: distill_batch(cache, motion, cfg, post, step, 0, 1),
            lambda m, b, gen, post=post, frozen=frozen: distill_losses(m, b, gen, frozen, cfg, post),
            d.training.batch_size,
            steps,
            warmup,
            d.training.lr,
            d.training.grad_clip,
        )
        rows.append({"key": key, "label": label, **result})
    return {
        "post_preset": preset,
        "sources": nets["sources"],
        "rows": rows,
        "motion_precompute": {
            "seconds_per_draw": summarize(draw_times),
            "reference": post_motion.motion.reference,
        },
    }


def rendering_throughput(cfg: Config, batches: int = 7, per_batch: int = 30) -> dict[str, Any]:
    """Clips rendered per second by the procedural dataset (the config's geometry, degradation share
    and placement, captions included), in batches of `per_batch` distinct clips: wall-clock and
    CPU-time rates, median and quartiles over the batches. The VAE stage renders its batch at every
    step; the teacher stages render their clip cache once."""
    from ..train.vae import dataset

    ds = dataset(cfg, "train", length=1 + batches * per_batch)
    ds[0]  # glyph rasters and caches
    wall, cpu = [], []
    for b in range(batches):
        w0, c0 = time.perf_counter(), time.process_time()
        for i in range(1 + b * per_batch, 1 + (b + 1) * per_batch):
            ds[i]
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    g = cfg.geometry

    def rates(seconds: list[float]) -> dict[str, Any]:
        s = summarize(seconds)
        return {"clips_per_s": per_batch / s["median"], "clips_per_s_range": [per_batch / s["q3"], per_batch / s["q1"]]}

    return {
        "label": f"data: render a clip ({g.frames}x{g.height}x{g.width}, degrade_prob {cfg.data.degrade_prob})",
        "per_batch": per_batch,
        "batches": batches,
        "batch_seconds": summarize(wall),
        "wall": rates(wall),
        "cpu": rates(cpu),
    }


def training_throughput(
    cfg: Config, teacher_path: Path | None, steps: int = 4, warmup: int = 1, threads: int = 2
) -> dict[str, Any]:
    """Rendering, teacher training and distillation rows, at the stage configs' batch sizes."""
    torch.set_num_threads(threads)
    return {
        "threads": threads,
        "steps_timed": steps,
        "warmup": warmup,
        "rendering": rendering_throughput(cfg),
        "teacher": {
            "label": "teacher training (denoising loss, Min-SNR)",
            **teacher_throughput(cfg, steps, warmup),
        },
        "distill": distill_throughput(cfg, teacher_path, steps, warmup),
    }
