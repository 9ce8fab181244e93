"""Procedural promo clips with short and dense captions, held-out evaluation prompts, and curation.

    from t2v_turbo.data import PromoClips, ClipGeometry, collate, render_clip, EVAL_PROMPTS
    ds = PromoClips(split="train", length=100_000, seed=0, geometry=ClipGeometry(),
                    degrade_prob=0.2, caption_mix={"short": 0.5, "dense": 0.5})
    item = ds[i]  # video (3, T, H, W) in [-1, 1], caption, style, caption_short, caption_dense, attrs

`render_clip(attrs, geometry)` renders any (edited) attrs: counterfactual motion, clean vs degraded.
"""

from t2v_turbo.data.captions import dense_caption, short_caption
from t2v_turbo.data.dataset import STYLES, PromoClips, collate
from t2v_turbo.data.heldout import EVAL_PROMPTS, HELDOUT_TRIPLES, is_heldout
from t2v_turbo.data.render import render_clip
from t2v_turbo.data.sampling import SPLITS, sample_scene, split_of
from t2v_turbo.data.scene import ClipGeometry, Scene, SceneError

__all__ = [
    "EVAL_PROMPTS",
    "HELDOUT_TRIPLES",
    "SPLITS",
    "STYLES",
    "ClipGeometry",
    "PromoClips",
    "Scene",
    "SceneError",
    "collate",
    "dense_caption",
    "is_heldout",
    "render_clip",
    "sample_scene",
    "short_caption",
    "split_of",
]
