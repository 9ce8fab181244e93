"""Configuration of post-training: reward models, consistency distillation, reward feedback, motion
guidance and evaluation. Same rules as t2v_turbo.config: dataclasses whose defaults carry their
reasons, presets (`demo` = the defaults, `micro` for tests), a JSON file, then `--set key=value`
overrides, and every unknown key or ill-typed value is a ConfigError naming the dotted key.

The base Config (geometry, VAE, UNet, text) of a distillation run is the teacher's own, read from
its checkpoint; this PostConfig is stored next to it in every checkpoint (extras["post"]) and in
<run>/post_config.json.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..config import ConfigError, TrainingConfig, _build, check_training
from ..nets.rewards import RewardNetConfig
from .reward_data import IMAGE_LABELS, VIDEO_LABELS, label_count


# ---------------------------------------------------------------------------------------------
# Reward models


@dataclass
class RewardTrainingConfig(TrainingConfig):
    steps: int = 500
    batch_size: int = 48  # clips per step
    lr: float = 2e-3  # small conv nets from scratch, AdamW with warm-up and clipping
    warmup_steps: int = 30
    weight_decay: float = 1e-4
    ema_decay: float = 0.0  # short runs converge; an EMA would lag
    checkpoint_every: int = 250
    keep_checkpoints: int = 2


def _content_net(labels: list[tuple[str, ...]]) -> RewardNetConfig:
    """Content models (image-text, video-text): a patch stem and two stages, 64 px -> 8x8 at ~17 MMAC
    a frame, ~2.3x cheaper than the full-resolution tower the quality model needs; attribute heads."""
    return RewardNetConfig(widths=[24, 48, 96], stem_stride=2, aux_labels=label_count(labels))


@dataclass
class ImageTextRewardConfig:
    net: RewardNetConfig = field(default_factory=lambda: _content_net(IMAGE_LABELS))
    training: RewardTrainingConfig = field(default_factory=lambda: RewardTrainingConfig(steps=700))
    aux_weight: float = 1.0  # attribute heads (colour-shape pairs) next to the contrastive loss
    frames_per_clip: int = 2  # the paper scores M = 2 random frames with its image rewards
    dense_share: float = 0.3  # share of dense captions: robustness to long prompts; rewards see short ones
    augment_degrade: float = 0.3  # share of degraded clips: a blurry generated frame is still a red circle


@dataclass
class QualityRewardConfig:
    net: RewardNetConfig = field(default_factory=RewardNetConfig)
    training: RewardTrainingConfig = field(default_factory=lambda: RewardTrainingConfig(steps=600))
    severity_share: float = 0.25  # pairs of one defect at two strengths: the score must also rank mild < strong
    score_l2: float = 1e-3  # keeps scores centred (a logit scale is otherwise free)


@dataclass
class VideoTextRewardConfig:
    net: RewardNetConfig = field(default_factory=lambda: _content_net(VIDEO_LABELS))
    # Held-out, 700 -> 1200 steps: retrieval top-1 0.855 -> 0.934, motion direction 0.985 -> 0.991.
    training: RewardTrainingConfig = field(default_factory=lambda: RewardTrainingConfig(steps=1200, batch_size=24))
    aux_weight: float = 1.0  # attribute heads (colour-motion, shape-motion pairs) next to the contrastive loss
    dense_share: float = 0.25
    augment_degrade: float = 0.2
    counterfactual_share: float = 0.75  # clips that get a twin differing only in one object's motion
    opposite_share: float = 0.5  # twins with the opposite motion (left <-> right, ...): the hardest negatives
    pair_weight: float = 1.0  # weight of the explicit twin-vs-anchor loss next to the in-batch contrastive one


@dataclass
class RewardsConfig:
    image_text: ImageTextRewardConfig = field(default_factory=ImageTextRewardConfig)
    quality: QualityRewardConfig = field(default_factory=QualityRewardConfig)
    video_text: VideoTextRewardConfig = field(default_factory=VideoTextRewardConfig)
    eval_clips: int = 512  # held-out (test split) clips for the accuracies
    eval_gallery: int = 32  # retrieval among this many candidates
    min_accuracy: float = 0.9  # a reward below this on its own task is not used (train-rewards fails)


# ---------------------------------------------------------------------------------------------
# Consistency distillation


@dataclass
class DistillTrainingConfig(TrainingConfig):
    steps: int = 800  # ~4.5 s a step on the shared 2-core CPU: ~60 min (the brief's budget)
    batch_size: int = 4
    lr: float = 5e-5  # paper 1e-5 at 8x bigger batches and 8K steps; a short run needs a larger rate
    warmup_steps: int = 20
    ema_decay: float = 0.0  # T2V-Turbo-v2: no EMA of the student
    checkpoint_every: int = 100
    keep_checkpoints: int = 2


@dataclass
class DistillConfig:
    training: DistillTrainingConfig = field(default_factory=DistillTrainingConfig)
    # N and k: T2V-Turbo-v2 uses N = 200, k = 5 over 8K steps at batch 8x8; v1 used N = 50, k = 20.
    # Consistency has to propagate across the grid one solver jump at a time, and LCM (Luo et al.
    # 2023, skipping-step ablation) found larger jumps converge much faster in short runs: our runs
    # are ~1K steps at batch 4, so the demo takes v1's grid. --set distill.num_ddim_timesteps=200
    # --set distill.skip=5 gives v2's.
    num_ddim_timesteps: int = 50  # N: the solver grid, also the student sampler's grid (manifest sampler.grid)
    skip: int = 20  # k: training timesteps from the student's t to the solver's target (here one grid step)
    w_min: float = 5.0  # guidance scale range sampled per example (the paper's U[5, 15])
    w_max: float = 15.0
    huber_c: float = 0.001  # elementwise pseudo-Huber c (LCM's value; our latents are unit-variance like SD's)
    target: Literal["online", "ema"] = "online"  # v2: the online student makes its own target, without gradient
    target_ema_decay: float = 0.95  # only with target = "ema" (v1 / LCM)
    lora_rank: int = 0  # 0 = full fine-tune (v2); > 0 = LoRA adapters via peft (v1 used rank 64)
    lora_alpha: float = 0.0  # 0 = equal to the rank
    # The w and motion-strength inputs (time_cond_proj, motion_cond_proj, combine_proj) start where the
    # teacher left them, combine_proj at zero, and have to travel further than the rest: at the base
    # rate, 1,500 steps moved the student's eps by 0.35 % between w = 5 and w = 15; at 20x, 800 steps
    # move its predicted x0 by 7.5 % (t = 999) and 22.5 % (t = 500) (POST_TRAINING.md).
    cond_lr_scale: float = 20.0  # their rate as a multiple of distill.training.lr
    clips: int = 1200  # distillation set: clips whose latents, captions and curation verdicts are cached
    degrade_prob: float = 0.2  # the raw pool holds this share of degraded (web-quality) clips
    curate: bool = True  # drop clips the pixel-based curation rejects (the data-selection ablation turns it off)
    cd_styles: list[str] = field(default_factory=lambda: ["short", "dense"])  # paper: CD on all captions
    reward_styles: list[str] = field(default_factory=lambda: ["short"])  # paper: rewards on short captions only
    short_share: float = 0.5  # caption style per example: the paper's equal parts WebVid and VidGen


@dataclass
class RewardLossConfig:
    """L = L_CD - beta_img * (R_image_text + quality_weight * R_quality) - beta_vid * R_video_text."""

    beta_image: float = 0.2  # the paper's beta_img (HPSv2.1 + CLIPScore, summed)
    quality_weight: float = 0.05  # our quality score is a logit (~ +-5), the image-text one a cosine
    beta_video: float = 0.5  # the paper's beta_vid
    image_frames: int = 2  # M random frames for the image rewards (paper: 2)
    # Multiplies both betas. Measured on the demo teacher (batch 4): at 1 the reward gradient is ~2x the
    # CD gradient, the same order, so the paper's betas are kept as they are.
    scale: float = 1.0
    image_text_path: str = "models/runs/rewards/image_text/final"
    quality_path: str = "models/runs/rewards/quality/final"
    video_text_path: str = "models/runs/rewards/video_text/final"


@dataclass
class MotionGuidanceConfig:
    enabled: bool = True
    # The student's motion input m in [0, 1] means lambda = m * lambda_max. Paper: 500, for its energy's
    # scale. Measured on the demo teacher: |sqrt(1 - abar) grad G| / |eps| = 0.0056 per unit lambda, so
    # 60 moves the guided eps by ~1/3 of its norm at m = 1 (500 would overwhelm it ~3x).
    lambda_max: float = 60.0
    tau: float = 0.5  # guidance only where t >= (1 - tau) * T: the high-noise part (paper: 0.5)
    reference: Literal["noised", "ddim_inversion"] = "noised"  # paper: DDIM inversion; see docs/POST_TRAINING.md
    inversion_steps: int = 10  # DDIM steps from 0 to t when reference = "ddim_inversion"
    # Precomputed (noise, t, gradient) draws per curated clip for the high-noise half (0 = all on the fly).
    # One draw per clip: the guided runs (~2K guided examples) then reuse each about twice.
    cache_draws: int = 1


@dataclass
class EvaluationConfig:
    seed: int = 1234  # prompt i uses seed + i; every row shares the same noise
    teacher_steps: int = 50
    guidance: float = 7.5  # the paper's inference default for teacher (CFG) and students (w input)
    student_steps: list[int] = field(default_factory=lambda: [4, 8])
    motion: float = 1.0  # the students' motion-strength input at evaluation (fraction of lambda_max)
    kinds: list[str] = field(default_factory=lambda: ["seen", "paraphrase", "unseen-combination"])
    image_frames: int = 4  # frames scored by the image rewards (strided), averaged
    ablation_steps: int = 200  # distillation steps of each ablation row (the demo student runs distill.training.steps)
    # Folder with <kind>/final reward models trained with another seed, never used as a reward: they score
    # every clip a second time (judge_* in the report), away from the students' optimiser. "" = none.
    judges: str = ""
    # Also sample the held-out prompts that ask for left/right/up/down with extra seeds and count the
    # clips that move the asked way (evaluate.direction_check, eval-teacher's check): 32 clips a row.
    direction_check: bool = True


@dataclass
class PostConfig:
    rewards: RewardsConfig = field(default_factory=RewardsConfig)
    distill: DistillConfig = field(default_factory=DistillConfig)
    reward_loss: RewardLossConfig = field(default_factory=RewardLossConfig)
    motion: MotionGuidanceConfig = field(default_factory=MotionGuidanceConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def validate(self) -> PostConfig:
        d = self.distill
        if not 0 < d.w_min <= d.w_max:
            raise ConfigError(f"distill.w_min ({d.w_min}) must be positive and at most distill.w_max ({d.w_max})")
        stages = {f"rewards.{k}.training": getattr(self.rewards, k).training
                  for k in ("image_text", "quality", "video_text")} | {"distill.training": d.training}
        for key, training in stages.items():
            check_training(key, training)
        if d.skip <= 0 or d.num_ddim_timesteps <= 0:
            raise ConfigError("distill.skip and distill.num_ddim_timesteps must be positive")
        for key in ("cd_styles", "reward_styles"):
            bad = set(getattr(d, key)) - {"short", "dense"}
            if bad:
                raise ConfigError(f"distill.{key} has unknown styles {sorted(bad)}; styles are ['dense', 'short']")
        if not d.cd_styles:
            raise ConfigError("distill.cd_styles must name at least one caption style")
        if d.huber_c <= 0:
            raise ConfigError(f"distill.huber_c must be positive, got {d.huber_c}")
        if d.lora_rank < 0:
            raise ConfigError(f"distill.lora_rank must be >= 0, got {d.lora_rank}")
        if d.cond_lr_scale <= 0:
            raise ConfigError(f"distill.cond_lr_scale must be positive, got {d.cond_lr_scale}")
        m = self.motion
        if not 0.0 <= m.tau <= 1.0:
            raise ConfigError(f"motion.tau must lie in [0, 1], got {m.tau}")
        if m.lambda_max < 0:
            raise ConfigError(f"motion.lambda_max must be >= 0, got {m.lambda_max}")
        for key, value in (("distill.degrade_prob", d.degrade_prob), ("distill.short_share", d.short_share),
                           ("rewards.video_text.counterfactual_share", self.rewards.video_text.counterfactual_share)):
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{key} must lie in [0, 1], got {value}")
        if not self.evaluation.student_steps or min(self.evaluation.student_steps) < 1:
            raise ConfigError("evaluation.student_steps must list positive step counts")
        return self


# Overrides on the defaults (the defaults are `demo`).
POST_PRESETS: dict[str, dict[str, Any]] = {
    "demo": {},
    # Seconds, not minutes: for the tests. Tiny nets, a few steps, 16x16 frames (the `micro` base preset).
    "micro": {
        "rewards": {
            name: {"net": {"widths": [8, 8, 8], "embed_dim": 16, "text_queries": 1, "keypoints": 4, "norm_groups": 4},
                   "training": {"steps": 3, "batch_size": 4, "checkpoint_every": 3, "warmup_steps": 1}}
            for name in ("image_text", "quality", "video_text")
        } | {"eval_clips": 8, "eval_gallery": 4, "min_accuracy": 0.0},
        "distill": {"training": {"steps": 2, "batch_size": 2, "checkpoint_every": 2, "warmup_steps": 1},
                    "clips": 8, "num_ddim_timesteps": 50, "skip": 20},
        "motion": {"cache_draws": 1, "inversion_steps": 2},
        "evaluation": {"teacher_steps": 2, "student_steps": [1, 2], "kinds": ["seen"], "image_frames": 2,
                       "ablation_steps": 1},
    },
}


def resolve_post_config(preset: str = "demo", file: str | Path | None = None,
                        overrides: list[str] | None = None) -> PostConfig:
    """Preset, then a JSON file, then `section.key=value` overrides; strict at every layer."""
    if preset not in POST_PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; choose one of {sorted(POST_PRESETS)}")
    data = PostConfig().to_dict()
    _merge(data, POST_PRESETS[preset], PostConfig, "")
    if file is not None:
        try:
            loaded = json.loads(Path(file).read_text())
        except json.JSONDecodeError as e:
            raise ConfigError(f"config file {file} is not valid JSON: {e}") from e
        _merge(data, loaded, PostConfig, "")
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r} must look like section.key=value")
        value: Any = _parse_value(raw)
        for part in reversed(key.strip().split(".")):
            value = {part: value}
        _merge(data, value, PostConfig, "")
    return post_config_from_dict(data)


def post_config_from_dict(data: dict[str, Any]) -> PostConfig:
    return _build(PostConfig, data, "").validate()


def is_post_key(dotted: str) -> bool:
    """True when an override's key belongs to PostConfig (else it is a base Config key)."""
    return dotted.split(".", 1)[0] in {f.name for f in dataclasses.fields(PostConfig)}


def _merge(base: dict, update: Any, cls: type, prefix: str) -> None:
    """Deep-merge update into base; keys must exist in the dataclass `cls` (typos fail with their path)."""
    if not isinstance(update, dict):
        raise ConfigError(f"{prefix.rstrip('.') or 'config'} must be an object, got {update!r}")
    hints = typing.get_type_hints(cls)
    for key, value in update.items():
        if key not in base:
            raise ConfigError(f"unknown config key '{prefix}{key}'; known keys here: {', '.join(sorted(base))}")
        if dataclasses.is_dataclass(hints[key]) and isinstance(base[key], dict):
            _merge(base[key], value, hints[key], f"{prefix}{key}.")
        else:
            base[key] = value


def _parse_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw
