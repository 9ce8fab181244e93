"""Experiment configuration: typed dataclasses whose defaults carry their reasons, strict loading.

A config is resolved in three layers, later ones winning: a preset (`micro`, `demo`, `vc2`), an
optional JSON file, then `--set section.key=value` overrides. Every layer is checked against the
dataclasses before any work starts: an unknown key or a value of the wrong type fails with a
ConfigError naming the dotted key. The resolved config is written next to every checkpoint.

Defaults are the `demo` preset: a real but small teacher that trains on a shared 2-core CPU in
about an hour (docs/COMPANION.md has the measurements behind the sizes).
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal


class ConfigError(ValueError):
    """A configuration problem, with the dotted key at fault in the message."""


@dataclass
class GeometryConfig:
    frames: int = 16  # the paper's clip length (VideoCrafter2 / T2V-Turbo-v2 sample 16 frames)
    fps: int = 8  # the paper's frame rate; also the value of the UNet's fps condition
    height: int = 64  # 64x64 px keeps a 16-frame clip trainable on 2 CPU cores (VC2: 320x512)
    width: int = 64


@dataclass
class DataConfig:
    seed: int = 0  # the procedural dataset is a pure function of (seed, split, index)
    train_length: int = 100_000  # virtual size of the on-the-fly train split; more than we ever draw
    degrade_prob: float = 0.2  # share of degraded clips, so that curation has something to find
    caption_mix: dict[str, float] = field(
        default_factory=lambda: {"short": 0.5, "dense": 0.5}
    )  # paper: equal parts
    teacher_clips: int = 1200  # fixed clips whose VAE latents and text encodings are cached for the teacher
    val_clips: int = 48  # held-out (val split) clips for the VAE's PSNR
    # 0: a directed motion (left/right/up/down) starts anywhere that keeps the object in frame. Above 0:
    # within this fraction of the frame from the edge it moves away from (data/sampling.py), so the
    # direction word decides the object's place in every frame, as the colour word decides its pixels
    entry_band: float = 0.0
    # Multiplies every object's size (data/sampling.py SIZES: shapes 0.11-0.16 of the frame in radius,
    # 4-5 latent cells across at 64x64 f4); larger objects give the teacher's shape features more cells.
    object_scale: float = 1.0
    # 1: an object starts anywhere that keeps it in frame. Below 1: in that central fraction of the
    # feasible range on every axis the entry band leaves free (promo clips centre their subject), so at
    # high noise, where the caption must say what the clip holds, its shape word fixes pixels too
    placement_spread: float = 1.0
    # "promo": the clips above. "still_shapes": each clip one still shape on a solid one of still_backgrounds,
    # of one of still_colors that shows on it, nothing else (data/sampling.py StillShapes): the data of
    # make-demo-base's first stage (teacher_shapes) and of its rehearsal (teacher_images.still_shapes_share)
    scenes: Literal["promo", "still_shapes"] = "promo"
    still_colors: list[str] = field(default_factory=lambda: ["yellow"])
    still_backgrounds: list[str] = field(default_factory=lambda: ["blue"])


@dataclass
class TextConfig:
    embed_dim: int = 384  # all-MiniLM-L6-v2's width; VC2's OpenCLIP ViT-H/14 gives 1024
    max_length: int = 48  # tokens incl. [CLS]/[SEP]; our captions are short (VC2: 77)


@dataclass
class VAEConfig:
    """LDM / VideoCrafter2 KL autoencoder, applied to each frame."""

    ch: int = 16  # base width; flat-coloured promo frames need little capacity (VC2: 128)
    ch_mult: list[int] = field(default_factory=lambda: [1, 2, 4])  # 2 downsamples -> f4: 64 px -> 16 latent
    num_res_blocks: int = 1  # VC2: 2; one block per level halves the encoder cost
    z_channels: int = 4  # the latent width of every SD-family VAE
    attn_resolutions: list[int] = field(default_factory=list)  # VC2 has none outside the mid block
    mid_attention: bool = (
        False  # LDM/VC2 have one attention layer in the mid block; flat graphics do not need it
    )
    dropout: float = 0.0
    # LDM uses GroupNorm(32) on 128+ channels (4+ per group). On 16 channels, 32 groups would not
    # divide and 16 would be instance norm, which erases the flat colours these frames consist of.
    norm_groups: int = 4


@dataclass
class UNetConfig:
    """VideoCrafter2's 3D UNet family (+ T2V-Turbo-v2's w and motion projections)."""

    in_channels: int = 4  # = VAE z_channels
    out_channels: int = 4  # epsilon has the latent's shape
    model_channels: int = 32  # sized to the CPU budget: ~0.1 s per clip and training step (VC2: 320)
    channel_mult: list[int] = field(
        default_factory=lambda: [1, 2, 2]
    )  # 16 -> 8 -> 4 latent px (VC2: [1,2,4,4])
    num_res_blocks: int = 1  # VC2: 2
    # Downsample factors with transformers. VC2: [1, 2, 4]; attention over the 16x16 level would
    # double the step time here, and text already reaches the 8x8 and 4x4 levels.
    attention_resolutions: list[int] = field(default_factory=lambda: [2, 4])
    num_head_channels: int = 32  # head width; heads = channels / 32 (VC2: 64)
    transformer_depth: int = 1
    temporal_transformer_depth: int = 1
    context_dim: int = 384  # = text.embed_dim
    init_attn: bool = True  # VC2's extra temporal transformer after the first conv
    init_attn_heads: int = 1  # VC2: 8 heads x head width; 1 x 32 keeps it as wide as the channels here
    temporal_conv: bool = True  # the (3,1,1) temporal convolutions inside every ResBlock
    temporal_attention: bool = True
    # A zero-initialised projection of each frame's index into every temporal transformer (not in VC2)
    temporal_frame_position: bool = False
    # Its projection starts at this times the identity (0: zero, an old teacher loads exactly)
    temporal_frame_position_init: float = 0.0
    # What the last conv predicts: "epsilon" (VC2), or "v" = sqrt(abar) eps - sqrt(1 - abar) x0, which
    # forward() turns back into epsilon, so every sampler, graph and manifest still sees epsilon. At
    # high noise eps-prediction leaves x0 = (z - sqrt(1 - abar) eps) / sqrt(abar) to amplify its error
    # 15x (t = 999); v is ~ -x0 there, so the layout and motion the caption decides are learnt directly.
    prediction: str = "epsilon"
    # A zero-initialised embedding of each frame's index added to the ResBlocks' time embedding (not in
    # VC2): every layer, spatial cross-attention included, knows which frame it draws, so a caption can
    # place an object differently in frame 0 and frame 15 ("moving right") in a single layer
    frame_embedding: bool = False
    # A zero-initialised projection of the caption's mean token embedding added to that time embedding
    # (not in VC2; Imagen and SDXL add a pooled text embedding so): cross-attention reaches only the
    # 8x8 and 4x4 levels, this reaches every ResBlock, so words that hold for the whole clip (colours,
    # a direction, with the frame embedding's frame index beside it) need no attention to be read. Off in
    # `demo`: from nothing it doubled the mid-schedule colour reading, not direction (COMPANION.md, stop 20)
    text_embedding: bool = False
    fps_cond: bool = True
    cond_embed_dim: int = 256  # T2V-Turbo-v2: 256-d sinusoidal embeddings of w and motion strength
    cond_embed_scale: float = 1000.0  # w is embedded as w * 1000 (LCM convention)
    dropout: float = 0.0  # VC2 uses 0.1; at our step counts the model underfits, so no dropout
    norm_groups: int = (
        8  # 4+ channels per group, as VC2's 320/32; one channel per group would erase flat colours
    )


@dataclass
class ScheduleConfig:
    num_train_timesteps: int = 1000  # VideoCrafter2
    beta_start: float = 0.00085
    beta_end: float = 0.012
    beta_schedule: Literal["scaled_linear", "linear"] = (
        "scaled_linear"  # VC2's "linear" is linear in sqrt(beta)
    )
    # 0 = VC2's schedule; else abar_999 rescaled to this, e.g. 1e-6 (diffusion/schedule.py): hides
    # the clip that abar_999 = 0.0047 leaves in the last noisy latent; pair it with unet.prediction = "v"
    terminal_abar: float = 0.0


@dataclass
class TrainingConfig:
    steps: int = 1000
    batch_size: int = 8
    lr: float = 2e-4
    warmup_steps: int = 50  # linear warm-up, then constant: short runs have no time to decay
    # The rate falls linearly to 0 over the last N steps (0 = constant to the end). Growing a cooled
    # run with --resume and more steps is not exact: the steps that cooled down stay cooled.
    cooldown_steps: int = 0
    weight_decay: float = 0.0
    adam_beta2: float = 0.999
    grad_clip: float = 1.0  # the paper's value
    ema_decay: float = 0.999  # EMA of the weights, warmed up as min(decay, (1 + n) / (10 + n))
    seed: int = 0
    checkpoint_every: int = 250
    keep_checkpoints: int = 3  # rotate: keep the last K
    # ... and never delete a step that is a multiple of this (0 = none): a long run's learning curve
    # stays probe-able (eval-teacher takes a step-* folder) without keeping every checkpoint
    keep_every: int = 0
    # CPU: fp32 is the exact, deterministic choice, and the faster one at these widths: bf16 autocast took
    # 1.88 s against 1.41 s a demo teacher step on a CPU with AMX (docs/COMPANION.md, stop 20); nor is
    # training torch.compile'd: inductor took 1.82 s a step, after a 4-minute compile (stop 21)
    mixed_precision: Literal["no", "bf16", "fp16"] = "no"
    num_threads: int = 2  # torch intra-op threads: the machine has 2 shared cores


@dataclass
class VAETrainingConfig(TrainingConfig):
    steps: int = 1200  # ~0.6 s a step on 2 idle cores: ~12 min
    batch_size: int = 16  # frames per step (random frames of random clips)
    lr: float = 1e-3
    frames_per_clip: int = 2  # frames drawn from each rendered clip: neighbours are near-duplicates
    crop: int = 0  # random crops of this size (0 = whole frames); crops skew GroupNorm statistics
    degrade_prob: float = 0.0  # clean frames: the decoder's job is to draw the teacher's clean clips
    kl_weight: float = 1e-6  # LDM's order of magnitude: keeps latents bounded, costs no sharpness
    edge_weight: float = 1.0  # extra L1 on pixels near edges (|Sobel| of the target), sharpens outlines
    mse_weight: float = 1.0  # MSE next to L1: PSNR is what we report
    ema_decay: float = 0.0  # the VAE converges fast; EMA would only lag
    latent_stats_clips: int = 128  # train clips whose latents set the scale factor 1 / std


@dataclass
class TeacherTrainingConfig(TrainingConfig):
    steps: int = 3000  # 1.07-2.2 s a step at batch 8 on 2 cores (machines vary); demo: 2,000 after images
    batch_size: int = 8  # early in training, more updates beat bigger batches at equal compute
    lr: float = 5e-4  # a small UNet and a short run tolerate a high rate (with warm-up and clipping)
    ema_decay: float = 0.998  # averages the last ~500 steps: a longer window would lag a short run
    text_dropout: float = 0.1  # share of empty prompts, for classifier-free guidance
    min_snr_gamma: float = 5.0  # Min-SNR loss weighting (Hang et al. 2023), ~3x faster convergence; 0 = off
    # Raises the weight of high-noise timesteps: x0-space weight clamp(SNR, floor, gamma) instead of
    # min(SNR, gamma), i.e. epsilon weight floor / SNR once SNR < floor (0.05: t > ~770); 0 = off
    snr_weight_floor: float = 0.0
    # Coarse-scale noise (diffusion/multiscale_noise.py): hides the layout that abar_999 > 0 leaks; 0 = white
    multiscale_noise: float = 0.0
    # Share of t drawn from the top band [high_noise_from, T) instead of U{0..T-1}: where a sample's
    # layout and motion are decided and z_t no longer shows them, so the caption must; 0 = uniform
    high_noise_share: float = 0.0
    high_noise_from: int = 800
    # Weight of the error's motion part (its deviation from the clip's frame mean) against the
    # appearance part (the frame mean), normalised so that white errors keep their loss; 1 = plain MSE.
    # Appearance (background, colours) is ~85 % of a clip's variance and swamps what motion words add.
    # On VC2's schedule, 4 made the teacher read motion off the noisy latent more, not the caption
    # (docs/COMPANION.md, stop 16)
    motion_loss_weight: float = 1.0
    # Motions whose clips alone feed the top band (the high_noise_share items): a clip qualifies when
    # every object moves so and the camera stays. What a caption means is unchanged, only which
    # captions are drawn there; elsewhere the direction words' share of the motion error is diluted
    # by pans, zooms and two-object clips until it is not learnt (docs/COMPANION.md, stop 18). [] = all
    top_band_motions: list[str] = field(default_factory=list)
    degrade_prob: float = 0.0  # the teacher learns clean clips; degraded ones are for the curation study
    # Joint image-video training (ModelScope and VideoCrafter train on images beside videos): this many
    # single frames per step, each from its own cached clip at a random position, with its own caption,
    # t and noise, through the spatial layers only (UNet3D image mode). A clip's 16 frames share one
    # object and one t, so a clip batch of 8 shows 8 objects; 64 frames show 64 for a third of its compute,
    # and taught colour and the per-frame direction word far faster, not shape (docs/COMPANION.md,
    # stop 27). Their loss is added to the clips'. batch_size may then be 0 (images only).
    image_batch_size: int = 0
    # Share of those frames drawn instead from the still-shape clips (data.still_colors on
    # data.still_backgrounds, data.scenes = "still_shapes", cached apart): rehearsal of what the
    # teacher_shapes stage taught, which 3,000 image steps on the promo clips alone erased (stop 34)
    still_shapes_share: float = 0.0


@dataclass
class TeacherShapesConfig:
    """make-demo-base's first teacher stage, before the image stage: single frames (teacher_training with
    batch_size 0 and these values) of one still shape a clip, of data.still_colors on data.still_backgrounds
    (data.scenes = "still_shapes"; one of each by default, so the captions differ in the shape word alone);
    the image stage then starts from its weights. On the full clips this UNet learnt colour and direction
    and drew every shape as a blob; 1,500 such steps drew the asked shape in 32 of 32 samples, and grown on
    clips with 4 colours and 10 backgrounds they kept more of it than 4,500 steps on those clips alone
    (docs/COMPANION.md, stop 33).
    Off in `demo`: 3,000 image steps on the promo clips after it forget the shapes, and rehearsing them
    (teacher_images.still_shapes_share) keeps them only for the rehearsed colour and background (stop 34)."""

    enabled: bool = False
    steps: int = 1500
    image_batch_size: int = 64
    placement_spread: float = 0.15  # centred (+-0.05 of the frame at radius 0.16): the outline, not the place

    def apply(self, cfg: Config) -> Config:
        """The stage's config: `cfg` with still-shape data (of data.still_colors on data.still_backgrounds)
        and an image-only teacher_training."""
        data = dataclasses.replace(cfg.data, scenes="still_shapes", placement_spread=self.placement_spread)
        tt = dataclasses.replace(cfg.teacher_training, steps=self.steps, batch_size=0,
                                 image_batch_size=self.image_batch_size)
        return dataclasses.replace(cfg, data=data, teacher_training=tt).validate()


@dataclass
class TeacherImagesConfig:
    """make-demo-base's image stage, before the first: the teacher trained from nothing on single frames
    of the cached clips alone (teacher_training with batch_size 0 and these values) through the spatial
    layers, each frame with its own caption, t and noise; the first stage then starts from its weights.
    64 frames show 64 objects a step where a clip batch shows 8, for a third of a clip step's compute:
    3,000 such steps stood in for 8,000 clip steps of the first stage (docs/COMPANION.md, stop 27)."""

    enabled: bool = False
    steps: int = 3000
    image_batch_size: int = 64
    still_shapes_share: float = 0.0  # of those frames, from the teacher_shapes stage's clips (rehearsal)

    def apply(self, cfg: Config) -> Config:
        """The image stage's config: `cfg` with an image-only teacher_training."""
        tt = dataclasses.replace(cfg.teacher_training, steps=self.steps, batch_size=0,
                                 image_batch_size=self.image_batch_size, still_shapes_share=self.still_shapes_share)
        return dataclasses.replace(cfg, teacher_training=tt).validate()


@dataclass
class TeacherTopConfig:
    """make-demo-base's second teacher stage: the trained teacher continued with these teacher_training
    values (the rest kept) into <out>/teacher-top, which becomes the demo teacher. The first stage
    learns what the frames show; this one teaches the top of the schedule, where only the caption can
    place the object, to move it the way the direction word says (docs/COMPANION.md, stop 18)."""

    enabled: bool = False
    steps: int = 1000
    lr: float = 2e-4  # a fresh optimiser on trained weights: below the first stage's rate
    high_noise_from: int = 980
    high_noise_share: float = 0.5
    motion_loss_weight: float = 32.0
    top_band_motions: list[str] = field(default_factory=lambda: ["left", "right", "up", "down"])

    def apply(self, cfg: Config) -> Config:
        """The second stage's config: `cfg` with these values in teacher_training."""
        values = {k: v for k, v in dataclasses.asdict(self).items() if k != "enabled"}
        return dataclasses.replace(cfg, teacher_training=dataclasses.replace(cfg.teacher_training, **values)).validate()


@dataclass
class LoggingConfig:
    log_every: int = 10  # steps between TensorBoard scalars
    progress: bool = True  # tqdm progress bar (on the main process only)


@dataclass
class SamplingConfig:
    steps: int = 50  # DDIM steps of the teacher
    guidance: float = 7.5  # CFG w in eps_c + w (eps_c - eps_u), the paper's default
    seed: int = 0


# Data keys added after caches were first written, with their defaults (Config.data_key).
_LATER_DATA_KEYS = {"object_scale": 1.0, "placement_spread": 1.0, "scenes": "promo", "still_colors": ["yellow"],
                    "still_backgrounds": ["blue"]}
_STILL_SHAPE_KEYS = ("still_colors", "still_backgrounds")  # read only where data.scenes = "still_shapes"


@dataclass
class Config:
    geometry: GeometryConfig = field(default_factory=GeometryConfig)
    data: DataConfig = field(default_factory=DataConfig)
    text: TextConfig = field(default_factory=TextConfig)
    vae: VAEConfig = field(default_factory=VAEConfig)
    unet: UNetConfig = field(default_factory=UNetConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    vae_training: VAETrainingConfig = field(default_factory=VAETrainingConfig)
    teacher_training: TeacherTrainingConfig = field(default_factory=TeacherTrainingConfig)
    teacher_shapes: TeacherShapesConfig = field(default_factory=TeacherShapesConfig)
    teacher_images: TeacherImagesConfig = field(default_factory=TeacherImagesConfig)
    teacher_top: TeacherTopConfig = field(default_factory=TeacherTopConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    def data_key(self) -> dict[str, Any]:
        """The data section as a cache key: keys added since caches were first written are left out
        at their defaults, so that those caches stay valid, and the still-shape keys are left out of
        the promo clips' key, which they do not change (a run that rehearses other colours reuses it)."""
        data = self.to_dict()["data"]
        if data["scenes"] == "promo":
            data = {k: v for k, v in data.items() if k not in _STILL_SHAPE_KEYS}
        return {k: v for k, v in data.items() if not (k in _LATER_DATA_KEYS and v == _LATER_DATA_KEYS[k])}

    @property
    def vae_downsample(self) -> int:
        return 2 ** (len(self.vae.ch_mult) - 1)

    @property
    def latent_shape(self) -> tuple[int, int, int, int]:
        """(C, T, h, w) of one clip's diffusion latent."""
        f = self.vae_downsample
        return (
            self.vae.z_channels,
            self.geometry.frames,
            self.geometry.height // f,
            self.geometry.width // f,
        )

    def validate(self) -> Config:
        """Cross-field rules; each error names the keys involved."""
        g, f = self.geometry, self.vae_downsample
        if g.height % f or g.width % f:
            raise ConfigError(
                f"geometry.height/width ({g.height}x{g.width}) must be divisible by the VAE factor {f}"
            )
        down = 2 ** (len(self.unet.channel_mult) - 1)
        if (g.height // f) % down or (g.width // f) % down:
            raise ConfigError(
                f"latent {g.height // f}x{g.width // f} must be divisible by 2^(len(unet.channel_mult)-1) = {down}"
            )
        if self.unet.in_channels != self.vae.z_channels:
            raise ConfigError(
                f"unet.in_channels ({self.unet.in_channels}) must equal vae.z_channels ({self.vae.z_channels})"
            )
        if self.unet.context_dim != self.text.embed_dim:
            raise ConfigError(
                f"unet.context_dim ({self.unet.context_dim}) must equal text.embed_dim ({self.text.embed_dim})"
            )
        for key, value in _flatten(self.to_dict()).items():
            number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
            positive = (
                "steps",
                "batch_size",
                "frames",
                "fps",
                "height",
                "width",
                "ch",
                "model_channels",
                "num_threads",
                "checkpoint_every",
                "keep_checkpoints",
                "log_every",
                "max_length",
            )
            if number is not None and key.split(".")[-1] in positive and number <= 0:
                if key == "teacher_training.batch_size" and number == 0 and self.teacher_training.image_batch_size > 0:
                    continue  # an image-only stage
                raise ConfigError(f"{key} must be positive, got {value}"
                                  + (" (0 only with teacher_training.image_batch_size > 0)"
                                     if key == "teacher_training.batch_size" else ""))
        for name in ("vae_training", "teacher_training"):
            check_training(name, getattr(self, name))
        crop = self.vae_training.crop
        if crop and (crop > min(g.height, g.width) or crop % f):
            raise ConfigError(
                f"vae_training.crop ({crop}) must be 0 or a multiple of {f} no larger than the frame"
            )
        for key in ("data.degrade_prob", "data.entry_band", "data.placement_spread", "teacher_training.text_dropout",
                    "teacher_training.degrade_prob"):
            v = _lookup(self.to_dict(), key)
            if not 0.0 <= v <= 1.0:
                raise ConfigError(f"{key} must lie in [0, 1], got {v}")
        from .data.sampling import MAX_OBJECT_SCALE

        if not 0.0 < self.data.object_scale <= MAX_OBJECT_SCALE:
            raise ConfigError(f"data.object_scale must lie in (0, {MAX_OBJECT_SCALE}], got {self.data.object_scale}")
        if not 0.0 <= self.teacher_training.multiscale_noise < 1.0:
            raise ConfigError(f"teacher_training.multiscale_noise must lie in [0, 1), got "
                              f"{self.teacher_training.multiscale_noise}")
        if self.unet.prediction not in ("epsilon", "v"):
            raise ConfigError(f"unet.prediction must be 'epsilon' or 'v', got {self.unet.prediction!r}")
        if self.schedule.terminal_abar:
            from .diffusion.schedule import NoiseSchedule

            try:
                NoiseSchedule.from_dict(self.schedule).alphas_cumprod()
            except ValueError as err:
                raise ConfigError(f"schedule.{err}") from None
        self._check_teacher_training(self.teacher_training, "teacher_training")
        from .data.sampling import StillShapes

        try:
            StillShapes(tuple(self.data.still_colors), tuple(self.data.still_backgrounds))
        except ValueError as err:
            raise ConfigError(f"data.still_{err}") from None
        if self.teacher_shapes.image_batch_size <= 0:  # also read by rehearsal (teacher_images.still_shapes_share)
            raise ConfigError(f"teacher_shapes.image_batch_size must be positive, got {self.teacher_shapes.image_batch_size}")
        if not 0.0 <= self.teacher_shapes.placement_spread <= 1.0:
            raise ConfigError(f"teacher_shapes.placement_spread must lie in [0, 1], got "
                              f"{self.teacher_shapes.placement_spread}")
        if not 0.0 <= self.teacher_images.still_shapes_share <= 1.0:
            raise ConfigError(f"teacher_images.still_shapes_share must lie in [0, 1], got "
                              f"{self.teacher_images.still_shapes_share}")
        if self.teacher_images.enabled and self.teacher_images.image_batch_size <= 0:
            raise ConfigError("teacher_images.image_batch_size must be positive when teacher_images.enabled, "
                              f"got {self.teacher_images.image_batch_size}")
        if self.teacher_top.enabled:  # caught now, not after the first stage's hour of training
            top = dataclasses.asdict(self.teacher_top)
            del top["enabled"]
            self._check_teacher_training(dataclasses.replace(self.teacher_training, **top), "teacher_top")
        return self

    def _check_teacher_training(self, tt: TeacherTrainingConfig, name: str) -> None:
        """Rules on one teacher stage's values; `name` is the section the user set them in."""
        if not 0.0 <= tt.high_noise_share <= 1.0:
            raise ConfigError(f"{name}.high_noise_share must lie in [0, 1], got {tt.high_noise_share}")
        if tt.snr_weight_floor < 0 or (tt.snr_weight_floor > 0 and tt.snr_weight_floor >= tt.min_snr_gamma):
            raise ConfigError(f"{name}.snr_weight_floor must be 0 or lie in (0, min_snr_gamma = "
                              f"{tt.min_snr_gamma}), got {tt.snr_weight_floor}")
        if tt.motion_loss_weight <= 0:
            raise ConfigError(f"{name}.motion_loss_weight must be positive, got {tt.motion_loss_weight}")
        if tt.image_batch_size < 0:
            raise ConfigError(f"{name}.image_batch_size must be 0 (off) or positive, got {tt.image_batch_size}")
        if not 0.0 <= tt.still_shapes_share <= 1.0:
            raise ConfigError(f"{name}.still_shapes_share must lie in [0, 1], got {tt.still_shapes_share}")
        if tt.still_shapes_share and not tt.image_batch_size:
            raise ConfigError(f"{name}.still_shapes_share needs {name}.image_batch_size > 0: it is a share of the "
                              "image batch")
        from .data.vocabulary import MOTIONS

        unknown = [m for m in tt.top_band_motions if m not in MOTIONS]
        if unknown:
            raise ConfigError(f"{name}.top_band_motions: unknown motions {unknown}; known: {list(MOTIONS)}")
        if tt.top_band_motions and tt.high_noise_share <= 0:
            raise ConfigError(f"{name}.top_band_motions needs {name}.high_noise_share > 0: "
                              "it chooses the clips of the top band")
        if not 0 <= tt.high_noise_from < self.schedule.num_train_timesteps:
            raise ConfigError(f"{name}.high_noise_from must lie in [0, "
                              f"{self.schedule.num_train_timesteps}), got {tt.high_noise_from}")


# ---------------------------------------------------------------------------------------------
# Presets: overrides on the defaults. A stored config lacking a key gets the default, so a new
# training option keeps its old behaviour as the default and a preset turns it on.

PRESETS: dict[str, dict[str, Any]] = {
    # The 16x16-latent demo (docs/COMPANION.md): multiscale noise, or z_999 leaks the layout
    # (diffusion/multiscale_noise.py); v prediction on a schedule that ends at (nearly) pure noise, so
    # the top step must place the object from the caption alone; frame-aware temporal layers; directed
    # objects entering from their edge; and the second stage that teaches the top the motion words.
    "demo": {
        "data": {"entry_band": 0.1},
        "unet": {
            "prediction": "v",
            "temporal_frame_position": True,
            "temporal_frame_position_init": 0.3,
            "frame_embedding": True,
        },
        "schedule": {"terminal_abar": 1e-6},
        # A fifth of t from [800, 1000), not half: the mid-schedule x0 error is lower at every step
        # measured (0.138 vs 0.16 at 3,000, 0.093 vs 0.132 at 6,000) and samples find the colour more
        # often (COMPANION.md, stops 21-22). 3,000 steps of single frames, then 2,000 + 2,000 clip steps
        # (~100 min) move the object the asked way as 10,000 + 2,000 clip steps (~4 h) do: 17 of the 25
        # held-out clips whose colour is found, against 16 of 22 (stops 24, 27); 3,000 + 1,000 clip steps
        # alone, and 8,000 + 2,000 at share 0.5, did not (5 of 11, 6 of 16).
        "teacher_training": {"multiscale_noise": 0.8, "high_noise_share": 0.2, "snr_weight_floor": 1.0,
                             "steps": 2000},
        "teacher_images": {"enabled": True, "steps": 3000, "image_batch_size": 64},
        "teacher_top": {"enabled": True, "steps": 2000},
    },
    # Trains in seconds: tests only. 4 frames of 16x16 px -> a 4x4x4x4 latent.
    "micro": {
        "geometry": {"frames": 4, "height": 16, "width": 16},
        "data": {"teacher_clips": 16, "val_clips": 4},
        "vae": {"ch": 8, "ch_mult": [1, 2, 2], "norm_groups": 4, "mid_attention": True},
        "unet": {
            "model_channels": 16,
            "channel_mult": [1, 2],
            "attention_resolutions": [1, 2],
            "num_head_channels": 8,
            "init_attn_heads": 2,
            "norm_groups": 4,
        },
        # One thread: tiny ops gain nothing from two, and a second thread stalls on a busy machine.
        "vae_training": {
            "steps": 4,
            "batch_size": 4,
            "frames_per_clip": 2,
            "checkpoint_every": 2,
            "latent_stats_clips": 4,
            "num_threads": 1,
        },
        "teacher_training": {
            "steps": 6,
            "batch_size": 2,
            "checkpoint_every": 2,
            "warmup_steps": 2,
            "num_threads": 1,
        },
        "logging": {"log_every": 1, "progress": False},
        "sampling": {"steps": 4},
    },
    # VideoCrafter2's full configuration (inference_t2v_512_v2.0.yaml) + T2V-Turbo-v2's projections.
    "vc2": {
        "geometry": {"frames": 16, "fps": 8, "height": 320, "width": 512},
        "text": {"embed_dim": 1024, "max_length": 77},
        "vae": {
            "ch": 128,
            "ch_mult": [1, 2, 4, 4],
            "num_res_blocks": 2,
            "mid_attention": True,
            "norm_groups": 32,
        },
        "unet": {
            "model_channels": 320,
            "channel_mult": [1, 2, 4, 4],
            "num_res_blocks": 2,
            "attention_resolutions": [4, 2, 1],
            "num_head_channels": 64,
            "context_dim": 1024,
            "init_attn_heads": 8,
            "dropout": 0.1,
            "norm_groups": 32,
        },
    },
}


def resolve_config(
    preset: str = "demo", file: str | Path | None = None, overrides: list[str] | None = None
) -> Config:
    """Preset, then a JSON file, then `key.sub=value` overrides; strict at every layer."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; choose one of {sorted(PRESETS)}")
    data = Config().to_dict()
    _merge(data, PRESETS[preset], "")
    if file is not None:
        try:
            loaded = json.loads(Path(file).read_text())
        except json.JSONDecodeError as e:
            raise ConfigError(f"config file {file} is not valid JSON: {e}") from e
        _merge(data, loaded, "")
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r} must look like section.key=value")
        _merge(data, _nest(key.strip().split("."), _parse_value(raw)), "")
    return config_from_dict(data)


def config_from_dict(data: dict[str, Any]) -> Config:
    """A full or partial config dict -> validated Config; unknown or ill-typed keys fail."""
    return _build(Config, data, "").validate()


def load_config(path: str | Path) -> Config:
    """Read a saved config.json (e.g. from a checkpoint) strictly."""
    return config_from_dict(json.loads(Path(path).read_text()))


# ---------------------------------------------------------------------------------------------
# Strict typed construction.


def _build(cls: type, data: Any, prefix: str):
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix.rstrip('.') or 'config'} must be an object, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in data:
        if key not in names:
            raise ConfigError(
                f"unknown config key '{prefix}{key}'; known keys here: {', '.join(sorted(names))}"
            )
    kwargs = {}
    for name in names & data.keys():
        kwargs[name] = _coerce(hints[name], data[name], prefix + name)
    return cls(**kwargs)


def _coerce(tp, value, key: str):
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, key + ".")
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise ConfigError(f"{key} must be one of {list(typing.get_args(tp))}, got {value!r}")
        return value
    if origin is list:
        (item,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise ConfigError(f"{key} must be a list, got {value!r}")
        return [_coerce(item, v, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        _, item = typing.get_args(tp)
        if not isinstance(value, dict):
            raise ConfigError(f"{key} must be an object, got {value!r}")
        return {str(k): _coerce(item, v, f"{key}.{k}") for k, v in value.items()}
    if origin in (typing.Union, types.UnionType):
        raise ConfigError(f"{key}: union types are not supported in configs")
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key} must be a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key} must be a string, got {value!r}")
        return value
    raise ConfigError(f"{key}: unsupported config type {tp}")


def _merge(base: dict, update: dict, prefix: str) -> None:
    """Deep-merge update into base; keys must already exist (typos fail here, with their path)."""
    if not isinstance(update, dict):
        raise ConfigError(f"{prefix.rstrip('.') or 'config'} must be an object, got {update!r}")
    for key, value in update.items():
        if key not in base:
            raise ConfigError(
                f"unknown config key '{prefix}{key}'; known keys here: {', '.join(sorted(base))}"
            )
        if isinstance(base[key], dict) and dataclass_section(prefix + key):
            _merge(base[key], value, f"{prefix}{key}.")
        else:
            base[key] = value


def check_training(prefix: str, training: TrainingConfig) -> None:
    """The schedule keys every training stage shares: `keep_every` is 0 or a positive step interval, and
    a cool-down fits in the stage."""
    if training.keep_every < 0:
        raise ConfigError(f"{prefix}.keep_every must be 0 (rotate everything) or a step interval, "
                          f"got {training.keep_every}")
    if not 0 <= training.cooldown_steps <= training.steps:
        raise ConfigError(f"{prefix}.cooldown_steps must lie in [0, steps = {training.steps}], "
                          f"got {training.cooldown_steps}")


def dataclass_section(dotted: str) -> bool:
    """True when the dotted key names a nested dataclass (merged key by key) rather than a dict value."""
    tp: Any = Config
    for part in dotted.split("."):
        if not dataclasses.is_dataclass(tp):
            return False
        hints = typing.get_type_hints(tp)
        if part not in hints:
            return False
        tp = hints[part]
    return dataclasses.is_dataclass(tp)


def _nest(parts: list[str], value: Any) -> dict:
    out: Any = value
    for part in reversed(parts):
        out = {part: out}
    return out


def _parse_value(raw: str) -> Any:
    """JSON when it parses (numbers, booleans, lists), else the raw string."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and dataclass_section(prefix + k):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[prefix + k] = v
    return out


def _lookup(d: dict, dotted: str) -> Any:
    for part in dotted.split("."):
        d = d[part]
    return d
