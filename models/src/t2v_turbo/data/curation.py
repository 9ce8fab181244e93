"""Data selection: measure clip quality from pixels, filter, and decide which subset feeds which loss.

The measurements never read a clip's degradation flags; they are what a curation pipeline can
compute on any video (T2V-Turbo-v2 curates by visual quality, motion and caption length):

  noise      robust sensor-noise std (Immerkaer's Laplacian-difference operator, median-based)
  sharpness  share of a strong edge's 4-px rise that happens within one pixel: ~1 crisp, ~0.4 blurred
  contrast   largest per-channel 1st-99th percentile range
  coherence  median correlation of consecutive (smoothed) frame differences: smooth motion keeps
             its direction (> 0), camera shake flips it back and forth (< 0)
  stutter    share of frame pairs that are exact repeats, in a clip that otherwise moves
  irregularity  mean change of the per-frame motion over its mean: constant-speed motion changes
             smoothly (fast bounces reach ~0.7 at their landings), shake makes it erratic
  overlay    pixels carrying a faint, static, semi-transparent white stroke in >= 60 % of frames
             (a watermark: every channel lifted toward white by one and the same alpha), away
             from opaque white
  motion     mean absolute frame difference (motion magnitude)

The thresholds' defaults sit between the clean and degraded distributions measured on a few
thousand clips (seeds 0 and 3); `python -m t2v_turbo.data.curation --seed 7` prints precision and
recall against the flags on clips the tuning never saw. The mixing
policy's default is the paper's finding: consistency distillation on all curated data, reward
losses only on the short-caption (WebVid-like) subset.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from dataclasses import asdict, dataclass, fields
from functools import cache

import numpy as np
import torch
from torch.utils.data import Dataset

from t2v_turbo.data.dataset import STYLES, PromoClips
from t2v_turbo.data.degrade import gaussian_blur
from t2v_turbo.data.render import render_clip
from t2v_turbo.data.vocabulary import DEGRADATIONS

OBJECTIVES = ("cd", "reward")


@dataclass(frozen=True)
class CurationConfig:
    max_noise: float = 0.02  # clean clips measure <= 0.002; noise of std >= 0.05 measures >= 0.05
    min_sharpness: float = 0.72  # clean >= 0.80; blur of sigma >= 1 px gives <= 0.64
    min_contrast: float = 0.4  # clean >= 0.5 (distinguishable colours); low-contrast clips <= 0.3
    min_coherence: float = -0.1  # clean >= -0.03 (fast bounces, fast spins); shaken clips mostly < 0
    max_stutter: float = 0.1  # clean <= 0.07 (one still pair at a bounce's apex); stuttering >= 0.13
    max_irregularity: float = 0.75  # clean <= 0.68 (fast bounces); shaken clips median ~1.0
    max_overlay: int = 15  # clean <= 9 (anti-aliased still words); watermarks off white: 99 % >= 16
    min_motion: float = 0.0  # 0 keeps still clips: "staying still" is a motion the model must learn
    max_motion: float = 0.08  # above this a clip is mostly flicker (clean clips stay below 0.04)
    min_caption_words: int = 3  # shorter captions cannot name colour, shape and motion
    max_caption_tokens: int = 48  # = the text encoder's max_length: a longer caption would be truncated

    @classmethod
    def from_dict(cls, d: dict) -> CurationConfig:
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown curation keys {sorted(unknown)}; known: {[f.name for f in fields(cls)]}")
        return cls(**d)


@dataclass(frozen=True)
class MixingPolicy:
    """Which caption-style subsets feed which objective."""

    cd: tuple[str, ...] = ("short", "dense")  # paper: consistency distillation on all (WebVid + VidGen)
    reward: tuple[str, ...] = ("short",)  # paper: rewards only on short captions, which fit reward models

    def __post_init__(self):
        for objective in OBJECTIVES:
            styles = getattr(self, objective)
            bad = set(styles) - set(STYLES)
            if bad:
                raise ValueError(f"mixing policy {objective}: unknown styles {sorted(bad)}; styles are {STYLES}")

    @classmethod
    def from_dict(cls, d: dict) -> MixingPolicy:
        unknown = set(d) - set(OBJECTIVES)
        if unknown:
            raise ValueError(f"unknown objectives {sorted(unknown)} in mixing policy; objectives are {OBJECTIVES}")
        return cls(**{k: tuple(v) for k, v in d.items()})

    def uses(self, objective: str, style: str) -> bool:
        if objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {objective!r}; objectives are {OBJECTIVES}")
        return style in getattr(self, objective)

    def mask(self, objective: str, styles: list[str]) -> torch.Tensor:
        """(B,) bool: which items of a batch (by their `style`) this objective's loss includes."""
        return torch.tensor([self.uses(objective, s) for s in styles], dtype=torch.bool)


# ---------------------------------------------------------------------------------------------
# Measurements


def _laplacian_residual(x: np.ndarray) -> np.ndarray:
    """Immerkaer's operator [[1,-2,1],[-2,4,-2],[1,-2,1]] over (N, H, W): it cancels linear ramps."""
    h, w = x.shape[1] - 2, x.shape[2] - 2
    weights = ((1, -2, 1), (-2, 4, -2), (1, -2, 1))
    out = np.zeros((x.shape[0], h, w), np.float32)
    for i in range(3):
        for j in range(3):
            out += weights[i][j] * x[:, i : i + h, j : j + w]
    return out


def _edge_sharpness(x: np.ndarray) -> float:
    """How much of each strong 4-px step happens within a single pixel, over (N, H, W) planes.

    For every 4-px window (along rows and columns) with a step of at least half the clip's largest,
    the ratio of its largest 1-px step to the whole 4-px step: ~1 for a crisp edge (~0.5 when
    anti-aliasing splits it over two pixels), ~0.35 for a Gaussian blur of 1 px or more. The 90th
    percentile keeps the crispest edges, so soft text glyphs and gradients do not count as blur.
    """
    ratios, steps = [], []
    for axis in (1, 2):
        n = x.shape[axis]

        def shifted(k: int) -> np.ndarray:
            return np.take(x, np.arange(k, n - 4 + k), axis=axis)

        step4 = np.abs(shifted(4) - shifted(0))
        step1 = np.max([np.abs(shifted(k + 1) - shifted(k)) for k in range(4)], axis=0)
        ratios.append(step1.ravel())
        steps.append(step4.ravel())
    ratio, step = np.concatenate(ratios), np.concatenate(steps)
    if step.max() < 0.05:
        return 1.0  # nothing to judge: a flat clip
    strong = step >= 0.5 * step.max()
    return float(np.percentile(ratio[strong] / step[strong], 90))


def _overlay_pixels(x: np.ndarray) -> int:
    """Pixels that are a faint white-overlay stroke (see the module docstring) in >= 60 % of frames.

    Not all frames: a moving object may pass over the watermark for a while.
    """
    centre = x[:, 1:-1, 1:-1]  # (T, H-2, W-2, 3)
    stroke = np.zeros(centre.shape[:3], bool)
    for first, second in ((x[:, 1:-1, :-2], x[:, 1:-1, 2:]), (x[:, :-2, 1:-1], x[:, 2:, 1:-1])):
        under = np.maximum(first, second)  # what the stroke covers: its brighter neighbour
        headroom = 1.0 - under
        usable = headroom > 0.15  # a channel near white cannot show a white overlay
        alpha = (centre - under) / np.maximum(headroom, 1e-6)  # per channel: centre = under + a (1 - under)
        lo = np.where(usable, alpha, np.inf).min(axis=-1)
        hi = np.where(usable, alpha, -np.inf).max(axis=-1)
        stroke |= usable.any(axis=-1) & (lo > 0.12) & (hi < 0.75) & (hi - lo < 0.2)
    persistent = stroke.mean(axis=0) >= 0.6  # (H-2, W-2)
    # Thin parts of an opaque white word look semi-transparent after anti-aliasing; skip strokes
    # within 2 px of pixels that stay white (a watermark on a white area is invisible anyway).
    white = (x.min(axis=-1) > 0.9).mean(axis=0) >= 0.6  # (H, W)
    near_white = np.zeros_like(white)
    padded = np.pad(white, 2)
    for dy in range(5):
        for dx in range(5):
            near_white |= padded[dy : dy + white.shape[0], dx : dx + white.shape[1]]
    return int((persistent & ~near_white[1:-1, 1:-1]).sum())


def measure(frames: np.ndarray) -> dict[str, float]:
    """Quality and motion measurements of one clip, uint8 (T, H, W, 3)."""
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"measure expects uint8 (T, H, W, 3) frames, got {frames.dtype} {frames.shape}")
    x = frames.astype(np.float32) / 255.0  # (T, H, W, 3)
    grey = x.mean(axis=-1)  # (T, H, W)
    channels = np.moveaxis(x, -1, 1).reshape(-1, x.shape[1], x.shape[2])  # (T*3, H, W)
    noise = float(np.median(np.abs(_laplacian_residual(channels)))) / (0.6745 * 6.0)  # |r| ~ 6 sigma half-normal

    sharpness = _edge_sharpness(channels)

    flat = x.reshape(-1, 3)
    contrast = float((np.percentile(flat, 99, axis=0) - np.percentile(flat, 1, axis=0)).max())

    diff = np.diff(grey, axis=0)  # (T-1, H, W)
    per_pair = np.abs(np.diff(x, axis=0)).mean(axis=(1, 2, 3))  # (T-1,)
    motion = float(per_pair.mean())
    smooth = gaussian_blur(diff[..., None], 2.0)[..., 0]  # blurred, so that a moving edge overlaps itself
    norm = np.sqrt((smooth**2).sum(axis=(1, 2)))
    corr = (smooth[1:] * smooth[:-1]).sum(axis=(1, 2)) / (norm[1:] * norm[:-1] + 1e-9)
    valid = (norm[1:] > 1e-3) & (norm[:-1] > 1e-3)
    coherence = float(np.median(corr[valid])) if valid.any() else 1.0  # a still clip is perfectly coherent
    stutter = float((per_pair < 1e-4).mean()) if np.median(per_pair) > 1e-3 else 0.0
    irregularity = float(np.abs(np.diff(per_pair)).mean() / motion) if motion > 1e-3 else 0.0

    return {"noise": noise, "sharpness": sharpness, "contrast": contrast, "coherence": coherence,
            "stutter": stutter, "irregularity": irregularity, "overlay": float(_overlay_pixels(x)), "motion": motion}


@cache
def _tokenizer():
    from t2v_turbo.nets.tokenizer import WordPieceTokenizer

    return WordPieceTokenizer.minilm(max_length=512)


def caption_problems(caption: str, cfg: CurationConfig) -> list[str]:
    problems = []
    if len(caption.split()) < cfg.min_caption_words:
        problems.append("caption_too_short")
    if len(_tokenizer().tokenize(caption)) + 2 > cfg.max_caption_tokens:
        problems.append("caption_too_long")
    return problems


def quality_problems(m: dict[str, float], cfg: CurationConfig) -> list[str]:
    """Reasons to drop a clip, from its measurements; empty when it passes."""
    checks = [
        ("noisy", m["noise"] > cfg.max_noise),
        ("blurry", m["sharpness"] < cfg.min_sharpness),
        ("low_contrast", m["contrast"] < cfg.min_contrast),
        ("shaky", m["coherence"] < cfg.min_coherence),
        ("stuttering", m["stutter"] > cfg.max_stutter),
        ("irregular_motion", m["irregularity"] > cfg.max_irregularity),
        ("overlay", m["overlay"] > cfg.max_overlay),
        ("too_little_motion", m["motion"] < cfg.min_motion),
        ("too_much_motion", m["motion"] > cfg.max_motion),
    ]
    return [name for name, failed in checks if failed]


# ---------------------------------------------------------------------------------------------
# Curated dataset and report


class CuratedClips(Dataset):
    """PromoClips that pass curation, decided on the fly from pixels and captions; deterministic.

    Item i is the first accepted source item among i, i + s, i + 2s, ... (mod length) for a large
    prime stride s, so rejected clips are replaced by other ones without a pass over the dataset.
    """

    STRIDE = 104_729

    def __init__(self, source: PromoClips, config: CurationConfig = CurationConfig(), max_probes: int = 64):
        self.source, self.config, self.max_probes = source, config, max_probes

    def __len__(self) -> int:
        return len(self.source)

    def __getitem__(self, index: int) -> dict:
        for k in range(self.max_probes):
            j = (int(index) + k * self.STRIDE) % len(self.source)
            item = self.source[j]
            frames = ((item["video"].permute(1, 2, 3, 0).numpy() + 1.0) * 127.5).round().astype(np.uint8)
            quality = measure(frames)
            problems = quality_problems(quality, self.config) + caption_problems(item["caption"], self.config)
            if not problems:
                return {**item, "quality": quality}
        raise RuntimeError(f"no clip passed curation in {self.max_probes} tries from index {index}; "
                           "the thresholds reject nearly everything")


def curation_report(source: PromoClips, count: int, config: CurationConfig = CurationConfig()) -> dict:
    """Measure the first `count` clips of `source`, filter, and score the quality filter against the flags."""
    drop_reasons: Counter = Counter()
    per_kind = {k: {"flagged": 0, "caught": 0} for k in DEGRADATIONS}
    tp = fp = fn = tn = 0
    kept = []
    for i in range(count):
        attrs, style, short, dense = source.item_attrs(i)
        quality = measure(render_clip(attrs, source.geometry))
        problems = quality_problems(quality, config)
        caption = short if style == "short" else dense
        all_problems = problems + caption_problems(caption, config)
        drop_reasons.update(all_problems)
        if not all_problems:
            kept.append(i)
        degraded = bool(attrs["degraded"])
        # Precision/recall of the visual-quality filters only (motion bounds are not quality).
        caught = bool(set(problems) - {"too_little_motion", "too_much_motion"})
        tp += degraded and caught
        fp += (not degraded) and caught
        fn += degraded and not caught
        tn += (not degraded) and not caught
        for kind in attrs["degraded"]:
            per_kind[kind]["flagged"] += 1
            per_kind[kind]["caught"] += caught
    return {
        "clips": count,
        "kept": len(kept),
        "dropped": count - len(kept),
        "degraded": tp + fn,
        "drop_reasons": dict(sorted(drop_reasons.items())),
        "quality_filter": {
            "true_positives": tp, "false_positives": fp, "false_negatives": fn, "true_negatives": tn,
            "precision": tp / max(tp + fp, 1), "recall": tp / max(tp + fn, 1),
        },
        "recall_by_kind": {k: v["caught"] / v["flagged"] if v["flagged"] else None for k, v in per_kind.items()},
        "config": asdict(config),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Curation report: what the filters keep and drop.")
    parser.add_argument("--clips", type=int, default=2000, help="clips measured (the first N of the split)")
    parser.add_argument("--split", default="train", help="train | val | test")
    parser.add_argument("--seed", type=int, default=0, help="dataset seed")
    parser.add_argument("--degrade-prob", type=float, default=0.2, help="share of degraded clips")
    parser.add_argument("--json", default=None, help="also write the report to this file")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    source = PromoClips(args.split, length=max(args.clips, 1), seed=args.seed, degrade_prob=args.degrade_prob)
    report = curation_report(source, args.clips)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
