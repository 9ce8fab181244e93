"""T2V-Turbo-v2 post-training: latent consistency distillation of the teacher into a few-step student,
with mixed reward feedback and a motion-guided teacher solver (Li et al. 2024, arXiv 2410.05677).

One training step, per example (docs/POST_TRAINING.md has the maths and the paper's numbers):
  1. x0 = a cached clip latent, c its caption (short or dense), w ~ U[w_min, w_max], motion
     strength m ~ U[0, 1] (lambda = m * lambda_max; m = 0 when the run has no motion guidance),
     n ~ U{grid}, t = tau_n, t' = max(t - k, 0), z_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps.
  2. Student f(z_t, t) = c_skip(t) z_t + c_out(t) x0_hat(eps_student(z_t, t, c, w, m)).
  3. Teacher solver (no gradient): eps = eps_c + w (eps_c - eps_u); where t >= (1 - tau) T,
     eps <- eps - lambda sqrt(1 - abar_t) grad_z G (motion guidance, reference = the clip itself);
     z_t' = DDIM(z_t, eps, t -> t').
  4. Target f(z_t', t') from the online student without gradient (v2; an EMA target is optional).
  5. L = pseudo-Huber(f(z_t, t) - f(z_t', t'); c)
         - beta_img * (R_image_text + q * R_quality)(M random decoded frames)
         - beta_vid * R_video_text(strided decoded frames)
     with the rewards only on examples whose caption style is in distill.reward_styles (short).

Text encodings, VAE latents and curation verdicts of the distillation clips are computed once
(DistillCache); motion-guidance gradients can be precomputed per clip too (MotionCache). The
teacher, the VAE, the text encoder and the reward models are frozen throughout.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from ..config import Config
from ..diffusion.lcm import boundary_scalings, distillation_grid
from ..diffusion.multiscale_noise import multiscale_noise
from ..diffusion.schedule import predicted_x0
from ..nets.rewards import strided_indices
from ..nets.unet3d import UNet3D
from . import checkpoint as ckpt
from .loop import Stage, batch_rng, process_state, train_stage
from .motion_guidance import (
    ddim_inverted_reference,
    energy_and_grad,
    guidance_applies,
    guided_eps,
    noised_reference,
    reference_maps,
)
from .post_config import PostConfig, post_config_from_dict
from .teacher import STUDENT_ONLY, build_unet, load_teacher, load_text_encoder, noise_schedule
from .vae import dataset, load_vae

# Distillation clips are drawn from here on in the train split, away from the teacher's first
# data.teacher_clips: the student learns from the teacher's outputs on clips it never trained on.
DISTILL_OFFSET = 50_000


# ---------------------------------------------------------------------------------------------
# Cache of the distillation clips


@dataclass
class DistillCache:
    """latents (N, C, T, h, w) scaled; contexts (U, L, D) and masks (U, L) with row 0 = ""."""

    latents: torch.Tensor
    contexts: torch.Tensor
    masks: torch.Tensor
    caption_rows: torch.Tensor  # (N, 2): rows of (short, dense)
    keep: torch.Tensor  # (N,) bool: passes curation (pixels and captions)
    degraded: torch.Tensor  # (N,) bool: the clip carries a degradation (ground truth, for the report)
    captions: list[str]
    problems: list[list[str]]

    def __len__(self) -> int:
        return self.latents.shape[0]

    def pool(self, curate: bool) -> np.ndarray:
        """Clip indices a run draws from."""
        return np.flatnonzero(self.keep.numpy()) if curate else np.arange(len(self))

    def summary(self) -> dict[str, Any]:
        kept = self.keep.numpy()
        degraded = self.degraded.numpy()
        return {"clips": len(self), "kept": int(kept.sum()), "degraded": int(degraded.sum()),
                "degraded_kept": int((kept & degraded).sum()), "clean_dropped": int((~kept & ~degraded).sum())}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _key_hash(key: dict) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]


@torch.no_grad()
def build_distill_cache(cfg: Config, post: PostConfig, vae_path: str | Path, encoder, cache_dir: str | Path,
                        batch_clips: int = 8) -> DistillCache:
    """Encode post.distill.clips train clips (degraded ones included), caption both styles, and
    record each clip's curation verdict; reuse the cache when nothing it depends on changed."""
    from tqdm.auto import tqdm

    from ..data.curation import CurationConfig, caption_problems, measure, quality_problems

    d = post.distill
    vae_file = Path(vae_path) / "model.safetensors" if Path(vae_path).is_dir() else Path(vae_path)
    key = {"vae_sha256": _sha256(vae_file), "data": cfg.data_key(), "geometry": cfg.to_dict()["geometry"],
           "text": cfg.to_dict()["text"], "clips": d.clips, "degrade_prob": d.degrade_prob, "offset": DISTILL_OFFSET}
    folder = Path(cache_dir) / f"clips-{_key_hash(key)}"
    meta_path, tensors_path = folder / "cache.json", folder / "cache.safetensors"
    if meta_path.is_file() and tensors_path.is_file():
        meta = json.loads(meta_path.read_text())
        if meta["key"] == key:
            t = load_file(str(tensors_path))
            return DistillCache(t["latents"], t["contexts"], t["masks"], t["caption_rows"], t["keep"].bool(),
                                t["degraded"].bool(), meta["captions"], meta["problems"])

    vae, scale, _ = load_vae(vae_path)
    encoder = encoder if encoder is not None else load_text_encoder(cfg)
    ds = dataset(cfg, "train", length=DISTILL_OFFSET + d.clips, degrade_prob=d.degrade_prob)
    curation = CurationConfig()
    latents, pairs, keep, degraded, problems, attrs = [], [], [], [], [], []
    for start in tqdm(range(0, d.clips, batch_clips), desc="encode distillation clips", mininterval=5.0):
        items = [ds[DISTILL_OFFSET + i] for i in range(start, min(d.clips, start + batch_clips))]
        video = torch.stack([it["video"] for it in items])  # (b, 3, T, H, W)
        latents.append(vae.encode(video) * scale)
        for it in items:
            frames = ((it["video"].permute(1, 2, 3, 0).numpy() + 1.0) * 127.5).round().astype(np.uint8)
            found = quality_problems(measure(frames), curation)
            found += [p for c in (it["caption_short"], it["caption_dense"]) for p in caption_problems(c, curation)]
            problems.append(sorted(set(found)))
            keep.append(not found)
            degraded.append(bool(it["attrs"]["degraded"]))
            pairs.append((it["caption_short"], it["caption_dense"]))
            attrs.append(it["attrs"])
    captions = ["", *dict.fromkeys(c for pair in pairs for c in pair)]
    row = {c: i for i, c in enumerate(captions)}
    contexts, masks = [], []
    for start in range(0, len(captions), 64):
        context, mask = encoder.encode(captions[start:start + 64])
        contexts.append(context.float())
        masks.append(mask.float())
    cache = DistillCache(torch.cat(latents).contiguous(), torch.cat(contexts).contiguous(), torch.cat(masks).contiguous(),
                         torch.tensor([[row[s], row[dn]] for s, dn in pairs], dtype=torch.int64),
                         torch.tensor(keep), torch.tensor(degraded), captions, problems)
    folder.mkdir(parents=True, exist_ok=True)
    save_file({"latents": cache.latents, "contexts": cache.contexts, "masks": cache.masks,
               "caption_rows": cache.caption_rows, "keep": cache.keep.to(torch.uint8),
               "degraded": cache.degraded.to(torch.uint8)}, str(tensors_path))
    meta_path.write_text(json.dumps({"key": key, "captions": captions, "problems": problems, "attrs": attrs,
                                     "summary": cache.summary()}))
    print(f"[distill] cached {d.clips} clips -> {folder}: {json.dumps(cache.summary())}", flush=True)
    return cache


# ---------------------------------------------------------------------------------------------
# Motion guidance: precomputed gradients


@dataclass
class MotionCache:
    """Per (clip, draw): grid index n (high-noise part), caption style, noise seed, and grad_z G there."""

    clip: torch.Tensor  # (K,) clip index
    n: torch.Tensor  # (K,) grid index
    dense: torch.Tensor  # (K,) bool caption style
    seed: torch.Tensor  # (K,) int64: the student's noise = randn(latent shape, Generator(seed))
    grad: torch.Tensor  # (K, C, T, h, w)
    energy: torch.Tensor  # (K,)

    def draws_of(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for k, c in enumerate(self.clip.tolist()):
            out.setdefault(c, []).append(k)
        return out


def seeded_noise(seed: int, shape: tuple[int, ...], multiscale: float = 0.0) -> torch.Tensor:
    """One clip's (C, T, h, w) forward-process noise: the teacher's training noise (white when 0)."""
    return multiscale_noise((1, *shape), torch.Generator().manual_seed(int(seed)), multiscale)[0]


def high_noise_indices(grid: np.ndarray, tau: float, num_train_timesteps: int) -> np.ndarray:
    return np.flatnonzero(guidance_applies(torch.from_numpy(grid), tau, num_train_timesteps).numpy())


def reference_latent(teacher, x0: torch.Tensor, t: torch.Tensor, context: torch.Tensor, fps: torch.Tensor,
                     abar: torch.Tensor, post: PostConfig, ref_noise: torch.Tensor, alphas_cumprod: np.ndarray
                     ) -> torch.Tensor:
    """The clip at timestep t for reading its motion: noised (MotionClone) or DDIM-inverted (paper)."""
    m = post.motion
    if m.reference == "noised":
        return noised_reference(x0, ref_noise, abar[t].view(-1, 1, 1, 1, 1))
    return torch.cat([ddim_inverted_reference(teacher, x0[i:i + 1], int(t[i]), context[i:i + 1], fps[i:i + 1],
                                              alphas_cumprod, m.inversion_steps) for i in range(x0.shape[0])])


def motion_gradient(teacher, x0, z_t, t, context, fps, abar, post: PostConfig, ref_noise, alphas_cumprod):
    """(grad_z G, G) at z_t, the reference being x0 brought to t."""
    z_ref = reference_latent(teacher, x0, t, context, fps, abar, post, ref_noise, alphas_cumprod)
    ref, masks = reference_maps(teacher, z_ref, t.float(), context, fps)
    grad, g, _ = energy_and_grad(teacher, z_t, t.float(), context, fps, ref, masks)
    return grad, g


@torch.no_grad()
def build_motion_cache(cfg: Config, post: PostConfig, cache: DistillCache, teacher, cache_dir: str | Path,
                       key: dict, batch: int = 4) -> MotionCache:
    """Precompute grad_z G for motion.cache_draws draws per clip of the curated pool (preprocessing pass)."""
    from tqdm.auto import tqdm

    m, d = post.motion, post.distill
    folder = Path(cache_dir) / f"motion-{_key_hash(key)}"
    path = folder / "motion.safetensors"
    if path.is_file() and json.loads((folder / "motion.json").read_text())["key"] == key:
        t = load_file(str(path))
        return MotionCache(t["clip"], t["n"], t["dense"].bool(), t["seed"], t["grad"], t["energy"])
    schedule = noise_schedule(cfg)
    alphas_cumprod = schedule.alphas_cumprod()
    abar = torch.from_numpy(alphas_cumprod).float()
    grid = distillation_grid(cfg.schedule.num_train_timesteps, d.num_ddim_timesteps)
    high = high_noise_indices(grid, m.tau, cfg.schedule.num_train_timesteps)
    rng = np.random.default_rng([d.training.seed, 0x40710])
    clips = [int(c) for c in cache.pool(True) for _ in range(m.cache_draws)]
    ns = high[rng.integers(0, len(high), size=len(clips))]
    dense = rng.random(len(clips)) >= d.short_share
    seeds = rng.integers(0, 2**62, size=len(clips))
    shape = tuple(cache.latents.shape[1:])
    grads, energies = [], []
    for s in tqdm(range(0, len(clips), batch), desc="motion guidance gradients", mininterval=10.0):
        idx = slice(s, s + batch)
        c = torch.tensor(clips[idx])
        x0 = cache.latents[c]
        rows = cache.caption_rows[c, torch.from_numpy(dense[idx].astype(np.int64))]
        context = cache.contexts[rows]
        t = torch.from_numpy(grid[ns[idx]])
        ms = cfg.teacher_training.multiscale_noise
        noise = torch.stack([seeded_noise(int(v), shape, ms) for v in seeds[idx]])
        ref_noise = torch.stack([seeded_noise(int(v) ^ 0x5EF, shape, ms) for v in seeds[idx]])
        a = abar[t].view(-1, 1, 1, 1, 1)
        z_t = a.sqrt() * x0 + (1 - a).sqrt() * noise
        fps = torch.full((len(c),), float(cfg.geometry.fps))
        grad, g = motion_gradient(teacher, x0, z_t, t, context, fps, abar, post, ref_noise, alphas_cumprod)
        grads.append(grad)
        energies.append(g)
    mc = MotionCache(torch.tensor(clips), torch.from_numpy(ns), torch.from_numpy(dense), torch.from_numpy(seeds),
                     torch.cat(grads).contiguous(), torch.cat(energies))
    folder.mkdir(parents=True, exist_ok=True)
    save_file({"clip": mc.clip, "n": mc.n, "dense": mc.dense.to(torch.uint8), "seed": mc.seed, "grad": mc.grad,
               "energy": mc.energy}, str(path))
    (folder / "motion.json").write_text(json.dumps({"key": key, "draws": len(clips)}))
    print(f"[distill] cached {len(clips)} motion-guidance gradients -> {folder}", flush=True)
    return mc


# ---------------------------------------------------------------------------------------------
# Batches and the loss


@dataclass
class Frozen:
    """Everything the loss uses but never trains."""

    teacher: UNet3D
    vae: Any
    latent_scale: float
    rewards: dict[str, Any]  # kind -> reward model (only those with a non-zero weight)
    target: UNet3D | None  # EMA target network (distill.target = "ema"), else None
    alphas_cumprod: np.ndarray
    abar: torch.Tensor
    grid: np.ndarray


def distill_batch(cache: DistillCache, motion: MotionCache | None, cfg: Config, post: PostConfig, step: int,
                  rank: int, world: int) -> dict[str, Any]:
    """This rank's examples for `step`; every random choice is a function of (seed, step)."""
    d, m = post.distill, post.motion
    b = d.training.batch_size
    rng = batch_rng(d.training.seed, step)
    pool = cache.pool(d.curate)
    grid = distillation_grid(cfg.schedule.num_train_timesteps, d.num_ddim_timesteps)
    shape = tuple(cache.latents.shape[1:])
    n_all = len(grid)

    clips = pool[rng.integers(0, len(pool), size=(world, b))][rank]
    n = rng.integers(0, n_all, size=(world, b))[rank]
    short_share = d.short_share if set(d.cd_styles) == {"short", "dense"} else float(d.cd_styles == ["short"])
    dense = (rng.random(size=(world, b)) >= short_share)[rank]
    w = rng.uniform(d.w_min, d.w_max, size=(world, b))[rank]
    strength = rng.uniform(0.0, 1.0, size=(world, b))[rank] if m.enabled else np.zeros(b)
    seeds = rng.integers(0, 2**62, size=(world, b))[rank]
    draw_pick = rng.random(size=(world, b))[rank]
    guided = m.enabled & guidance_applies(torch.from_numpy(grid[n]), m.tau, cfg.schedule.num_train_timesteps).numpy()

    cached_grad = torch.zeros((b, *shape))
    have = np.zeros(b, dtype=bool)
    draws = motion.draws_of() if motion is not None else {}
    for i in np.flatnonzero(guided):
        options = draws.get(int(clips[i]))
        if options:  # take a precomputed draw: its timestep, style and noise come with its gradient
            k = options[int(draw_pick[i] * len(options))]
            n[i], dense[i], seeds[i] = int(motion.n[k]), bool(motion.dense[k]), int(motion.seed[k])
            cached_grad[i] = motion.grad[k]
            have[i] = True
    ms = cfg.teacher_training.multiscale_noise  # the student learns on the teacher's noise, as it samples
    noise = torch.stack([seeded_noise(int(s), shape, ms) for s in seeds])
    ref_noise = torch.stack([seeded_noise(int(s) ^ 0x5EF, shape, ms) for s in seeds])
    rows = cache.caption_rows[torch.from_numpy(clips), torch.from_numpy(dense.astype(np.int64))]
    styles = ["dense" if x else "short" for x in dense]
    return {
        "latents": cache.latents[torch.from_numpy(clips)],
        "context": cache.contexts[rows],
        "mask": cache.masks[rows],
        "uncond": cache.contexts[:1],
        "n": torch.from_numpy(n.astype(np.int64)),
        "noise": noise,
        "ref_noise": ref_noise,
        "w": torch.from_numpy(w).float(),
        "motion": torch.from_numpy(strength).float(),
        "guided": torch.from_numpy(guided),
        "cached": torch.from_numpy(have),
        "grad": cached_grad,
        "reward": torch.tensor([s in d.reward_styles for s in styles]),
        "clips": torch.from_numpy(clips.astype(np.int64)),
    }


def _bcast(x: torch.Tensor) -> torch.Tensor:
    return x.view(-1, 1, 1, 1, 1)


def pseudo_huber(a: torch.Tensor, b: torch.Tensor, c: float) -> torch.Tensor:
    """mean(sqrt((a - b)^2 + c^2) - c), elementwise (LCM / T2V-Turbo)."""
    return (torch.sqrt((a.float() - b.float()) ** 2 + c * c) - c).mean()


def consistency_fn(eps: torch.Tensor, z_t: torch.Tensor, t: torch.Tensor, abar_t: torch.Tensor) -> torch.Tensor:
    """f(z_t, t) = c_skip(t) z_t + c_out(t) x0_hat, LCM boundary scalings (timestep scaling 10)."""
    c_skip, c_out = boundary_scalings(t.float())
    return _bcast(c_skip) * z_t + _bcast(c_out) * predicted_x0(z_t, eps, _bcast(abar_t))


@torch.no_grad()
def teacher_solver(frozen: Frozen, batch: dict, z_t: torch.Tensor, t: torch.Tensor, t_prev: torch.Tensor,
                   fps: torch.Tensor, post: PostConfig) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """One DDIM step t -> t' of the CFG teacher, motion-guided where it applies. Returns (z_t', stats)."""
    b = z_t.shape[0]
    both = torch.cat([batch["context"], batch["uncond"].expand(b, -1, -1)])
    eps = frozen.teacher(torch.cat([z_t, z_t]), torch.cat([t, t]).float(), both, torch.cat([fps, fps]))
    eps_c, eps_u = eps.chunk(2)
    eps = eps_c + _bcast(batch["w"]) * (eps_c - eps_u)  # T2V-Turbo's CFG convention
    stats = {}
    guided = batch["guided"]
    if guided.any():
        grad = batch["grad"].clone()
        todo = guided & ~batch["cached"]
        if todo.any():  # no precomputed draw for these: compute grad_z G now
            i = torch.nonzero(todo).flatten()
            grad[i], _ = motion_gradient(frozen.teacher, batch["latents"][i], z_t[i], t[i], batch["context"][i],
                                         fps[i], frozen.abar, post, batch["ref_noise"][i], frozen.alphas_cumprod)
        lam = _bcast(batch["motion"] * post.motion.lambda_max * guided.float())
        delta = lam * (1 - _bcast(frozen.abar[t])).sqrt() * grad
        ratio = delta.flatten(1).norm(dim=1) / eps.flatten(1).norm(dim=1).clamp_min(1e-8)  # an untrained eps is 0
        stats["guidance_ratio"] = ratio[guided].mean()
        eps = guided_eps(eps, grad, lam, _bcast(frozen.abar[t]))
    a_t, a_prev = _bcast(frozen.abar[t]), _bcast(frozen.abar[t_prev])
    x0 = predicted_x0(z_t, eps, a_t)
    return a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps, stats


def decode_frames(frozen: Frozen, latent: torch.Tensor, frames: list[int]) -> torch.Tensor:
    """Decode only the listed frames of one clip's latent (C, T, h, w), with gradients -> (3, F, H, W) in [-1, 1]."""
    z = latent[:, frames].transpose(0, 1) / frozen.latent_scale  # (F, C, h, w): the VAE decodes frames independently
    return frozen.vae.decode_frames(z).clamp(-1, 1).transpose(0, 1)


def reward_terms(frozen: Frozen, pred: torch.Tensor, batch: dict, generator: torch.Generator,
                 post: PostConfig) -> dict[str, torch.Tensor]:
    """Rewards of the student's one-step prediction on the reward subset, with gradients to the student.

    Returns the mean reward per kind over the subset and 'reward_loss' (added to the CD loss),
    normalised by the whole batch so each example weighs the same whatever the subset's size.
    """
    r = post.reward_loss
    b, t = pred.shape[0], pred.shape[2]
    chosen = torch.nonzero(batch["reward"]).flatten()
    if not frozen.rewards or len(chosen) == 0:
        return {}
    video_f = frozen.rewards["video_text"].cfg.frames if "video_text" in frozen.rewards else 0
    per_kind: dict[str, list[torch.Tensor]] = {k: [] for k in frozen.rewards}
    for i in chosen.tolist():
        image_frames = torch.randperm(t, generator=generator)[: r.image_frames].tolist()
        video_frames = strided_indices(t, video_f) if video_f else []
        needed = sorted(set(image_frames + (video_frames if video_f else [])))
        pixels = decode_frames(frozen, pred[i], needed)  # (3, F, H, W) in [-1, 1] = the rewards' normalised input
        where = {f: k for k, f in enumerate(needed)}
        ctx, mask = batch["context"][i:i + 1], batch["mask"][i:i + 1]
        image = pixels[:, [where[f] for f in image_frames]].transpose(0, 1)  # (M, 3, H, W)
        if "image_text" in frozen.rewards:
            per_kind["image_text"].append(frozen.rewards["image_text"](image, ctx, mask).mean())
        if "quality" in frozen.rewards:
            per_kind["quality"].append(frozen.rewards["quality"](image).mean())
        if "video_text" in frozen.rewards:
            clip = pixels[:, [where[f] for f in video_frames]][None]  # (1, 3, F, H, W)
            per_kind["video_text"].append(frozen.rewards["video_text"](clip, ctx, mask)[0])
    sums = {k: torch.stack(v).sum() for k, v in per_kind.items()}
    weighted = r.beta_image * (sums.get("image_text", 0.0) + r.quality_weight * sums.get("quality", 0.0))
    weighted = weighted + r.beta_video * sums.get("video_text", 0.0)
    out = {f"r_{k}": (s / len(chosen)).detach() for k, s in sums.items()}
    out["reward_loss"] = -r.scale * weighted / b
    return out


def distill_losses(model, batch: dict, generator: torch.Generator, frozen: Frozen, cfg: Config,
                   post: PostConfig) -> dict[str, torch.Tensor]:
    d = post.distill
    student = getattr(model, "module", model)
    if frozen.target is not None:  # EMA target: follow the student before this step's prediction
        with torch.no_grad():
            for p_t, p_s in zip(frozen.target.parameters(), student.parameters(), strict=True):
                p_t.lerp_(p_s.detach(), 1.0 - d.target_ema_decay)
    x0 = batch["latents"]
    b = x0.shape[0]
    t = torch.from_numpy(frozen.grid)[batch["n"]]  # (B,) the student's timestep t_{n+k}
    t_prev = (t - d.skip).clamp(min=0)  # the solver's target timestep t_n
    a_t = _bcast(frozen.abar[t])
    z_t = a_t.sqrt() * x0 + (1 - a_t).sqrt() * batch["noise"]
    fps = torch.full((b,), float(cfg.geometry.fps))

    # 2. The student's consistency output at t (with gradient).
    eps_s = model(z_t, t.float(), batch["context"], fps, batch["w"], batch["motion"])
    pred = consistency_fn(eps_s, z_t, t, frozen.abar[t])
    # 3. The (motion-guided, CFG) teacher's DDIM step to t'.
    z_prev, stats = teacher_solver(frozen, batch, z_t, t, t_prev, fps, post)
    # 4. The target: the online student (or the EMA target) at t', no gradient.
    with torch.no_grad():
        target_net = frozen.target if frozen.target is not None else student
        eps_t = target_net(z_prev, t_prev.float(), batch["context"], fps, batch["w"], batch["motion"])
        target = consistency_fn(eps_t, z_prev, t_prev, frozen.abar[t_prev])
    cd = pseudo_huber(pred, target, d.huber_c)
    rewards = reward_terms(frozen, pred, batch, generator, post)
    loss = cd + rewards.pop("reward_loss", 0.0)
    # The same keys on every rank and step (the loop reduces them across ranks); 0 = none this step.
    zero = torch.zeros(())
    terms = {"cd": cd.detach(), "guidance_ratio": stats.get("guidance_ratio", zero).detach(),
             **{f"r_{k}": rewards.get(f"r_{k}", zero) for k in sorted(frozen.rewards)}, "loss": loss}
    return terms


# ---------------------------------------------------------------------------------------------
# Stage, training, loading


def reward_kinds(post: PostConfig) -> list[str]:
    r = post.reward_loss
    kinds = []
    if r.beta_image > 0:
        kinds.append("image_text")
        if r.quality_weight > 0:
            kinds.append("quality")
    if r.beta_video > 0:
        kinds.append("video_text")
    return kinds


def load_frozen(cfg: Config, post: PostConfig, teacher: UNet3D, vae_path: str | Path, student: UNet3D | None
                ) -> Frozen:
    from .rewards import load_reward

    vae, scale, _ = load_vae(vae_path)
    r = post.reward_loss
    paths = {"image_text": r.image_text_path, "quality": r.quality_path, "video_text": r.video_text_path}
    rewards = {k: load_reward(paths[k], min_accuracy=post.rewards.min_accuracy)[0] for k in reward_kinds(post)}
    target = None
    if post.distill.target == "ema":
        target = copy.deepcopy(student).eval().requires_grad_(False)
    alphas_cumprod = noise_schedule(cfg).alphas_cumprod()
    return Frozen(teacher=teacher.eval().requires_grad_(False), vae=vae, latent_scale=scale, rewards=rewards,
                  target=target, alphas_cumprod=alphas_cumprod, abar=torch.from_numpy(alphas_cumprod).float(),
                  grid=distillation_grid(cfg.schedule.num_train_timesteps, post.distill.num_ddim_timesteps))


LORA_TARGETS = ["to_q", "to_k", "to_v", "to_out.0", "proj_in", "proj_out", "ff.net.0.proj", "ff.net.2"]


def apply_lora(unet: UNet3D, rank: int, alpha: float) -> torch.nn.Module:
    """LoRA adapters (peft) on the attention and feed-forward projections; the w / motion projections
    (STUDENT_ONLY) train in full, since the teacher's are zero."""
    from peft import LoraConfig, inject_adapter_in_model

    # Full module names of the Linear layers only (init_attn's pointwise convs keep their full weights).
    names = [n for n, mod in unet.named_modules() if isinstance(mod, torch.nn.Linear)
             and any(n == s or n.endswith("." + s) for s in LORA_TARGETS) and not n.startswith(tuple(STUDENT_ONLY))]
    config = LoraConfig(r=rank, lora_alpha=alpha or rank, target_modules=names, lora_dropout=0.0)
    model = inject_adapter_in_model(config, unet)
    for name, p in model.named_parameters():
        p.requires_grad_("lora_" in name or name.startswith(tuple(STUDENT_ONLY)))
    return model


def merge_lora(state: dict[str, torch.Tensor], cfg: Config, rank: int, alpha: float) -> dict[str, torch.Tensor]:
    """A LoRA student's state dict -> the plain UNet3D state dict (adapters folded into the weights)."""
    scale = (alpha or rank) / rank
    merged = {}
    for name, value in state.items():
        if "lora_" in name:
            continue
        base = name.replace(".base_layer.", ".")
        if ".base_layer.weight" in name:
            prefix = name[: -len(".base_layer.weight")]
            a, b = state[f"{prefix}.lora_A.default.weight"], state[f"{prefix}.lora_B.default.weight"]
            value = value + scale * (b @ a)
        merged[base] = value
    reference = build_unet(cfg).state_dict()
    if set(merged) != set(reference):
        raise ValueError(f"merged LoRA state does not match UNet3D: {sorted(set(merged) ^ set(reference))[:5]}")
    return merged


def student_stage(post: PostConfig, teacher_path: str | Path, cache_dir: str | Path, encoder=None
                  ) -> tuple[Stage, Config, Frozen]:
    """(the student's Stage, the teacher's base config, the frozen parts the loss uses)."""
    teacher, cfg, extras = load_teacher(teacher_path)
    vae_path = extras["vae"]
    with process_state().main_process_first():  # rank 0 builds the caches, the others read them
        cache = build_distill_cache(cfg, post, vae_path, encoder, cache_dir)
        motion = None
        if post.motion.enabled and post.motion.cache_draws > 0:
            key = {"clips": _key_hash({"n": len(cache), "latents": float(cache.latents.sum())}),
                   "teacher": _sha256(Path(teacher_path) / "model.safetensors"),
                   "grid": post.distill.num_ddim_timesteps, "tau": post.motion.tau, "draws": post.motion.cache_draws,
                   "reference": post.motion.reference, "inversion_steps": post.motion.inversion_steps,
                   "short_share": post.distill.short_share, "seed": post.distill.training.seed}
            motion = build_motion_cache(cfg, post, cache, teacher, cache_dir, key)
    student = copy.deepcopy(teacher).train().requires_grad_(True)  # the student starts as the teacher
    d = post.distill
    model = apply_lora(student, d.lora_rank, d.lora_alpha) if d.lora_rank > 0 else student
    frozen = load_frozen(cfg, post, teacher, vae_path, student)
    stage = Stage(
        kind="student",
        model=model,
        batch_fn=lambda step, rank, world: distill_batch(cache, motion, cfg, post, step, rank, world),
        loss_fn=lambda m, batch, gen: distill_losses(m, batch, gen, frozen, cfg, post),
        extras={"latent_scale": frozen.latent_scale, "vae": str(Path(vae_path).resolve()),
                "teacher": str(Path(teacher_path).resolve()), "post": post.to_dict(),
                "grid_steps": d.num_ddim_timesteps, "skip": d.skip, "motion_trained": post.motion.enabled,
                "lambda_max": post.motion.lambda_max, "tau": post.motion.tau, "rewards": reward_kinds(post),
                "data": {**cache.summary(), "pool": int(len(cache.pool(d.curate))), "curate": d.curate}},
        lr_scale={module: d.cond_lr_scale for module in STUDENT_ONLY},
    )
    return stage, cfg, frozen


def train_student(post: PostConfig, teacher_path: str | Path, run_dir: str | Path, cache_dir: str | Path | None = None,
                  resume: str | None = None, encoder=None, interrupt_after: int | None = None) -> Path:
    """Distil the teacher; returns <run_dir>/final (a plain UNet3D state dict, LoRA merged)."""
    run_dir = Path(run_dir)
    cache_dir = Path(cache_dir) if cache_dir is not None else run_dir.parent / "cache"
    stage, cfg, _ = student_stage(post, teacher_path, cache_dir, encoder)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "post_config.json").write_text(post.to_json())
    final = train_stage(stage, cfg, post.distill.training, run_dir, resume, interrupt_after=interrupt_after)
    if post.distill.lora_rank > 0:
        if process_state().is_main_process:
            state, meta = ckpt.load_final(final)
            merged = merge_lora(state, cfg, post.distill.lora_rank, post.distill.lora_alpha)
            ckpt.save_weights(final / "model.safetensors", merged, "student", meta["step"], cfg, meta["extras"])
    return final


def load_student(path: str | Path) -> tuple[UNet3D, Config, dict[str, Any]]:
    """(student UNet in eval mode, its base config, extras) from a student final/ folder.

    extras: latent_scale, vae, teacher, post (the PostConfig), grid_steps (N of the sampler's grid),
    skip, motion_trained, lambda_max, tau, rewards, data, step (distillation steps taken).
    """
    state, meta = ckpt.load_final(path)
    if meta["kind"] != "student":
        raise ValueError(f"{path} holds a '{meta['kind']}' checkpoint, not a student")
    unet = build_unet(meta["config"])
    unet.load_state_dict(state)
    extras = meta["extras"]
    extras["step"] = int(meta["step"])
    extras["post_config"] = post_config_from_dict(extras["post"])
    return unet.eval().requires_grad_(False), meta["config"], extras
