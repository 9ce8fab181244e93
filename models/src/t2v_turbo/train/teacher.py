"""Stage 2: the teacher, a VideoCrafter2-family 3D UNet trained as a latent text-to-video diffusion model.

Objective (DDPM epsilon prediction, VideoCrafter2's schedule): x0 = latent_scale * VAE mean of a clip,
t ~ U{0..999} (optionally visiting t >= high_noise_from more often), z_t = sqrt(abar_t) x0 +
sqrt(1 - abar_t) eps, loss = ||eps - eps_theta(z_t, t, c, fps)||^2 (Min-SNR weighted). With
unet.prediction = "v" the UNet's last conv predicts v and its forward() still returns epsilon, so the
loss and every sampler stay as they are (nets/unet3d.py).
The caption c is the clip's short or dense caption (drawn per step with data.caption_mix) and is
replaced by the empty prompt with probability text_dropout, which makes classifier-free guidance
possible at sampling. VC2's per-timestep x0 rescaling (scale_arr) is not used: the browser sampler
(docs/MODEL_FORMAT.md) assumes the plain forward process.

Rendering, VAE encoding and text encoding cost more than a UNet step on a CPU, so a fixed set of
`data.teacher_clips` training clips is encoded once into a cache (latents + both captions'
contexts) that every step samples from. The text encoder and the VAE are frozen throughout.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from ..config import Config
from ..diffusion.multiscale_noise import multiscale_noise
from ..diffusion.schedule import NoiseSchedule, add_noise
from ..nets.unet3d import UNet3D
from . import checkpoint as ckpt
from .loop import Stage, batch_rng, process_state, train_stage
from .vae import dataset, load_vae

# T2V-Turbo-v2's student-only inputs: frozen at zero in the teacher, so it ignores w and motion.
STUDENT_ONLY = ["time_cond_proj", "motion_cond_proj", "combine_proj"]


def build_unet(cfg: Config) -> UNet3D:
    return UNet3D(cfg.unet, noise_schedule(cfg).alphas_cumprod())


def noise_schedule(cfg: Config) -> NoiseSchedule:
    return NoiseSchedule.from_dict(cfg.schedule)


def load_text_encoder(cfg: Config):
    from ..nets.text_encoder import TextEncoder

    enc = TextEncoder.from_pretrained(max_length=cfg.text.max_length)
    if enc.embed_dim != cfg.text.embed_dim:
        raise ValueError(f"text encoder width {enc.embed_dim} != text.embed_dim {cfg.text.embed_dim}")
    return enc


@dataclass
class TeacherCache:
    """Encoded training clips: latents (N, C, T, h, w) already scaled; contexts (U, L, D), row 0 = ""."""

    latents: torch.Tensor
    contexts: torch.Tensor
    caption_rows: torch.Tensor  # (N, 2) rows of contexts: (short, dense)
    captions: list[str]
    attrs: list[dict] = field(default_factory=list)  # each clip's true attributes (data/scene.py)

    def __len__(self) -> int:
        return self.latents.shape[0]


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@torch.no_grad()
def build_cache(
    cfg: Config, vae_path: str | Path, encoder, cache_dir: str | Path, batch_clips: int = 8
) -> TeacherCache:
    """Encode data.teacher_clips train clips (or reuse a cache made with the same VAE and config).

    encoder: a TextEncoder-like object (encode(texts) -> (context, mask)); None loads MiniLM when needed.
    """
    from tqdm.auto import tqdm

    cache_dir = Path(cache_dir)
    vae_file = Path(vae_path) / "model.safetensors" if Path(vae_path).is_dir() else Path(vae_path)
    key = {
        "vae_sha256": _file_sha256(vae_file),
        "data": cfg.data_key(),
        "geometry": cfg.to_dict()["geometry"],
        "text": cfg.to_dict()["text"],
        "degrade_prob": cfg.teacher_training.degrade_prob,
    }
    meta_path, tensors_path = cache_dir / "cache.json", cache_dir / "cache.safetensors"
    if meta_path.is_file() and tensors_path.is_file():
        meta = json.loads(meta_path.read_text())
        if meta["key"] == key:
            t = load_file(str(tensors_path))
            print(
                f"[teacher] reusing the latent cache {cache_dir} ({t['latents'].shape[0]} clips)", flush=True
            )
            return TeacherCache(t["latents"], t["contexts"], t["caption_rows"], meta["captions"], meta.get("attrs", []))

    vae, scale, _ = load_vae(vae_path)
    encoder = encoder if encoder is not None else load_text_encoder(cfg)
    n = cfg.data.teacher_clips
    ds = dataset(cfg, "train", degrade_prob=cfg.teacher_training.degrade_prob)
    latents, pairs, attrs = [], [], []
    for start in tqdm(range(0, n, batch_clips), desc="encode clips", mininterval=5.0):
        items = [ds[i] for i in range(start, min(n, start + batch_clips))]
        video = torch.stack([it["video"] for it in items])  # (b, 3, T, H, W)
        latents.append(vae.encode(video) * scale)  # (b, C, T, h, w)
        pairs += [(it["caption_short"], it["caption_dense"]) for it in items]
        attrs += [it["attrs"] for it in items]
    captions = ["", *dict.fromkeys(c for pair in pairs for c in pair)]  # row 0: the empty prompt
    row = {c: i for i, c in enumerate(captions)}
    contexts = []
    for start in tqdm(range(0, len(captions), 64), desc="encode captions", mininterval=5.0):
        contexts.append(encoder.encode(captions[start : start + 64])[0].float())  # (b, L, D)
    cache = TeacherCache(
        latents=torch.cat(latents).contiguous(),
        contexts=torch.cat(contexts).contiguous(),
        caption_rows=torch.tensor([[row[s], row[d]] for s, d in pairs], dtype=torch.int64),
        captions=captions,
        attrs=attrs,
    )
    cache_dir.mkdir(parents=True, exist_ok=True)
    save_file(
        {"latents": cache.latents, "contexts": cache.contexts, "caption_rows": cache.caption_rows},
        str(tensors_path),
    )
    meta_path.write_text(json.dumps({"key": key, "captions": captions, "attrs": attrs}))
    print(f"[teacher] cached {n} clips and {len(captions)} captions -> {cache_dir}", flush=True)
    return cache


def motion_pool(cache: TeacherCache, motions: list[str]) -> np.ndarray:
    """Indices of the cached clips whose objects all move in one of `motions` under a still camera."""
    if not cache.attrs:
        raise ValueError("teacher_training.top_band_motions needs the clips' attributes; this cache has none")
    pool = [i for i, a in enumerate(cache.attrs)
            if a["pan"] is None and all(o["motion"] in motions for o in a["objects"])]
    if not pool:
        raise ValueError(f"no cached clip moves only {motions}: teacher_training.top_band_motions selects nothing")
    return np.asarray(pool, dtype=np.int64)


def teacher_batch(
    cache: TeacherCache, cfg: Config, step: int, rank: int, world: int, top_pool: np.ndarray | None = None,
    still_cache: TeacherCache | None = None,
) -> dict[str, torch.Tensor]:
    """This rank's latents (b, C, T, h, w) and contexts (b, L, D) for `step`, captions drawn per item.

    top_pool (motion_pool of teacher_training.top_band_motions): a high_noise_share of the items is
    marked `top` (its t is then drawn from the top band) and, unless its caption is dropped, draws its
    clip from this pool. Empty-caption items keep the whole data, so the unconditional model does too.
    still_cache: the still-shape clips; teacher_training.still_shapes_share of the image frames come from it.
    """
    t = cfg.teacher_training
    rng = batch_rng(t.seed, step)
    b = t.batch_size
    idx = rng.integers(0, len(cache), size=(world, b))[rank]
    mix = cfg.data.caption_mix
    short_share = mix.get("short", 0.0) / max(1e-9, sum(mix.values()))
    use_dense = (rng.random(size=(world, b)) >= short_share)[rank]
    dropped = (rng.random(size=(world, b)) < t.text_dropout)[rank]
    batch = {}
    if top_pool is not None:
        top = (rng.random(size=(world, b)) < t.high_noise_share)[rank]
        idx = np.where(top & ~dropped, top_pool[rng.integers(0, len(top_pool), size=(world, b))[rank]], idx)
        batch["top"] = torch.from_numpy(top)
    batch |= {"latents": cache.latents[torch.from_numpy(idx)], "context": _contexts(cache, idx, use_dense, dropped),
              "index": idx}
    if t.image_batch_size:  # drawn after the clips', so the clips are those a run without images draws
        still = round(t.image_batch_size * t.still_shapes_share)
        images = image_batch(cache, t.image_batch_size - still, short_share, t.text_dropout, rng, rank, world)
        if still:
            if still_cache is None:
                raise ValueError("teacher_training.still_shapes_share > 0 needs the still-shape clips' cache")
            rehearsed = image_batch(still_cache, still, short_share, t.text_dropout, rng, rank, world)
            images = {k: torch.cat([images[k], rehearsed[k]]) for k in images}
        batch |= images
    return batch


def image_batch(
    cache: TeacherCache, n: int, short_share: float, text_dropout: float, rng: np.random.Generator,
    rank: int, world: int,
) -> dict[str, torch.Tensor]:
    """n single frames (n, C, 1, h, w) for joint image-video training, each from its own clip at a random
    position (`frame_index`), with that clip's short or dense caption (or the empty one) as context."""
    idx = rng.integers(0, len(cache), size=(world, n))[rank]
    frame = rng.integers(0, cache.latents.shape[2], size=(world, n))[rank]
    use_dense = (rng.random(size=(world, n)) >= short_share)[rank]
    dropped = (rng.random(size=(world, n)) < text_dropout)[rank]
    frames = cache.latents[torch.from_numpy(idx), :, torch.from_numpy(frame)]  # (n, C, h, w)
    return {"image_latents": frames[:, :, None], "image_context": _contexts(cache, idx, use_dense, dropped),
            "frame_index": torch.from_numpy(frame)}


def _contexts(cache: TeacherCache, idx: np.ndarray, use_dense: np.ndarray, dropped: np.ndarray) -> torch.Tensor:
    """(n, L, D): each clip's dense or short caption context, or the empty prompt's (row 0) where dropped."""
    rows = cache.caption_rows[torch.from_numpy(idx), torch.from_numpy(use_dense.astype(np.int64))]
    return cache.contexts[torch.where(torch.from_numpy(dropped), torch.zeros_like(rows), rows)]


def training_timesteps(
    b: int, num_timesteps: int, generator: torch.Generator, tt, top: torch.Tensor | None = None
) -> torch.Tensor:
    """(b,) long: t ~ U{0..T-1}, except a share `high_noise_share` drawn from U{high_noise_from..T-1}
    (the items marked in `top` when the batch chose them, see teacher_batch).

    Each timestep keeps its minimiser; the top band is just visited more often. Its loss is tiny in x0
    terms (SNR < 0.04 from t = 800) yet that is where pure noise becomes a layout and a trajectory.
    With share 0 the draws are exactly the uniform ones of older runs.
    """
    t = torch.randint(0, num_timesteps, (b,), generator=generator)
    if tt.high_noise_share > 0:
        high = torch.randint(tt.high_noise_from, num_timesteps, (b,), generator=generator)
        pick = torch.rand((b,), generator=generator) < tt.high_noise_share
        t = torch.where(pick if top is None else top, high, t)
    return t


def epsilon_loss_weight(snr: torch.Tensor, tt) -> torch.Tensor:
    """Per-timestep weight of the epsilon loss: Min-SNR-gamma, min(SNR, gamma) / SNR, optionally
    floored at snr_weight_floor / SNR for the high-noise steps whose epsilon loss is otherwise tiny
    (in x0 terms their weight is SNR itself). Each timestep keeps its minimiser (the true epsilon);
    only the balance between timesteps changes. gamma = 0: plain epsilon loss."""
    if tt.min_snr_gamma <= 0:
        return torch.ones_like(snr)
    return snr.clamp(min=tt.snr_weight_floor, max=tt.min_snr_gamma) / snr


def motion_weighted_mse(error: torch.Tensor, motion_weight: float) -> torch.Tensor:
    """(B, C, T, h, w) error -> (B,) MSE with its motion part weighted `motion_weight` times its appearance part.

    The error splits exactly into its frame mean (appearance: what every frame shares) and each
    frame's deviation from it (motion): mse = mean(dev^2) + mean(mean^2). At high noise a clip's x0
    error is mostly appearance, which the caption's colour words fix, and the direction word's share
    is too small to be learnt. The weights are normalised so that a white error (the low-noise case,
    where 1/T of it lies in the frame mean) keeps its loss. Each timestep keeps its minimiser.
    """
    if motion_weight == 1.0:
        return error.pow(2).mean(dim=(1, 2, 3, 4))  # the same sum, computed as older runs did
    frames = error.shape[2]
    mean = error.mean(dim=2, keepdim=True)  # (B, C, 1, h, w)
    appearance = mean.pow(2).mean(dim=(1, 2, 3, 4))  # (B,) per element, as the frames share it
    motion = (error - mean).pow(2).mean(dim=(1, 2, 3, 4))
    return (motion_weight * motion + appearance) / (motion_weight * (frames - 1) / frames + 1 / frames)


def teacher_losses(
    model, batch: dict, generator: torch.Generator, cfg: Config, abar: torch.Tensor
) -> dict[str, torch.Tensor]:
    """The clips' Min-SNR-weighted loss, plus (joint image-video training) the single frames'."""
    tt = cfg.teacher_training
    terms: dict[str, torch.Tensor] = {}
    loss = torch.zeros(())
    x0 = batch["latents"]  # (B, C, T, h, w)
    if x0.shape[0]:
        t = training_timesteps(x0.shape[0], abar.shape[0], generator, tt, batch.get("top"))
        noise = multiscale_noise(tuple(x0.shape), generator, tt.multiscale_noise)
        eps = model(add_noise(x0, noise, t, abar), t.float(), batch["context"], _fps(cfg, x0))
        per_clip = motion_weighted_mse(eps.float() - noise, tt.motion_loss_weight)  # (B,)
        loss = loss + (per_clip * epsilon_loss_weight(abar[t] / (1 - abar[t]), tt)).mean()
        terms["mse"] = per_clip.mean().detach()
    if "image_latents" in batch:
        x0 = batch["image_latents"]  # (N, C, 1, h, w)
        t = training_timesteps(x0.shape[0], abar.shape[0], generator, tt)
        # A single frame's multiscale noise has the spatial levels of a clip's frame (same h, w)
        noise = multiscale_noise(tuple(x0.shape), generator, tt.multiscale_noise)
        eps = model(add_noise(x0, noise, t, abar), t.float(), batch["image_context"], _fps(cfg, x0),
                    frame_index=batch["frame_index"])
        per_frame = (eps.float() - noise).pow(2).mean(dim=(1, 2, 3, 4))  # (N,): one frame has no motion part
        loss = loss + (per_frame * epsilon_loss_weight(abar[t] / (1 - abar[t]), tt)).mean()
        terms["mse_image"] = per_frame.mean().detach()
    return {"loss": loss} | terms


def _fps(cfg: Config, x: torch.Tensor) -> torch.Tensor:
    return torch.full((x.shape[0],), float(cfg.geometry.fps))


def initial_weights(model: UNet3D, init: str | Path) -> None:
    """Load a teacher's weights (a checkpoint's EMA, else its model; or a final/ folder) into `model`.

    The new model may add the frame-position projections (unet.temporal_frame_position), the frame
    embedding (unet.frame_embedding) and the text embedding (unet.text_embedding), which keep their
    initial values: at zero they compute what the old one did. Anything else that differs is refused,
    naming the keys.
    """
    init = Path(init)
    weights = next((p for p in (init / "ema.safetensors", init / "model.safetensors", init) if p.is_file()), None)
    if weights is None:
        raise FileNotFoundError(f"--init {init}: no ema.safetensors or model.safetensors there")
    missing, unexpected = model.load_state_dict(load_file(str(weights)), strict=False)
    not_new = [k for k in missing if ".frame_position." not in k and not k.startswith(("frame_embed.", "text_embed."))]
    if unexpected or not_new:
        raise ValueError(f"--init {init}: its UNet differs beyond the frame-position, frame- and text-embedding "
                         f"additions; missing {not_new[:5]}, unexpected {unexpected[:5]}")
    print(f"[teacher] initialised from {weights} ({len(missing)} new frame-position/embedding tensors)", flush=True)


def weights_step(path: str | Path) -> int | None:
    """The training step recorded beside a checkpoint's or final/ folder's weights (None if unrecorded)."""
    meta = Path(path) / "meta.json"
    return json.loads(meta.read_text()).get("step") if meta.is_file() else None


def teacher_stage(
    cfg: Config,
    run_dir: str | Path,
    vae_path: str | Path,
    encoder=None,
    init: str | Path | None = None,
    cache_dir: str | Path | None = None,
    still_cache_dir: str | Path | None = None,
) -> Stage:
    """The teacher's Stage: cache (built once, by rank 0 first), fresh UNet (seeded), batches, loss.
    With teacher_training.still_shapes_share, also the still-shape clips' cache (default <run_dir>/cache-shapes)."""
    run_dir = Path(run_dir)
    cache_dir = run_dir / "cache" if cache_dir is None else Path(cache_dir)
    _, scale, vae_cfg = load_vae(vae_path)
    for section in ("geometry", "vae"):
        if vae_cfg.to_dict()[section] != cfg.to_dict()[section]:
            raise ValueError(f"the VAE at {vae_path} was trained with a different '{section}' config")
    with process_state().main_process_first():  # rank 0 encodes; the others then read its cache
        cache = build_cache(cfg, vae_path, encoder, cache_dir)
        still_cache = None
        if cfg.teacher_training.still_shapes_share:
            still_dir = run_dir / "cache-shapes" if still_cache_dir is None else Path(still_cache_dir)
            still_cache = build_cache(cfg.teacher_shapes.apply(cfg), vae_path, encoder, still_dir)
    abar = noise_schedule(cfg).alphas_cumprod_torch()
    motions = cfg.teacher_training.top_band_motions
    top_pool = motion_pool(cache, motions) if motions else None
    if top_pool is not None:
        print(f"[teacher] top band: {len(top_pool)} of {len(cache)} clips move only {motions}", flush=True)
    torch.manual_seed(cfg.teacher_training.seed)
    model = build_unet(cfg)
    if init is not None:
        initial_weights(model, init)
    return Stage(
        kind="teacher",
        model=model,
        batch_fn=lambda step, rank, world: teacher_batch(cache, cfg, step, rank, world, top_pool, still_cache),
        loss_fn=lambda m, batch, gen: teacher_losses(m, batch, gen, cfg, abar),
        frozen=STUDENT_ONLY,
        extras={"latent_scale": scale, "vae": str(Path(vae_path).resolve())}
        | ({"initialised_from": str(Path(init).resolve()), "initialised_from_step": weights_step(init)}
           if init is not None else {}),
    )


def train_teacher(
    cfg: Config,
    run_dir: str | Path,
    vae_path: str | Path,
    resume: str | None = None,
    encoder=None,
    interrupt_after: int | None = None,
    init: str | Path | None = None,
    cache_dir: str | Path | None = None,
    still_cache_dir: str | Path | None = None,
) -> Path:
    """Cache latents and captions, train the UNet; returns <run_dir>/final (EMA weights).

    init: start from another teacher's weights (see initial_weights) instead of a seeded init.
    cache_dir: where the latent cache lives (default <run_dir>/cache): a later stage shares the first's.
    still_cache_dir: the still-shape clips' cache, used with teacher_training.still_shapes_share.
    """
    stage = teacher_stage(cfg, run_dir, vae_path, encoder, init, cache_dir, still_cache_dir)
    return train_stage(stage, cfg, cfg.teacher_training, run_dir, resume, interrupt_after=interrupt_after)


def load_teacher(path: str | Path) -> tuple[UNet3D, Config, dict]:
    """(UNet in eval mode, its config, extras incl. latent_scale) from a teacher final/ folder."""
    state, meta = ckpt.load_final(path)
    if meta["kind"] != "teacher":
        raise ValueError(f"{path} holds a '{meta['kind']}' checkpoint, not a teacher")
    unet = build_unet(meta["config"])
    unet.load_state_dict(state)
    return unet.eval().requires_grad_(False), meta["config"], meta["extras"]
