"""Training, held-out evaluation and loading of the three reward models (nets/rewards.py).

  image_text  CLIP-style contrastive loss (both directions) between M random frames of a clip and
              its caption; clips showing the same objects count as positives of each other, since
              a single frame cannot show motion.
  quality     Bradley-Terry: -log sigmoid(s(better) - s(worse)) on counterfactual frame pairs
              (reward_data.quality_pairs), plus a small L2 that centres the scores.
  video_text  contrastive loss between 4 strided frames and captions, where most clips come with a
              twin that differs only in one object's motion (hard negatives), plus an explicit
              anchor-vs-twin loss in both directions (video -> caption, caption -> video).

Each model trains with the shared loop (train/loop.py; checkpoints, resume, NaN guard) on clips
rendered on the fly from the train split, and is then measured on the test split, whose scenes
no training clip shows: retrieval top-1, pairwise preference accuracy, motion accuracy. The
numbers are stored with the weights (final/meta.json, extras["heldout"]).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..config import Config
from ..data.dataset import PromoClips
from ..data.vocabulary import MOTION_SHORT
from ..nets.rewards import PIXEL_MEAN, PIXEL_STD, build_reward, strided_indices
from . import checkpoint as ckpt
from .loop import Stage, batch_rng, train_stage
from .post_config import PostConfig
from .reward_data import (
    allowed_motions,
    caption_of,
    image_labels,
    motion_counterfactual,
    quality_pairs,
    static_key,
    to_unit,
    video_labels,
    with_motion,
)
from .vae import dataset

KINDS = ("image_text", "quality", "video_text")


def _dataset(cfg: Config, split: str, degrade_prob: float, length: int = 100_000) -> PromoClips:
    return dataset(cfg, split, length, degrade_prob, caption_mix={"short": 1.0, "dense": 0.0})


def _signed(x: np.ndarray, channel_axis: int = -3) -> torch.Tensor:
    """[0, 1] pixels -> normalised model input ((x - mean) / std per channel)."""
    shape = [1] * x.ndim
    shape[channel_axis] = 3
    mean = np.asarray(PIXEL_MEAN, np.float32).reshape(shape)
    std = np.asarray(PIXEL_STD, np.float32).reshape(shape)
    return torch.from_numpy(((x - mean) / std).astype(np.float32))


class TextContexts:
    """The frozen encoder's (context, mask) for captions, computed on the batch's longest caption only.

    Exact: padded keys get no attention weight and padded outputs are zeroed, so running on the
    first L' <= L positions and zero-padding the rest gives the encoder's own numbers, at a
    fraction of the cost for short captions. Short captions repeat, so they are kept (LRU).
    """

    def __init__(self, encoder, keep: int = 4096):
        from collections import OrderedDict

        self.encoder, self.keep = encoder, keep
        self.memory: OrderedDict[str, torch.Tensor] = OrderedDict()

    @torch.no_grad()
    def __call__(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.memory]
        if missing:
            tok = self.encoder.tokenizer(missing)
            length = int(tok.attention_mask.sum(dim=1).max())
            out = self.encoder(tok.input_ids[:, :length], tok.attention_mask[:, :length])  # (n, L', D)
            for i, text in enumerate(missing):
                self.memory[text] = out[i, : int(tok.attention_mask[i].sum())].clone()
        full = self.encoder.max_length
        context = torch.zeros(len(texts), full, self.encoder.embed_dim)
        mask = torch.zeros(len(texts), full)
        for i, text in enumerate(texts):
            row = self.memory[text]
            self.memory.move_to_end(text)
            context[i, : row.shape[0]] = row
            mask[i, : row.shape[0]] = 1.0
        while len(self.memory) > self.keep:
            self.memory.popitem(last=False)
        return context, mask


def _unwrap(model):
    # Reward models train in one process; the contrastive losses need the embedding methods.
    return getattr(model, "module", model)


def _multi_positive_ce(logits: torch.Tensor, positives: torch.Tensor) -> torch.Tensor:
    """Cross-entropy against the uniform distribution over each row's positives."""
    target = positives.float() / positives.float().sum(dim=1, keepdim=True)
    return -(target * logits.log_softmax(dim=1)).sum(dim=1).mean()


def _top1(logits: torch.Tensor, positives: torch.Tensor) -> torch.Tensor:
    return positives.gather(1, logits.argmax(dim=1, keepdim=True)).float().mean()


# ---------------------------------------------------------------------------------------------
# Image-text


def image_text_batch(ds: PromoClips, encoder, post: PostConfig, seed: int, step: int, rank: int, world: int) -> dict:
    c = post.rewards.image_text
    b, m = c.training.batch_size, c.frames_per_clip
    rng = batch_rng(seed, step)
    idx = rng.integers(0, len(ds), size=(world, b))[rank]
    dense = (rng.random(size=(world, b)) < c.dense_share)[rank]
    frames, captions, keys, labels = [], [], [], []
    for i, use_dense in zip(idx, dense, strict=True):
        item = ds[int(i)]
        t = item["video"].shape[1]
        chosen = rng.choice(t, size=m, replace=False)
        frames.append(item["video"][:, chosen].transpose(0, 1))  # (M, 3, H, W) in [-1, 1] = normalised
        captions.append(item["caption_dense"] if use_dense else item["caption_short"])
        keys.append(static_key(item["attrs"]))
        labels.append(image_labels(item["attrs"]))
    context, mask = encoder(captions)
    return {"pixels": torch.cat(frames), "context": context, "mask": mask, "keys": keys, "frames_per_clip": m,
            "labels": torch.from_numpy(np.stack(labels))}


def _aux_loss(net, visual: torch.Tensor, text: torch.Tensor, labels: torch.Tensor, per_visual: int
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """BCE of both sides' attribute heads; (loss, exact-match accuracy of the visual side)."""
    v_logits = net.aux.visual(visual)
    t_logits = net.aux.text(text)
    v_target = labels.repeat_interleave(per_visual, dim=0)
    loss = F.binary_cross_entropy_with_logits(v_logits, v_target) + F.binary_cross_entropy_with_logits(t_logits, labels)
    exact = ((v_logits.detach() > 0).float() == v_target).all(dim=1).float().mean()
    return loss * labels.shape[1] / 10, exact  # per-label BCE summed over ~10 effective labels


def image_text_losses(model, batch: dict, generator, aux_weight: float) -> dict[str, torch.Tensor]:
    net = _unwrap(model)
    img_raw = net.embed_pixels(batch["pixels"])  # (B*M, D)
    txt_raw = net.embed_text(batch["context"], batch["mask"])  # (B, D)
    img, txt = F.normalize(img_raw, dim=-1), F.normalize(txt_raw, dim=-1)
    keys = batch["keys"]
    same = torch.tensor([[a == b for b in keys] for a in keys])  # (B, B) clips showing the same objects
    positives = same.repeat_interleave(batch["frames_per_clip"], dim=0)  # (B*M, B)
    logits = net.logit_scale.exp().clamp(max=100.0) * img @ txt.t()
    loss = 0.5 * (_multi_positive_ce(logits, positives) + _multi_positive_ce(logits.t(), positives.t()))
    aux, exact = _aux_loss(net, img_raw, txt_raw, batch["labels"], batch["frames_per_clip"])
    return {"loss": loss + aux_weight * aux, "aux": aux.detach(), "aux_exact": exact,
            "top1": _top1(logits.detach(), positives), "scale": net.logit_scale.exp().detach()}


# ---------------------------------------------------------------------------------------------
# Quality


def quality_batch(ds: PromoClips, post: PostConfig, seed: int, step: int, rank: int, world: int) -> dict:
    c = post.rewards.quality
    rng = batch_rng(seed, step)
    idx = rng.integers(0, len(ds), size=(world, c.training.batch_size))[rank]
    better, worse, kinds = quality_pairs(ds, idx, rng, c.severity_share)
    return {"better": _signed(better), "worse": _signed(worse), "kinds": kinds}


def quality_losses(model, batch: dict, generator, score_l2: float) -> dict[str, torch.Tensor]:
    n = batch["better"].shape[0]
    scores = model(torch.cat([batch["better"], batch["worse"]]))  # (2N,)
    margin = scores[:n] - scores[n:]
    loss = F.softplus(-margin).mean() + score_l2 * scores.pow(2).mean()  # -log sigmoid(margin)
    return {"loss": loss, "accuracy": (margin.detach() > 0).float().mean(), "score_std": scores.detach().std()}


# ---------------------------------------------------------------------------------------------
# Video-text


def _strided_clip(frames_uint8: np.ndarray, count: int) -> torch.Tensor:
    """uint8 (T, H, W, 3) -> normalised (3, F, H, W) of F strided frames."""
    chosen = frames_uint8[strided_indices(frames_uint8.shape[0], count)]
    return _signed(np.moveaxis(to_unit(chosen), 0, 1), channel_axis=0)  # (3, F, H, W)


def video_text_batch(ds: PromoClips, encoder, post: PostConfig, frames: int, seed: int, step: int, rank: int,
                     world: int) -> dict:
    from ..data.render import render_clip

    c = post.rewards.video_text
    rng = batch_rng(seed, step)
    idx = rng.integers(0, len(ds), size=(world, c.training.batch_size))[rank]
    clips, captions, keys, pairs, labels = [], [], [], [], []
    for i in idx:
        attrs, _, short, dense = ds.item_attrs(int(i))
        style = "dense" if rng.random() < c.dense_share else "short"
        clips.append(_strided_clip(render_clip(attrs, ds.geometry), frames))
        captions.append(dense if style == "dense" else short)
        keys.append(short)
        labels.append(video_labels(attrs))
        twin = motion_counterfactual(attrs, ds.geometry, rng, c.opposite_share) if rng.random() < c.counterfactual_share else None
        if twin is not None:
            pairs.append((len(clips) - 1, len(clips)))
            clips.append(_strided_clip(render_clip(twin, ds.geometry), frames))
            captions.append(caption_of(twin, style, rng))
            keys.append(caption_of(twin, "short", rng))
            labels.append(video_labels(twin))
    context, mask = encoder(captions)
    return {"pixels": torch.stack(clips), "context": context, "mask": mask, "keys": keys,
            "pairs": torch.tensor(pairs, dtype=torch.int64).reshape(-1, 2), "labels": torch.from_numpy(np.stack(labels))}


def video_text_losses(model, batch: dict, generator, pair_weight: float, aux_weight: float) -> dict[str, torch.Tensor]:
    net = _unwrap(model)
    vid_raw = net.embed_video(batch["pixels"])  # (n, D)
    txt_raw = net.embed_text(batch["context"], batch["mask"])  # (n, D)
    vid, txt = F.normalize(vid_raw, dim=-1), F.normalize(txt_raw, dim=-1)
    keys = batch["keys"]
    positives = torch.tensor([[a == b for b in keys] for a in keys])
    logits = net.logit_scale.exp().clamp(max=100.0) * vid @ txt.t()  # (n, n): row = video, column = caption
    loss = 0.5 * (_multi_positive_ce(logits, positives) + _multi_positive_ce(logits.t(), positives.t()))
    aux, exact = _aux_loss(net, vid_raw, txt_raw, batch["labels"], 1)
    loss = loss + aux_weight * aux
    terms = {"top1": _top1(logits.detach(), positives), "scale": net.logit_scale.exp().detach(),
             "aux": aux.detach(), "aux_exact": exact}
    a, b = batch["pairs"][:, 0], batch["pairs"][:, 1]
    if len(a):
        # Each clip of a pair against its twin, both ways: caption given the clip, clip given the caption.
        own_a, own_b = logits[a, a], logits[b, b]
        pair_logits = torch.stack([
            torch.stack([own_a, logits[a, b]], 1), torch.stack([own_b, logits[b, a]], 1),  # which caption?
            torch.stack([own_a, logits[b, a]], 1), torch.stack([own_b, logits[a, b]], 1),  # which clip?
        ])  # (4, P, 2), the right answer first
        pair_loss = -pair_logits.log_softmax(dim=-1)[..., 0].mean()
        loss = loss + pair_weight * pair_loss
        terms["pair_accuracy"] = (pair_logits.detach()[..., 0] > pair_logits.detach()[..., 1]).float().mean()
    terms["loss"] = loss
    return terms


# ---------------------------------------------------------------------------------------------
# Held-out evaluation (test split)


@torch.no_grad()
def evaluate_image_text(model, encoder, cfg: Config, post: PostConfig) -> dict[str, float]:
    """Frame -> caption retrieval top-1 among `eval_gallery` test clips' short captions."""
    n, g = post.rewards.eval_clips, post.rewards.eval_gallery
    ds = _dataset(cfg, "test", 0.0, length=n)
    rng = np.random.default_rng([cfg.data.seed, 0xE7A1])
    static_hits = exact_hits = total = 0
    for start in range(0, n - g + 1, g):
        items = [ds[i] for i in range(start, start + g)]
        frames = torch.stack([it["video"][:, int(rng.integers(it["video"].shape[1]))] for it in items])
        captions = [it["caption_short"] for it in items]
        context, mask = encoder(captions)
        img = F.normalize(model.embed_pixels(frames), dim=-1)
        txt = F.normalize(model.embed_text(context, mask), dim=-1)
        best = (img @ txt.t()).argmax(dim=1).tolist()
        keys = [static_key(it["attrs"]) for it in items]
        static_hits += sum(keys[j] == keys[i] for i, j in enumerate(best))
        exact_hits += sum(captions[j] == captions[i] for i, j in enumerate(best))
        total += g
    return {"retrieval_top1_objects": static_hits / total, "retrieval_top1_exact_caption": exact_hits / total,
            "gallery": g, "queries": total}


@torch.no_grad()
def evaluate_quality(model, cfg: Config, post: PostConfig) -> dict[str, Any]:
    """Pairwise preference accuracy on test-split pairs, overall and per defect."""
    n = post.rewards.eval_clips
    ds = _dataset(cfg, "test", 0.0, length=n)
    rng = np.random.default_rng([cfg.data.seed, 0xE7A2])
    better, worse, kinds = quality_pairs(ds, np.arange(n), rng, post.rewards.quality.severity_share)
    margin = (model(_signed(better)) - model(_signed(worse))).numpy()
    by_kind: dict[str, list[bool]] = {}
    for k, m in zip(kinds, margin, strict=True):
        by_kind.setdefault(k, []).append(bool(m > 0))
    return {"pairwise_accuracy": float((margin > 0).mean()), "pairs": n,
            "by_kind": {k: float(np.mean(v)) for k, v in sorted(by_kind.items())}}


@torch.no_grad()
def evaluate_video_text(model, encoder, cfg: Config, post: PostConfig) -> dict[str, Any]:
    """Retrieval top-1 (exact short caption) and motion accuracy on test clips.

    motion_accuracy: for the first object of each clip, the true caption must beat the captions of
    every other motion it could have (the rest of the caption unchanged), all scored on the same clip.
    opposite_accuracy: the clip must beat its own opposite-motion twin (mirrored path) for its caption.
    """
    from ..data.render import render_clip

    n, g, f = post.rewards.eval_clips, post.rewards.eval_gallery, model.cfg.frames
    ds = _dataset(cfg, "test", 0.0, length=n)
    rng = np.random.default_rng([cfg.data.seed, 0xE7A3])
    clips, captions, attrs_list = [], [], []
    for i in range(n):
        attrs, _, short, _ = ds.item_attrs(i)
        clips.append(_strided_clip(render_clip(attrs, ds.geometry), f))
        captions.append(short)
        attrs_list.append(attrs)
    video = torch.stack(clips)
    emb = F.normalize(torch.cat([model.embed_video(video[s:s + 64]) for s in range(0, n, 64)]), dim=-1)

    hits = total = 0
    for start in range(0, n - g + 1, g):
        context, mask = encoder(captions[start:start + g])
        txt = F.normalize(model.embed_text(context, mask), dim=-1)
        best = (emb[start:start + g] @ txt.t()).argmax(dim=1).tolist()
        hits += sum(captions[start + j] == captions[start + i] for i, j in enumerate(best))
        total += g

    motion_hits, opposite_hits, opposite_total, confusions = 0, 0, 0, {}
    for i, attrs in enumerate(attrs_list):
        obj = attrs["objects"][0]
        alternatives = [m for m in allowed_motions(obj, attrs.get("pan")) if m != obj["motion"]]
        variants = []
        for m in alternatives:
            speed = None if m == "still" else obj["speed"] or "slow"  # the short caption ignores speed
            edited = {**attrs, "objects": [{**obj, "motion": m, "speed": speed}] + attrs["objects"][1:]}
            variants.append(caption_of(edited, "short", rng))
        context, mask = encoder([captions[i], *variants])
        scores = (emb[i:i + 1] @ F.normalize(model.embed_text(context, mask), dim=-1).t())[0]
        win = int(scores.argmax())
        motion_hits += win == 0
        if win:
            key = f"{obj['motion']}->{alternatives[win - 1]}"
            confusions[key] = confusions.get(key, 0) + 1
        opposite = {"left": "right", "right": "left", "up": "down", "down": "up",
                    "zoom_in": "zoom_out", "zoom_out": "zoom_in"}.get(obj["motion"])
        twin = with_motion(attrs, 0, opposite, ds.geometry, rng) if opposite else None
        if twin is not None:
            twin_clip = _strided_clip(render_clip(twin, ds.geometry), f)[None]
            context, mask = encoder([captions[i]])
            txt = F.normalize(model.embed_text(context, mask), dim=-1)
            own = float(emb[i] @ txt[0])
            other = float(F.normalize(model.embed_video(twin_clip), dim=-1)[0] @ txt[0])
            opposite_hits += own > other
            opposite_total += 1
    top = dict(sorted(confusions.items(), key=lambda kv: -kv[1])[:6])
    return {"retrieval_top1": hits / total, "gallery": g, "motion_accuracy": motion_hits / n,
            "opposite_accuracy": opposite_hits / max(1, opposite_total), "opposite_pairs": opposite_total,
            "clips": n, "frames": f, "motion_choices": len(MOTION_SHORT), "top_confusions": top}


def evaluate_reward(kind: str, model, encoder, cfg: Config, post: PostConfig) -> dict[str, Any]:
    model.eval()
    if kind == "image_text":
        return evaluate_image_text(model, encoder, cfg, post)
    if kind == "quality":
        return evaluate_quality(model, cfg, post)
    return evaluate_video_text(model, encoder, cfg, post)


def headline(kind: str, metrics: dict) -> float:
    """The one accuracy each model must reach before it is used as a reward: object retrieval (a frame
    cannot show motion), pairwise preference, and motion direction (the clip against its own
    opposite-motion twin, both scored with the true caption: left vs right, up vs down, in vs out)."""
    return {"image_text": metrics.get("retrieval_top1_objects"), "quality": metrics.get("pairwise_accuracy"),
            "video_text": metrics.get("opposite_accuracy")}[kind]


# ---------------------------------------------------------------------------------------------
# Stages, training, loading


def input_spec(kind: str, cfg: Config, post: PostConfig) -> dict[str, Any]:
    """The manifest's rewards[].input for this model (how the studio pre-processes a clip)."""
    g = cfg.geometry
    frames = getattr(post.rewards, kind).net.frames if kind == "video_text" else post.evaluation.image_frames
    return {"kind": "clip" if kind == "video_text" else "frames", "frames": frames, "height": g.height,
            "width": g.width, "mean": list(PIXEL_MEAN), "std": list(PIXEL_STD)}


def reward_stage(kind: str, cfg: Config, post: PostConfig, encoder) -> Stage:
    if kind not in KINDS:
        raise ValueError(f"unknown reward model {kind!r}; kinds are {KINDS}")
    section = getattr(post.rewards, kind)
    encoder = encoder if isinstance(encoder, TextContexts) else TextContexts(encoder)
    seed = section.training.seed
    torch.manual_seed(seed)
    model = build_reward(kind, section.net, cfg.geometry.height)
    extras = {"reward": kind, "net": section.net.to_dict(), "image_size": cfg.geometry.height,
              "input": input_spec(kind, cfg, post), "post": post.to_dict()}
    if kind == "image_text":
        ds = _dataset(cfg, "train", section.augment_degrade)
        return Stage(f"reward_{kind}", model, lambda s, r, w: image_text_batch(ds, encoder, post, seed, s, r, w),
                     lambda m, b, g: image_text_losses(m, b, g, section.aux_weight), extras=extras)
    if kind == "quality":
        ds = _dataset(cfg, "train", 0.0)
        return Stage(f"reward_{kind}", model, lambda s, r, w: quality_batch(ds, post, seed, s, r, w),
                     lambda m, b, g: quality_losses(m, b, g, section.score_l2), extras=extras)
    ds = _dataset(cfg, "train", section.augment_degrade)
    frames = section.net.frames
    return Stage(f"reward_{kind}", model,
                 lambda s, r, w: video_text_batch(ds, encoder, post, frames, seed, s, r, w),
                 lambda m, b, g: video_text_losses(m, b, g, section.pair_weight, section.aux_weight), extras=extras)


def train_reward(kind: str, cfg: Config, post: PostConfig, run_dir: str | Path, resume: str | None = None,
                 encoder=None) -> Path:
    """Train one reward model, measure it on held-out clips, store the numbers with it; returns final/."""
    from .teacher import load_text_encoder

    encoder = TextContexts(encoder if encoder is not None else load_text_encoder(cfg))
    run_dir = Path(run_dir)
    t0 = time.time()
    stage = reward_stage(kind, cfg, post, encoder)
    section = getattr(post.rewards, kind)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "post_config.json").write_text(post.to_json())
    final = train_stage(stage, cfg, section.training, run_dir, resume)
    train_s = max(time.time() - t0, ckpt.train_seconds(final))  # the latter spans resumed segments
    model, extras = load_reward(final, check_accuracy=False)
    t0 = time.time()
    metrics = evaluate_reward(kind, model, encoder, cfg, post)
    extras = {**extras, "heldout": metrics, "train_seconds": train_s, "eval_seconds": time.time() - t0}
    state, meta = ckpt.load_final(final)
    ckpt.save_weights(final / "model.safetensors", state, meta["kind"], meta["step"], cfg, extras)
    meta_json = json.loads((final / "meta.json").read_text())
    meta_json["extras"] = extras
    (final / "meta.json").write_text(json.dumps(meta_json, indent=2))
    print(f"[reward_{kind}] held-out: {json.dumps(metrics)}", flush=True)
    return final


class RewardTooWeak(RuntimeError):
    """A reward model below rewards.min_accuracy on its own held-out task."""


def load_reward(path: str | Path, check_accuracy: bool = True, min_accuracy: float | None = None):
    """(model in eval mode, frozen; extras) from a reward model's final/ folder.

    extras: reward (kind), net (RewardNetConfig fields), image_size, input (the manifest's
    pre-processing), heldout (accuracies), post (the PostConfig it was trained with).
    """
    from ..nets.rewards import RewardNetConfig

    state, meta = ckpt.load_final(path)
    extras = meta["extras"]
    if not meta["kind"].startswith("reward_") or "net" not in extras:
        raise ValueError(f"{path} holds a '{meta['kind']}' checkpoint, not a reward model")
    model = build_reward(extras["reward"], RewardNetConfig(**extras["net"]), extras["image_size"])
    model.load_state_dict(state)
    if check_accuracy and "heldout" in extras:
        floor = extras["post"]["rewards"]["min_accuracy"] if min_accuracy is None else min_accuracy
        acc = headline(extras["reward"], extras["heldout"])
        if acc is not None and acc < floor:
            raise RewardTooWeak(f"{path}: held-out accuracy {acc:.3f} < {floor}; train it longer before using it")
    return model.eval().requires_grad_(False), extras


# What the studio shows next to each score (manifest rewards[].label / description).
STUDIO_TEXT = {
    "image_text": ("Text-frame alignment", "How well the frames show what the prompt names (colours, shapes, words)."),
    "quality": ("Visual quality", "Preference for clean, well-formed frames over noisy, blurry or broken ones."),
    "video_text": ("Text-video alignment", "How well the clip, motion included, matches the prompt."),
}


def reward_export_fields(path: str | Path) -> dict[str, Any]:
    """Everything export.build.RewardExport takes, for the reward model at `path` (a final/ folder):
    id (= kind, so the graph role is reward_<kind>), module (frozen, eval; forward(pixels[, context,
    mask]) -> score), label, description, kind, frames, height, width, mean, std, uses_text."""
    model, extras = load_reward(path)
    kind, spec = extras["reward"], extras["input"]
    label, description = STUDIO_TEXT[kind]
    return {"id": kind, "module": model, "label": label, "description": description, "kind": spec["kind"],
            "frames": spec["frames"], "height": spec["height"], "width": spec["width"], "mean": tuple(spec["mean"]),
            "std": tuple(spec["std"]), "uses_text": kind != "quality", "higher_is_better": True}
