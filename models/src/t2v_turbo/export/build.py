"""Assembles browser packages from trained networks: `export` (a trained student, its VAE, text
encoder and reward models) and `export-micro` (a tiny, randomly initialised package for the browser
tests of the WebGPU path, where SwiftShader runs ~100x slower than the WASM backend)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..config import Config, resolve_config
from ..diffusion.schedule import NoiseSchedule
from ..nets.clip_tokenizer import ClipBpeTokenizer, write_plain_vocab
from ..nets.open_clip_text import OpenClipTextEncoder
from ..nets.text_encoder import BertConfig, TextEncoder
from ..nets.tokenizer import WordPieceTokenizer, minilm_dir
from ..nets.unet3d import UNet3D
from ..nets.vae import AutoencoderKL
from .graphs import ClipTextEncoderGraph, MotionGradGraph, TextEncoderGraph, UNetGraph, VaeDecoderGraph, VaeEncoderGraph
from .package import (GraphSpec, copy_vocab, export_graph, externalize, file_ref, git_commit, weight_bytes,
                      write_package)
from .requirements import package_requirements


@dataclass
class RewardExport:
    """A reward model for the package: the module (forward(pixels[, context, mask]) -> score) and its manifest entry."""

    id: str
    module: nn.Module
    label: str
    description: str
    kind: str  # "frames" (scored per frame, averaged) or "clip" (frames together)
    frames: int
    height: int
    width: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    uses_text: bool = True
    higher_is_better: bool = True

    @property
    def role(self) -> str:
        return f"reward_{self.id}"


@dataclass
class Networks:
    cfg: Config
    text_encoder: TextEncoder | OpenClipTextEncoder
    unet: UNet3D
    vae: AutoencoderKL
    latent_scale: float
    rewards: list[RewardExport]


def _example_inputs(net: Networks, seed: int = 0) -> dict[str, torch.Tensor]:
    """Fixed, representative inputs: a real prompt's context, a noisy latent at mid-trajectory."""
    g = torch.Generator().manual_seed(seed)
    C, T, h, w = net.cfg.latent_shape
    batch = net.text_encoder.tokenizer(["a red circle moving right"])
    with torch.no_grad():
        context = net.text_encoder(batch.input_ids, batch.attention_mask)
    return {
        "sample": torch.randn(1, C, T, h, w, generator=g),
        "timestep": torch.tensor([499.0]),
        "context": context,
        "guidance": torch.tensor([7.5]),
        "motion": torch.tensor([0.5]),
        "input_ids": batch.input_ids,
        "attention_mask": batch.attention_mask,
    }


def graph_specs(
    net: Networks,
    precisions: list[str],
    motion_guidance: bool = True,
    roles: set[str] | None = None,
    text_precisions: tuple[str, ...] = ("int8",),
    decode_frames: int | None = None,
) -> list[GraphSpec]:
    """The package's graphs (or only `roles`), in export order, with fixed example inputs.

    Without motion guidance the UNet returns eps only (its attention maps feed nothing else).
    `decode_frames` (a divisor of the clip's frames) makes the VAE decoder take that many frames per
    call, the engine decoding a clip in chunks: frames are decoded independently anyway, and at
    320x512 one frame's activations are 1/16 of a clip's (docs/MODEL_FORMAT.md, "Large packages")."""
    cfg, ex = net.cfg, _example_inputs(net)
    want = (lambda role: roles is None or role in roles)  # noqa: E731
    fps = float(cfg.geometry.fps)
    unet_inputs = {k: ex[k] for k in ("sample", "timestep", "context", "guidance", "motion")}
    unet_graph = UNetGraph(net.unet.eval(), fps, with_attention=motion_guidance)
    attn_names = [f"attn_{i}" for i in range(net.unet.num_attn_maps)] if motion_guidance else []
    if isinstance(net.text_encoder, OpenClipTextEncoder):
        text = GraphSpec("text_encoder", ClipTextEncoderGraph(net.text_encoder), {"input_ids": ex["input_ids"]},
                         ["context"], list(text_precisions))
    else:
        text = GraphSpec("text_encoder", TextEncoderGraph(net.text_encoder),
                         {k: ex[k] for k in ("input_ids", "attention_mask")}, ["context"], list(text_precisions))
    specs = [text, GraphSpec("unet", unet_graph, unet_inputs, ["eps", *attn_names], precisions)]
    gpu_precisions = [p for p in precisions if p != "int8"]
    if motion_guidance and want("motion_grad"):
        # Reference maps from another latent, masks from their top-1 entries: a realistic energy.
        g = torch.Generator().manual_seed(1)
        with torch.no_grad():
            _, *ref = unet_graph(torch.randn(unet_inputs["sample"].shape, generator=g), *list(unet_inputs.values())[1:])
        masks = [F.one_hot(r.argmax(-1), r.shape[-1]).float() for r in ref]
        refs = {f"ref_attn_{i}": r for i, r in enumerate(ref)} | {f"mask_{i}": m for i, m in enumerate(masks)}
        inputs = unet_inputs | refs
        module = MotionGradGraph(net.unet.eval(), fps, tuple(inputs.values()), len(attn_names))
        specs.append(GraphSpec("motion_grad", module, inputs, ["grad", "energy", "eps"], gpu_precisions))
    H, W, T = cfg.geometry.height, cfg.geometry.width, cfg.geometry.frames
    video = torch.rand(1, 3, T, H, W, generator=torch.Generator().manual_seed(2)) * 2 - 1
    specs.append(GraphSpec("vae_encoder", VaeEncoderGraph(net.vae.eval()), {"video": video}, ["latent"], gpu_precisions))
    chunk = decode_frames or T
    if T % chunk:
        raise ValueError(f"decode_frames={chunk} must divide the clip's {T} frames")
    latent = unet_inputs["sample"][:, :, :chunk] / net.latent_scale  # (1, C, chunk, h, w)
    specs.append(GraphSpec("vae_decoder", VaeDecoderGraph(net.vae.eval()), {"latent": latent}, ["video"], gpu_precisions))
    for r in net.rewards:
        n = r.frames
        g = torch.Generator().manual_seed(3)
        pixels = torch.randn((n, 3, r.height, r.width) if r.kind == "frames" else (1, 3, n, r.height, r.width), generator=g)
        inputs = {"pixels": pixels}
        if r.uses_text:
            inputs |= {"context": ex["context"], "mask": ex["attention_mask"].float()}
        specs.append(GraphSpec(r.role, r.module.eval(), inputs, ["score"], gpu_precisions))
    return [s for s in specs if want(s.role)]


def build_package(
    net: Networks,
    out: str | Path,
    model_id: str,
    name: str,
    description: str,
    precisions: list[str],
    training_steps: dict[str, int],
    motion_guidance: bool = True,
    sampler: dict | None = None,
    log=print,
    text_precisions: tuple[str, ...] = ("int8",),
    roles: set[str] | None = None,
    check_parity: bool = True,
    tool: str = "t2v_turbo export",
    decode_frames: int | None = None,
    guidance_lambda: float = 500.0,
) -> dict:
    """Exports every graph (or only `roles`), shards the weights, writes and validates the manifest."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in [*folder.glob("*.onnx"), *folder.glob("*.onnx.data"), *folder.glob("weights.*.bin")]:
        stale.unlink()
    cfg = net.cfg
    t0 = time.perf_counter()
    report: dict = {"tolerance_relative": {}}
    graphs = {}
    for spec in graph_specs(net, precisions, motion_guidance, roles, text_precisions, decode_frames):
        graphs[spec.role] = export_graph(spec, folder, report, log, check_parity)
    externalize(folder, graphs)
    tokenizer: WordPieceTokenizer | ClipBpeTokenizer = net.text_encoder.tokenizer
    if isinstance(tokenizer, ClipBpeTokenizer):
        vocab = file_ref(folder, write_plain_vocab(folder / "bpe_merges.txt").name)
    else:
        vocab = copy_vocab(minilm_dir() / "vocab.txt", folder)
    C, T, h, w = cfg.latent_shape
    schedule = NoiseSchedule.from_dict(cfg.schedule)
    n_maps = sum(1 for o in graphs["unet"]["outputs"] if o["name"].startswith("attn_"))
    manifest = {
        "id": model_id,
        "name": name,
        "description": description,
        "video": {"frames": T, "fps": cfg.geometry.fps, "height": cfg.geometry.height, "width": cfg.geometry.width},
        "latent": {"channels": C, "frames": T, "height": h, "width": w, "scale": net.latent_scale,
                   "downsample": cfg.vae_downsample},
        # The noise every sampler draws must be the one the model learnt (diffusion/multiscale_noise.py).
        "schedule": schedule.to_manifest() | (
            {"multiscale_noise": cfg.teacher_training.multiscale_noise} if cfg.teacher_training.multiscale_noise else {}
        ),
        "sampler": sampler or default_sampler(),
        "text": {"graph": "text_encoder", "embed_dim": net.text_encoder.embed_dim,
                 "tokenizer": tokenizer.manifest_entry(vocab)},
        "graphs": graphs,
        "rewards": [
            {
                "id": r.id, "graph": r.role, "label": r.label, "description": r.description,
                "higher_is_better": r.higher_is_better,
                "input": {"kind": r.kind, "frames": r.frames, "height": r.height, "width": r.width,
                          "mean": list(r.mean), "std": list(r.std)},
            }
            for r in net.rewards
        ],
        "requirements": {
            **package_requirements(folder, graphs),
            "weight_bytes": weight_bytes(folder, graphs, "fp32"),
        },
        "provenance": {
            "tool": tool,
            "commit": git_commit(),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "training_steps": training_steps,
            "config": cfg.to_dict(),
        },
    }
    if motion_guidance:
        # lambda: the strength the teacher's guidance was calibrated to in distillation (paper: 500).
        manifest["motion_guidance"] = {"graph": "motion_grad", "layers": n_maps, "tau": 0.5,
                                       "lambda": guidance_lambda, "ref_timestep": 400}
    report["tolerance_relative"] = {"fp32": 1e-4, "fp16": 2e-2, "int8": 8e-2}
    manifest = write_package(folder, manifest, report)
    log(f"wrote {folder} in {time.perf_counter() - t0:.0f} s")
    return manifest


def default_sampler() -> dict:
    """T2V-Turbo-v2's inference defaults: the 200-step grid, 4 steps (4-8 recommended), w in [5, 15] default 7.5."""
    return {
        "kind": "lcm",
        "grid": {"num_steps": 200, "skip": 5},
        "timestep_scaling": 10.0,
        "sigma_data": 0.5,
        "steps": {"min": 1, "max": 16, "default": 4, "recommended": [4, 8]},
        "guidance": {"min": 5.0, "max": 15.0, "default": 7.5},
        "motion": {"min": 0.0, "max": 1.0, "default": 0.5},
        "embed_scale": 1000.0,
    }


def micro_networks(seed: int = 0) -> Networks:
    """A complete, randomly initialised micro model: every graph of a real package, ~1-2 MB in all."""
    torch.manual_seed(seed)
    # Narrower than the `micro` training preset: the package must stay ~2 MB with its gradient graph.
    # Multiscale noise: the browser tests then run the engine's multiscale sampling path against the
    # reference sampler (the demo package keeps the white-noise path under test).
    cfg = resolve_config("micro", overrides=["text.embed_dim=16", "unet.context_dim=16", "unet.model_channels=8",
                                             "unet.num_head_channels=4", "unet.init_attn_heads=2",
                                             "teacher_training.multiscale_noise=0.8"])
    tokenizer = WordPieceTokenizer.minilm(max_length=cfg.text.max_length)
    bert = BertConfig(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                      max_position_embeddings=64)
    text = TextEncoder(bert, tokenizer).freeze()
    unet = UNet3D(cfg.unet).eval()
    # VideoCrafter2 zero-initialises output convs and projections (and the w / motion projections):
    # a random micro model with those at zero would ignore its inputs, so give them small values.
    with torch.no_grad():
        for p in unet.parameters():
            if not p.any():
                p.normal_(std=0.05)
    vae = AutoencoderKL(cfg.vae, cfg.geometry.height).eval()
    return Networks(cfg, text, unet, vae, latent_scale=0.5, rewards=[])
