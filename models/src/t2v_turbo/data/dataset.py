"""PromoClips: a torch Dataset of procedural, captioned promo clips rendered on the fly.

Item i of (seed, split) is a pure function of those three numbers and the geometry: the scene, its
degradations, the caption style and the dense caption's wording all come from one generator seeded
with (seed, split, i). Nothing is downloaded or cached on disk.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from t2v_turbo.data.captions import dense_caption, short_caption
from t2v_turbo.data.render import render_clip
from t2v_turbo.data.sampling import MAX_OBJECT_SCALE, SPLITS, StillShapes, sample_scene
from t2v_turbo.data.scene import ClipGeometry

STYLES = ("short", "dense")
_SPLIT_IDS = {name: i for i, name in enumerate(SPLITS)}


class PromoClips(Dataset):
    """Deterministic in (seed, split, index). Items: video (3, T, H, W) in [-1, 1], captions, attrs."""

    def __init__(
        self,
        split: str = "train",
        length: int = 100_000,
        seed: int = 0,
        geometry: ClipGeometry = ClipGeometry(),
        degrade_prob: float = 0.2,
        caption_mix: dict[str, float] | None = None,
        entry_band: float = 0.0,
        object_scale: float = 1.0,
        placement_spread: float = 1.0,
        still_shapes: StillShapes | None = None,
    ):
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        if length <= 0:
            raise ValueError(f"length must be positive, got {length}")
        if not 0.0 <= degrade_prob <= 1.0:
            raise ValueError(f"degrade_prob must lie in [0, 1], got {degrade_prob}")
        if not 0.0 <= entry_band <= 1.0:
            raise ValueError(f"entry_band must lie in [0, 1], got {entry_band}")
        if not 0.0 < object_scale <= MAX_OBJECT_SCALE:
            raise ValueError(f"object_scale must lie in (0, {MAX_OBJECT_SCALE}], got {object_scale}")
        if not 0.0 <= placement_spread <= 1.0:
            raise ValueError(f"placement_spread must lie in [0, 1], got {placement_spread}")
        mix = {"short": 0.5, "dense": 0.5} if caption_mix is None else dict(caption_mix)
        unknown = set(mix) - set(STYLES)
        if unknown:
            raise ValueError(f"caption_mix has unknown styles {sorted(unknown)}; styles are {STYLES}")
        if any(v < 0 for v in mix.values()) or sum(mix.values()) <= 0:
            raise ValueError(f"caption_mix weights must be non-negative and not all zero, got {mix}")
        total = sum(mix.values())
        self.short_share = mix.get("short", 0.0) / total  # the paper: equal parts WebVid and VidGen
        self.split, self.length, self.seed = split, length, seed
        self.geometry, self.degrade_prob, self.caption_mix = geometry, degrade_prob, mix
        self.entry_band, self.object_scale = entry_band, object_scale  # see sample_scene
        self.placement_spread = placement_spread
        self.still_shapes = still_shapes  # None: promo clips; else one still shape a clip (a curriculum's start)

    def __len__(self) -> int:
        return self.length

    def rng(self, index: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, _SPLIT_IDS[self.split], index])

    def item_attrs(self, index: int) -> tuple[dict, str, str, str]:
        """(attrs, style, short caption, dense caption) of item `index`, without rendering it."""
        if not 0 <= index < self.length:
            raise IndexError(f"index {index} out of range for a PromoClips of length {self.length}")
        rng = self.rng(index)
        scene = sample_scene(rng, self.split, self.geometry, self.degrade_prob, self.entry_band, self.object_scale,
                             self.placement_spread, self.still_shapes)
        style = "short" if rng.random() < self.short_share else "dense"
        return scene.to_dict(), style, short_caption(scene), dense_caption(scene, rng)

    def __getitem__(self, index: int) -> dict:
        index = int(index)
        attrs, style, short, dense = self.item_attrs(index)
        frames = render_clip(attrs, self.geometry)  # (T, H, W, 3) uint8
        # numpy, not torch ops on a permuted view: the latter cost ~20 ms a clip on 2 cores.
        video = np.ascontiguousarray(frames.transpose(3, 0, 1, 2)).astype(np.float32)  # (3, T, H, W)
        video *= 1 / 127.5
        video -= 1.0  # [-1, 1]
        return {
            "video": torch.from_numpy(video),
            "caption": short if style == "short" else dense,
            "style": style,
            "caption_short": short,
            "caption_dense": dense,
            "attrs": attrs,
            "index": index,
        }


def collate(items: list[dict]) -> dict:
    """Stack tensors; keep strings, dicts and other values as lists (for DataLoader(collate_fn=collate))."""
    out = {}
    for key in items[0]:
        values = [item[key] for item in items]
        out[key] = torch.stack(values) if isinstance(values[0], torch.Tensor) else values
    return out
