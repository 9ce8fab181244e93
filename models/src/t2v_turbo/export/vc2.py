"""The real T2V-Turbo-v2 weights -> the companion's networks: key mapping, strict checks, loading.

Two files (see /work/shared/reference/README.md):
  the VideoCrafter2 checkpoint   `state_dict` with `model.diffusion_model.` (the base UNet),
                                 `first_stage_model.` (the KL VAE), `cond_stage_model.model.`
                                 (OpenCLIP ViT-H/14's text tower) and DDPM schedule buffers;
  the T2V-Turbo-v2 UNet          a plain state dict (no prefix): the distilled student, i.e. the
                                 base UNet's names plus time_cond_proj, motion_cond_proj, combine_proj.
Every name and shape is checked against our networks before a byte is loaded; one error lists all
missing, unexpected and mis-shaped tensors of both files. Tensors are memory-mapped, not read:
a 7 GB checkpoint costs page cache, not RAM, until a tensor is used.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..config import Config
from ..nets.clip_tokenizer import ClipBpeTokenizer
from ..nets.open_clip_text import UNUSED_KEYS, ClipTextConfig, OpenClipTextEncoder
from ..nets.unet3d import UNet3D
from ..nets.vae import AutoencoderKL

UNET_PREFIX = "model.diffusion_model."
VAE_PREFIX = "first_stage_model."
TEXT_PREFIX = "cond_stage_model.model."
# LVDM's DDPM buffers: the schedule is rebuilt from the manifest's constants, so these are accepted
# and dropped (scale_arr only matters to the teacher's DDIM, never to the student's LCM sampler).
SCHEDULE_BUFFERS = (
    "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod", "sqrt_one_minus_alphas_cumprod",
    "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod",
    "posterior_variance", "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2",
    "scale_arr",
)
STUDENT_ONLY = ("time_cond_proj.weight", "motion_cond_proj.weight", "combine_proj.weight")
VAE_SCALE = 0.18215  # VideoCrafter2's scale_factor (SD's), not stored in the checkpoint
SHOWN = 8  # names listed per kind of problem in an error message


class CheckpointError(ValueError):
    """A checkpoint that does not fit the networks; the message names the tensors at fault."""


Shapes = dict[str, tuple[int, ...]]


def load_state_dict(path: str | Path, allow_pickle: bool = False) -> dict[str, torch.Tensor]:
    """A checkpoint's tensors, memory-mapped. Lightning's {"state_dict": …} wrapper is unwrapped.

    Only tensors are unpickled unless `allow_pickle` (a checkpoint can run code when unpickled:
    allow it only for files you trust)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        obj = torch.load(path, map_location="cpu", mmap=True, weights_only=not allow_pickle)
    except pickle.UnpicklingError as e:
        raise CheckpointError(
            f"{path} holds Python objects besides tensors, which are not loaded by default (unpickling can run "
            f"code). If you trust the file, pass --allow-pickle. ({str(e).splitlines()[0]})"
        ) from e
    except RuntimeError as e:
        if "mmap" not in str(e):
            raise
        obj = torch.load(path, map_location="cpu", weights_only=not allow_pickle)  # legacy (non-zip) format
    if isinstance(obj, dict) and "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(f"{path} is not a state dict of tensors (got {type(obj).__name__})")
    return obj


def shapes_of(module: nn.Module) -> Shapes:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def meta_networks(cfg: Config, text: ClipTextConfig) -> tuple[UNet3D, AutoencoderKL, OpenClipTextEncoder]:
    """The three networks with no storage (for names and shapes, and to load into)."""
    tokenizer = ClipBpeTokenizer.from_file(max_length=text.context_length)
    with torch.device("meta"):
        return (UNet3D(cfg.unet), AutoencoderKL(cfg.vae, cfg.geometry.height),
                OpenClipTextEncoder(text, tokenizer))


@dataclass
class SplitCheckpoint:
    """The base checkpoint's tensors by owner, prefixes removed."""

    unet: dict[str, torch.Tensor]
    vae: dict[str, torch.Tensor]
    text: dict[str, torch.Tensor]
    unknown: list[str]


def split_base(state: dict[str, torch.Tensor]) -> SplitCheckpoint:
    parts = SplitCheckpoint({}, {}, {}, [])
    for key, value in state.items():
        for prefix, bucket in ((UNET_PREFIX, parts.unet), (VAE_PREFIX, parts.vae), (TEXT_PREFIX, parts.text)):
            if key.startswith(prefix):
                bucket[key[len(prefix):]] = value
                break
        else:
            if key not in SCHEDULE_BUFFERS:
                parts.unknown.append(key)
    return parts


def compare(where: str, got: Shapes, want: Shapes, prefix: str = "") -> list[str]:
    """Problems (missing, unexpected, mis-shaped) of one group of tensors, names as in the file."""
    missing = sorted(set(want) - set(got))
    unexpected = sorted(set(got) - set(want))
    shapes = sorted(k for k in set(got) & set(want) if tuple(got[k]) != tuple(want[k]))
    problems = []

    def listing(names: list[str], show) -> str:
        more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
        return ", ".join(show(n) for n in names[:SHOWN]) + more

    if missing:
        problems.append(f"{where}: {len(missing)} missing: {listing(missing, lambda n: prefix + n)}")
    if unexpected:
        problems.append(f"{where}: {len(unexpected)} unexpected: {listing(unexpected, lambda n: prefix + n)}")
    if shapes:
        problems.append(f"{where}: {len(shapes)} with the wrong shape: "
                        f"{listing(shapes, lambda n: f'{prefix}{n} {list(got[n])} (expected {list(want[n])})')}")
    return problems


def check_checkpoints(base: dict[str, torch.Tensor], student: dict[str, torch.Tensor], cfg: Config,
                      base_name: str = "VideoCrafter2 checkpoint", student_name: str = "T2V-Turbo-v2 UNet",
                      ) -> tuple[SplitCheckpoint, ClipTextConfig]:
    """Checks every name and shape of both files against the networks of `cfg`; raises one
    CheckpointError naming all problems. Returns the base split by owner and the text tower's size."""
    parts = split_base(base)
    problems = []
    if parts.unknown:
        problems += compare(base_name, {k: () for k in parts.unknown}, {})
    try:
        text_cfg = ClipTextConfig.from_shapes({k: tuple(v.shape) for k, v in parts.text.items()})
    except ValueError as e:
        problems.append(f"{base_name}: {TEXT_PREFIX}*: {e}")
        text_cfg = ClipTextConfig()
    unet, vae, text = meta_networks(cfg, text_cfg)
    unet_shapes = shapes_of(unet)
    base_unet = {k: v for k, v in unet_shapes.items() if k not in STUDENT_ONLY}
    text_shapes = shapes_of(text) | {k: tuple(parts.text[k].shape) for k in UNUSED_KEYS if k in parts.text}
    problems += compare(base_name, _shapes(parts.unet), base_unet, UNET_PREFIX)
    problems += compare(base_name, _shapes(parts.vae), shapes_of(vae), VAE_PREFIX)
    problems += compare(base_name, _shapes(parts.text), text_shapes, TEXT_PREFIX)
    problems += compare(student_name, _shapes(student), unet_shapes)
    if not problems and text_cfg.width != cfg.unet.context_dim:
        problems.append(f"text tower width {text_cfg.width} != unet.context_dim {cfg.unet.context_dim}")
    if problems:
        raise CheckpointError("the checkpoints do not fit the vc2 networks:\n  " + "\n  ".join(problems))
    return parts, text_cfg


def _shapes(state: dict[str, torch.Tensor]) -> Shapes:
    return {k: tuple(v.shape) for k, v in state.items()}


def _assign(module: nn.Module, state: dict[str, torch.Tensor]) -> nn.Module:
    """Loads float32 copies of `state` into a meta-device module (fp32 tensors are used in place)."""
    wanted = set(module.state_dict())
    module.load_state_dict({k: v.float() for k, v in state.items() if k in wanted}, strict=True, assign=True)
    left = [n for n, t in [*module.named_parameters(), *module.named_buffers()] if t.is_meta]
    if left:
        raise CheckpointError(f"tensors left without weights after loading: {left[:SHOWN]}")
    return module.requires_grad_(False).eval()


@dataclass
class Vc2Weights:
    unet: UNet3D
    vae: AutoencoderKL
    text_encoder: OpenClipTextEncoder
    text_cfg: ClipTextConfig


def load_vc2(base_path: str | Path, unet_path: str | Path, cfg: Config, allow_pickle: bool = False) -> Vc2Weights:
    """Both files -> the student UNet, the VAE and the text tower, checked and loaded (float32)."""
    base = load_state_dict(base_path, allow_pickle)
    student = load_state_dict(unet_path, allow_pickle)
    parts, text_cfg = check_checkpoints(base, student, cfg, f"{Path(base_path).name}", f"{Path(unet_path).name}")
    unet, vae, text = meta_networks(cfg, text_cfg)
    # The base checkpoint's UNet (the teacher) is checked but not loaded: the browser runs the student.
    return Vc2Weights(_assign(unet, student), _assign(vae, parts.vae), _assign(text, parts.text), text_cfg)
