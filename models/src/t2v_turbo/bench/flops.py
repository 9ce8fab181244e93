"""FLOPs per network pass, counted on the meta device, and the on-paper GPU estimate.

torch.utils.flop_counter counts the dense work (convolutions, matmuls, attention) as 2 FLOPs per
multiply-add and ignores elementwise ops and norms: the convention of every FLOP figure quoted for
these networks. Counting on the meta device allocates nothing, so the 1.4 B-parameter VideoCrafter2
UNet is counted in seconds on a laptop.
"""

from __future__ import annotations

import torch
from torch.utils.flop_counter import FlopCounterMode

from ..config import Config, resolve_config
from ..train.teacher import build_unet
from ..nets.vae import AutoencoderKL

# Spec-sheet FP32 shader throughput (shaders x 2 FLOPs x boost clock). WebGPU has no access to tensor
# cores or matrix units, so the shader rate is the ceiling a browser can reach; fp16 graphs halve the
# memory traffic but do not raise that ceiling on these NVIDIA parts (fp16 shader rate = fp32 rate).
CONSUMER_GPUS = [
    {"name": "NVIDIA RTX 4090", "fp32_tflops": 82.6, "basis": "16384 shaders x 2 x 2.52 GHz"},
    {"name": "NVIDIA RTX 4070", "fp32_tflops": 29.1, "basis": "5888 shaders x 2 x 2.475 GHz"},
    {"name": "NVIDIA RTX 3060", "fp32_tflops": 12.7, "basis": "3584 shaders x 2 x 1.777 GHz"},
    {"name": "Apple M2 (10-core GPU)", "fp32_tflops": 3.6, "basis": "1280 ALUs x 2 x 1.4 GHz"},
]
# Fraction of the spec-sheet peak that a WebGPU fp32 GEMM reaches on a real GPU. Not measurable here
# (no GPU): an assumed band, stated as such in the report.
GEMM_FRACTION_BAND = (0.3, 0.6)
# The paper's reported speed for the same network (4 steps ~ 1 s, bf16 on a datacentre GPU).
PAPER_SECONDS_4_STEPS = 1.0


def _count(fn) -> int:
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        fn()
    return int(counter.get_total_flops())


def unet_flops(cfg: Config, latent: tuple[int, int, int, int], batch: int = 1, student: bool = True) -> int:
    """FLOPs of one UNet pass on latents (batch, *latent); a student also embeds w and motion."""
    with torch.device("meta"):
        unet = build_unet(cfg)  # a v-predicting UNet also holds its schedule
        sample = torch.empty(batch, *latent)  # (B, C, T, h, w)
        context = torch.empty(batch, cfg.text.max_length, cfg.text.embed_dim)  # (B, L, D)
        scalar = torch.ones(batch)
    cond = (scalar, scalar) if student else (None, None)
    return _count(lambda: unet(sample, scalar, context, scalar, *cond))


def vae_decoder_flops(cfg: Config, frames: int) -> int:
    """FLOPs of decoding one clip's latent (1, z, T, h, w) to frames."""
    C, _, h, w = cfg.latent_shape
    with torch.device("meta"):
        vae = AutoencoderKL(cfg.vae, cfg.geometry.height)
        latent = torch.empty(1, C, frames, h, w)
    return _count(lambda: vae.decode(latent))


def unet_parameters(cfg: Config) -> int:
    with torch.device("meta"):
        return sum(p.numel() for p in build_unet(cfg).parameters())


def vc2_costs() -> dict:
    """The real T2V-Turbo-v2 (VideoCrafter2 UNet + projections, 16 x 320 x 512): FLOPs and size."""
    cfg = resolve_config("vc2")
    latent = cfg.latent_shape
    _C, T, h, w = latent
    heads = cfg.unet.model_channels // cfg.unet.num_head_channels
    return {
        "latent": list(latent),
        "frames": cfg.geometry.frames,
        "height": cfg.geometry.height,
        "width": cfg.geometry.width,
        "unet_parameters": unet_parameters(cfg),
        # softmax(q k^T) of one spatial self-attention at full latent resolution: (T * heads, hw, hw) in fp16
        "largest_attention_scores_bytes_fp16": 2 * T * heads * (h * w) ** 2,
        "unet_tflop_per_pass": unet_flops(cfg, latent) / 1e12,
        "vae_decode_tflop": vae_decoder_flops(cfg, cfg.geometry.frames) / 1e12,
    }


def gpu_estimate(vc2: dict, mix_efficiency: dict[str, float], steps: int = 4) -> dict:
    """Seconds per clip on consumer GPUs: (steps x UNet + decode) / (peak x gemm fraction x mix efficiency).

    mix_efficiency: measured here per runtime, the UNet's FLOP rate over the same runtime's MatMul-probe
    rate (how much of its best dense rate the network's mix of ops keeps).
    """
    work_tflop = steps * vc2["unet_tflop_per_pass"] + vc2["vae_decode_tflop"]
    lo_mix, hi_mix = min(mix_efficiency.values()), max(mix_efficiency.values())
    lo_gemm, hi_gemm = GEMM_FRACTION_BAND
    rows = []
    for gpu in CONSUMER_GPUS:
        best = gpu["fp32_tflops"] * hi_gemm * hi_mix
        worst = gpu["fp32_tflops"] * lo_gemm * lo_mix
        rows.append(
            {
                **gpu,
                "seconds_low": work_tflop / best,
                "seconds_high": work_tflop / worst,
                "unet_step_seconds_low": vc2["unet_tflop_per_pass"] / best,
                "unet_step_seconds_high": vc2["unet_tflop_per_pass"] / worst,
            }
        )
    paper_rate = (steps * vc2["unet_tflop_per_pass"] + vc2["vae_decode_tflop"]) / PAPER_SECONDS_4_STEPS
    return {
        "steps": steps,
        "work_tflop": work_tflop,
        "mix_efficiency": mix_efficiency,
        "gemm_fraction_band": list(GEMM_FRACTION_BAND),
        "gpus": rows,
        "paper_implied_tflops": paper_rate,
        "paper_seconds": PAPER_SECONDS_4_STEPS,
    }
