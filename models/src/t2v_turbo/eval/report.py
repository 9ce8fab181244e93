"""Teacher vs students on the held-out prompts: samples, scores, motion metrics, time; report files.

Every row samples the same prompts with the same seeds: prompt i uses seed + i, whose noise stream 0
(t2v_turbo.diffusion.noise, bit-identical in the browser) is the teacher's and every student's
starting latent, and streams 1.. the students' re-noising. Clips are scored the way the studio
scores them: decoded, rounded to 8 bits, then each reward model's pre-processing (input spec). Each row
also runs eval-teacher's direction check (evaluation.direction_check) and each student reports how much
its guidance input w moves its output (w_response).

  evaluate_rows(...)  -> <out>/report.json, <out>/grid.png (and report.md via render_markdown)
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..data.heldout import EVAL_PROMPTS
from ..diffusion.lcm import inference_timesteps, sample_lcm
from ..diffusion.schedule import predicted_x0
from ..evaluate import direction_check
from ..nets.rewards import PIXEL_MEAN, PIXEL_STD, strided_indices
from ..sample import sample_latents, to_uint8, write_grid
from ..train.post_config import PostConfig
from ..train.teacher import load_teacher, load_text_encoder, noise_schedule
from ..train.vae import load_vae
from .metrics import video_metrics

SCORE_KEYS = ("video_text", "quality", "image_text", "motion", "flicker", "consistency")
REWARD_KINDS = ("video_text", "quality", "image_text")
JUDGE_KEYS = tuple(f"judge_{k}" for k in REWARD_KINDS)  # the same scores from the independent judges


@dataclass
class Judges:
    """The reward models that score clips (frozen), with the frames each one sees."""

    image_text: Any
    quality: Any
    video_text: Any
    image_frames: int

    @classmethod
    def load(cls, post: PostConfig, paths: dict[str, str] | None = None) -> Judges:
        """The models at `paths` (kind -> final/ folder); by default the rewards the students trained with."""
        from ..train.rewards import load_reward

        paths = paths or reward_paths(post)
        models = {k: load_reward(p, min_accuracy=post.rewards.min_accuracy)[0] for k, p in paths.items()}
        return cls(**models, image_frames=post.evaluation.image_frames)

    @torch.no_grad()
    def score(self, frames: np.ndarray, context: torch.Tensor, mask: torch.Tensor) -> dict[str, float]:
        """uint8 (T, H, W, 3) -> the three rewards as the studio computes them."""
        x = torch.from_numpy(frames).float().div(255.0).permute(0, 3, 1, 2)  # (T, 3, H, W) in [0, 1]
        mean = torch.tensor(PIXEL_MEAN).view(1, 3, 1, 1)
        std = torch.tensor(PIXEL_STD).view(1, 3, 1, 1)
        x = (x - mean) / std
        t = x.shape[0]
        image = x[strided_indices(t, self.image_frames)]  # (n, 3, H, W)
        clip = x[strided_indices(t, self.video_text.cfg.frames)].transpose(0, 1)[None]  # (1, 3, F, H, W)
        return {
            "image_text": float(self.image_text(image, context, mask).mean()),
            "quality": float(self.quality(image).mean()),
            "video_text": float(self.video_text(clip, context, mask)[0]),
        }


def reward_paths(post: PostConfig) -> dict[str, str]:
    """The reward models the students were trained against."""
    r = post.reward_loss
    return {"image_text": r.image_text_path, "quality": r.quality_path, "video_text": r.video_text_path}


def judge_paths(post: PostConfig) -> dict[str, str]:
    """The independent judges (evaluation.judges), or none: they score every clip a second time."""
    if not post.evaluation.judges:
        return {}
    return {k: str(Path(post.evaluation.judges) / k / "final") for k in REWARD_KINDS}


def eval_prompts(kinds: list[str]) -> list[dict]:
    unknown = set(kinds) - {p["kind"] for p in EVAL_PROMPTS}
    if unknown:
        raise ValueError(f"unknown prompt kinds {sorted(unknown)}")
    return [p for p in EVAL_PROMPTS if p["kind"] in kinds]


def _aggregate(per_prompt: list[dict], prompts: list[dict]) -> dict[str, Any]:
    keys = [k for k in (*SCORE_KEYS, *JUDGE_KEYS, "seconds") if k in per_prompt[0]]
    out = {k: float(np.mean([p[k] for p in per_prompt])) for k in keys}
    out["by_kind"] = {
        kind: {k: float(np.mean([p[k] for p, q in zip(per_prompt, prompts, strict=True) if q["kind"] == kind]))
               for k in keys}
        for kind in dict.fromkeys(q["kind"] for q in prompts)
    }
    return out


@torch.no_grad()
def w_response(unet, contexts: torch.Tensor, latent_shape: tuple[int, ...], fps: float, motion: float,
               w_low: float, w_high: float, alphas_cumprod, timesteps: tuple[int, ...] = (999, 500),
               seed: int = 0) -> dict[str, float]:
    """How much a student's guidance input does: ||x0(w_high) - x0(w_low)|| / ||x0(w_low)|| of the clean
    latent its output implies at each timestep, on the given prompts (B, L, D) and one shared noise
    latent. x0, not eps: near the top of a zero-terminal-SNR schedule a v head's eps is the noisy
    latent itself whatever the prediction, while x0 is what the sampler takes. A student that ignores
    w (as the teacher does) gives 0."""
    gen = torch.Generator().manual_seed(seed)
    n = contexts.shape[0]
    z = torch.randn((n, *latent_shape), generator=gen)  # (B, C, T, h, w)
    abar = torch.as_tensor(alphas_cumprod, dtype=torch.float64)
    ones = torch.ones(n)
    out = {}
    for t in timesteps:
        low, high = (predicted_x0(z.double(), unet(z, ones * float(t), contexts, ones * fps, ones * w,
                                                   ones * motion).double(), abar[t])
                     for w in (w_low, w_high))
        out[str(t)] = float((high - low).norm() / low.norm())
    return out


def evaluate_rows(post: PostConfig, teacher_path: str | Path, students: list[tuple[str, str | Path]],
                  out: str | Path, grid_rows: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Sample and score the teacher (DDIM + CFG) and each student at evaluation.student_steps."""
    from ..train.distill import load_student

    e = post.evaluation
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    teacher, cfg, t_extras = load_teacher(teacher_path)
    torch.set_num_threads(cfg.teacher_training.num_threads)
    vae, scale, _ = load_vae(t_extras["vae"])
    encoder = load_text_encoder(cfg)
    rewards = Judges.load(post)
    judges = Judges.load(post, judge_paths(post)) if e.judges else None
    prompts = eval_prompts(e.kinds)
    contexts, masks = encoder.encode([p["prompt"] for p in prompts])
    uncond, _ = encoder.encode([""])
    alphas_cumprod = noise_schedule(cfg).alphas_cumprod()
    fps = float(cfg.geometry.fps)
    shape = (1, *cfg.latent_shape)
    clips: dict[str, list[np.ndarray]] = {}

    def render(sample_fn, texts: list[str], seed: int) -> list[np.ndarray]:  # prompt i from seed + i
        ctx, _ = encoder.encode(texts)
        with torch.no_grad():
            return [to_uint8(vae.decode(sample_fn(ctx[i:i + 1], seed + i) / scale)[0]) for i in range(len(texts))]

    def run(name: str, sample_fn, evals: int, meta: dict) -> dict:
        per_prompt = []
        clips[name] = []
        for i, p in enumerate(prompts):
            t0 = time.perf_counter()
            z0 = sample_fn(contexts[i:i + 1], e.seed + i)
            with torch.no_grad():
                video = vae.decode(z0 / scale)[0]
            seconds = time.perf_counter() - t0
            frames = to_uint8(video)
            clips[name].append(frames)
            m = video_metrics(frames)
            ctx, mask = contexts[i:i + 1], masks[i:i + 1]
            judged = {f"judge_{k}": v for k, v in judges.score(frames, ctx, mask).items()} if judges else {}
            per_prompt.append({"prompt": p["prompt"], "kind": p["kind"], "seconds": seconds,
                               **rewards.score(frames, ctx, mask), **judged,
                               **{k: m[k] for k in ("motion", "flicker", "consistency")}})
        row = {"name": name, "unet_evals_per_clip": evals, **meta, **_aggregate(per_prompt, prompts),
               "prompts": per_prompt}
        if e.direction_check:
            row["direction_check"] = direction_check(lambda texts, seed: render(sample_fn, texts, seed))
        print(f"[evaluate] {name}: " + " ".join(f"{k}={row[k]:.4f}" for k in (*SCORE_KEYS, "seconds")), flush=True)
        return row

    rows = []
    rows.append(run("teacher", lambda ctx, seed: sample_latents(teacher, ctx, uncond, cfg, e.teacher_steps, e.guidance, seed),
                    2 * e.teacher_steps, {"kind": "teacher", "steps": e.teacher_steps, "guidance": e.guidance}))
    for name, path in students:
        unet, s_cfg, extras = load_student(path)
        motion = e.motion if extras.get("motion_trained") else 0.0
        d = post.distill
        w_resp = {"w": [d.w_min, d.w_max], "relative_change": w_response(
            unet, contexts[:4], tuple(cfg.latent_shape), fps, motion, d.w_min, d.w_max, alphas_cumprod)}
        for steps in e.student_steps:
            ts = inference_timesteps(cfg.schedule.num_train_timesteps, extras["grid_steps"], steps)

            def sample_fn(ctx, seed, unet=unet, ts=ts, motion=motion):
                def eps_fn(z, t, _i):
                    one = torch.ones(1)
                    return unet(z, one * float(t), ctx, one * fps, one * e.guidance, one * motion)

                return sample_lcm(eps_fn, shape, alphas_cumprod, ts, seed,
                                  multiscale=cfg.teacher_training.multiscale_noise)

            rows.append(run(f"{name} @{steps}", sample_fn, steps,
                            {"kind": "student", "student": name, "steps": steps, "guidance": e.guidance,
                             "motion_input": motion, "path": str(path), "trained": _training_summary(extras, path),
                             "w_response": w_resp}))
    # The grid: the first clips of a few rows, same prompts, side by side.
    chosen = grid_rows or tuple(r["name"] for r in rows)
    picks = [i for i, p in enumerate(prompts) if p["kind"] != "paraphrase"][:3] + \
        [i for i, p in enumerate(prompts) if p["kind"] == "paraphrase"][:1]
    grid_clips, labels = [], []
    for i in picks:
        for name in chosen:
            grid_clips.append(clips[name][i])
            labels.append(f"{name}: {prompts[i]['prompt']}")
    write_grid(grid_clips, labels, out / "grid.png", every=3, upscale=2, label_width=300)
    result = {"prompts": prompts, "seed": e.seed, "rows": rows, "evaluation": post.to_dict()["evaluation"],
              "reward_models": _reward_info(post), "grid": "grid.png", "grid_rows": list(chosen),
              "grid_prompts": [prompts[i]["prompt"] for i in picks]}
    (out / "report.json").write_text(json.dumps(result, indent=2))
    return result


def _training_summary(extras: dict, path) -> dict:
    meta_path = Path(path) / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    post = extras.get("post", {})
    return {"steps": meta.get("step"), "last_losses": meta.get("losses"), "rewards": extras.get("rewards"),
            "motion": extras.get("motion_trained"), "lambda_max": extras.get("lambda_max"),
            "data": extras.get("data"), "lr": post.get("distill", {}).get("training", {}).get("lr"),
            "batch_size": post.get("distill", {}).get("training", {}).get("batch_size")}


def _reward_info(post: PostConfig) -> dict:
    from ..train import checkpoint as ckpt

    r = post.reward_loss
    out = {}
    paths = {"image_text": r.image_text_path, "quality": r.quality_path, "video_text": r.video_text_path}
    judges = judge_paths(post)
    for kind, path in paths.items():
        _, meta = ckpt.load_final(path)
        ex = meta["extras"]
        out[kind] = {"path": str(path), "heldout": ex.get("heldout"), "input": ex.get("input"), "net": ex.get("net"),
                     "train_seconds": ex.get("train_seconds"), "steps": meta["step"]}
        if kind in judges:
            _, jmeta = ckpt.load_final(judges[kind])
            out[kind]["judge"] = {"path": judges[kind], "heldout": jmeta["extras"].get("heldout"),
                                  "seed": jmeta["extras"]["post"]["rewards"][kind]["training"]["seed"]}
    return out
