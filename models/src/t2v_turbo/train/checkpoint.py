"""Checkpoints: safetensors weights + optimizer state + the resolved config, rotated, resumable.

Layout of a run directory:
  <run>/config.json                    the resolved config of the run
  <run>/checkpoints/step-000200/       one checkpoint (written to a .tmp folder, then renamed)
      model.safetensors                trained weights; metadata: kind, step, config (JSON), extras
      ema.safetensors                  EMA weights, when the stage keeps an EMA
      train_state.pt                   optimizer and LR-scheduler state, step
      config.json, meta.json           the resolved config; step, losses, extras (e.g. latent_scale)
  <run>/final/                         model.safetensors (EMA if kept), config.json, meta.json: what
                                       later stages load (load_final, which also takes a step-* folder
                                       and then reads its EMA)
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, safe_open, save_file

from ..config import Config, config_from_dict

STEP_DIR = re.compile(r"^step-(\d{6,})$")


def _state_for_saving(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().contiguous().cpu() for k, v in module.state_dict().items()}


def save_weights(
    path: Path,
    state: dict[str, torch.Tensor],
    kind: str,
    step: int,
    cfg: Config,
    extras: dict[str, Any] | None = None,
) -> None:
    meta = {"kind": kind, "step": str(step), "config": cfg.to_json(), "extras": json.dumps(extras or {})}
    save_file(state, str(path), metadata=meta)


def read_metadata(path: str | Path) -> dict[str, Any]:
    """Metadata of a weights file: kind, step, config (Config), extras (dict)."""
    with safe_open(str(path), framework="pt") as f:
        raw = f.metadata() or {}
    if "config" not in raw:
        raise ValueError(f"{path} has no config in its metadata; it was not written by t2v_turbo")
    return {
        "kind": raw.get("kind", ""),
        "step": int(raw.get("step", 0)),
        "config": config_from_dict(json.loads(raw["config"])),
        "extras": json.loads(raw.get("extras", "{}")),
    }


def checkpoint_step(folder: Path) -> int:
    return int(STEP_DIR.match(Path(folder).name).group(1))


def list_checkpoints(run_dir: Path) -> list[Path]:
    folder = Path(run_dir) / "checkpoints"
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.is_dir() and STEP_DIR.match(p.name)]
    return sorted(found, key=checkpoint_step)


def resolve_resume(run_dir: Path, resume: str | None) -> Path | None:
    """`latest` -> newest checkpoint (None if the run has none yet); a path -> that checkpoint."""
    if resume is None:
        return None
    if resume == "latest":
        found = list_checkpoints(run_dir)
        return found[-1] if found else None
    path = Path(resume)
    if not (path / "train_state.pt").is_file():
        raise FileNotFoundError(
            f"--resume {resume}: no train_state.pt there; pass a step-* folder or 'latest'"
        )
    return path


def save_checkpoint(
    run_dir: Path,
    step: int,
    kind: str,
    cfg: Config,
    model: torch.nn.Module,
    ema: torch.nn.Module | None,
    train_state: dict[str, Any],
    meta: dict[str, Any],
    keep: int,
    keep_every: int = 0,
) -> Path:
    """Write step-NNNNNN atomically, then delete all but the newest `keep` checkpoints, sparing the
    steps that are multiples of `keep_every` (when > 0)."""
    folder = Path(run_dir) / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"step-{step:06d}"
    tmp = folder / f"step-{step:06d}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    extras = meta.get("extras", {})
    save_weights(tmp / "model.safetensors", _state_for_saving(model), kind, step, cfg, extras)
    if ema is not None:
        save_weights(tmp / "ema.safetensors", _state_for_saving(ema), kind, step, cfg, extras)
    torch.save({**train_state, "step": step}, tmp / "train_state.pt")
    (tmp / "config.json").write_text(cfg.to_json())
    (tmp / "meta.json").write_text(json.dumps({"kind": kind, "step": step, **meta}, indent=2))
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    for old in list_checkpoints(run_dir)[:-keep]:
        if not (keep_every and checkpoint_step(old) % keep_every == 0):
            shutil.rmtree(old, ignore_errors=True)
    return final


def load_checkpoint(path: Path, model: torch.nn.Module, ema: torch.nn.Module | None) -> dict[str, Any]:
    """Restore weights (and EMA) in place; return train_state (optimizer, scheduler, step)."""
    model.load_state_dict(load_file(str(path / "model.safetensors")))
    if ema is not None:
        ema.load_state_dict(load_file(str(path / "ema.safetensors")))
    return torch.load(path / "train_state.pt", weights_only=False)


def train_seconds(folder: str | Path) -> float:
    """Training seconds up to this checkpoint (or final/), over every resumed segment; 0 when a
    checkpoint predates the count."""
    meta = Path(folder) / "meta.json"
    return float(json.loads(meta.read_text()).get("train_seconds", 0.0)) if meta.is_file() else 0.0


def write_final(run_dir: Path, checkpoint: Path) -> Path:
    """Copy a checkpoint's inference weights (EMA when present) to <run>/final/."""
    final = Path(run_dir) / "final"
    final.mkdir(parents=True, exist_ok=True)
    weights = checkpoint / "ema.safetensors"
    if not weights.exists():
        weights = checkpoint / "model.safetensors"
    shutil.copyfile(weights, final / "model.safetensors")
    shutil.copyfile(checkpoint / "config.json", final / "config.json")
    shutil.copyfile(checkpoint / "meta.json", final / "meta.json")
    return final


def load_final(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(state_dict, metadata) of a final/ folder, a step-* checkpoint or a .safetensors file.

    A checkpoint gives its EMA weights when it has them: the ones its final/ would hold.
    """
    path = Path(path)
    weights = next((w for w in (path / "ema.safetensors", path / "model.safetensors")
                    if w.is_file()), path / "model.safetensors") if path.is_dir() else path
    if not weights.is_file():
        raise FileNotFoundError(f"{weights} does not exist; train the stage first (see docs/COMPANION.md)")
    return load_file(str(weights)), read_metadata(weights)
