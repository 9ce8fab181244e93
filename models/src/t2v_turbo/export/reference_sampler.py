"""Reference sampler over a browser package: Python + onnxruntime, no torch at run time.

It follows docs/MODEL_FORMAT.md ("Sampler") with the same scheduler maths and the same seeded noise
as the browser engine, so PyTorch, ONNX-in-Python and the browser can be compared on one seed.
Used by `python -m t2v_turbo sample --package …`, by the parity tests and by the benchmarks.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from ..diffusion.lcm import boundary_scalings, inference_timesteps
from ..diffusion.noise import multiscale_gaussian_like
from ..diffusion.schedule import NoiseSchedule
from ..nets.clip_tokenizer import ClipBpeTokenizer
from ..nets.tokenizer import WordPieceTokenizer
from .manifest import load_manifest

f32 = np.float32


def to_rgba(video: np.ndarray) -> np.ndarray:
    """(1, 3, T, H, W) in [-1, 1] -> (T, H, W, 4) uint8, exactly the engine's frames_to_rgba rounding."""
    v = (video.astype(f32) * f32(0.5) + f32(0.5)).astype(np.float64)  # (x + 1) / 2, rounded to float32
    v = np.where(np.isnan(v), 0.0, np.clip(v, 0.0, 1.0))
    rgb = np.floor(v * 255.0 + 0.5).astype(np.uint8)[0]  # (3, T, H, W)
    alpha = np.full((1, *rgb.shape[1:]), 255, np.uint8)
    return np.concatenate([rgb, alpha]).transpose(1, 2, 3, 0).copy()


class PackageSampler:
    """Loads a package's graphs at one precision into onnxruntime (CPU) and samples like the engine."""

    def __init__(self, package: str | Path, precision: str = "fp32", threads: int = 2):
        self.folder = Path(package)
        self.manifest = load_manifest(self.folder / "manifest.json")
        self.precision = precision
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.sessions: dict[str, ort.InferenceSession] = {}
        for role, graph in self.manifest["graphs"].items():
            # The text encoder ships int8 for WASM; elsewhere take the requested precision or fp32.
            order = [precision, "fp32", "int8", "fp16"]
            variant = min(graph["variants"], key=lambda v: order.index(v["precision"]))
            self.sessions[role] = ort.InferenceSession(
                str(self.folder / variant["file"]["path"]), options, providers=["CPUExecutionProvider"]
            )
        tok = self.manifest["text"]["tokenizer"]
        vocab = self.folder / tok["vocab"]["path"]
        if tok["kind"] == "clip-bpe":
            self.tokenizer = ClipBpeTokenizer.from_file(vocab, max_length=tok["max_length"], pad_id=tok["pad_id"])
        else:
            self.tokenizer = WordPieceTokenizer.from_file(vocab, max_length=tok["max_length"])
        s = self.manifest["schedule"]
        self.alphas_cumprod = NoiseSchedule.from_dict(s).alphas_cumprod()
        self.multiscale = float(s.get("multiscale_noise", 0.0))  # the model's training noise; 0 = white
        self.timings: dict[str, float] = {}

    def _run(self, role: str, feeds: dict[str, np.ndarray], outputs: list[str] | None = None) -> list[np.ndarray]:
        t0 = time.perf_counter()
        out = self.sessions[role].run(outputs, feeds)
        self.timings[role] = self.timings.get(role, 0.0) + time.perf_counter() - t0
        return out

    def encode_text(self, prompt: str) -> np.ndarray:
        """(1, L, D) token context, as the engine's text stage."""
        enc = self.tokenizer.encode(prompt)
        feeds = {"input_ids": np.array([enc.input_ids], np.int64),
                 "attention_mask": np.array([enc.attention_mask], np.int64)}
        # Feed what the graph declares: a CLIP text tower takes input_ids only.
        declared = {i.name for i in self.sessions["text_encoder"].get_inputs()}
        return self._run("text_encoder", {k: v for k, v in feeds.items() if k in declared})[0]

    def generate(
        self, prompt: str, steps: int, guidance: float, motion: float, seed: int, return_latent: bool = False
    ):
        """Multistep consistency sampling; returns (T, H, W, 4) uint8 frames (and the final latent)."""
        m = self.manifest
        self.timings = {}
        context = self.encode_text(prompt)
        lat = m["latent"]
        shape = (1, lat["channels"], lat["frames"], lat["height"], lat["width"])
        timesteps = inference_timesteps(m["schedule"]["num_train_timesteps"], m["sampler"]["grid"]["num_steps"], steps)
        scaling, sigma = m["sampler"]["timestep_scaling"], m["sampler"]["sigma_data"]
        z = multiscale_gaussian_like(shape, seed, 0, self.multiscale)
        for i, t in enumerate(timesteps.tolist()):
            feeds = {
                "sample": z,
                "timestep": np.array([t], f32),
                "context": context,
                "guidance": np.array([guidance], f32),
                "motion": np.array([motion], f32),
            }
            eps = self._run("unet", feeds, ["eps"])[0]
            # The engine's lcm_step in float32 with float32 scalars.
            abar = self.alphas_cumprod[t]
            c_skip, c_out = boundary_scalings(float(t), scaling, sigma)
            x0 = (z - f32(np.sqrt(1 - abar)) * eps) / f32(np.sqrt(abar))
            denoised = (f32(c_skip) * z + f32(c_out) * x0).astype(f32)
            if i == len(timesteps) - 1:
                z = denoised
                break
            a_next = self.alphas_cumprod[timesteps[i + 1]]
            noise = multiscale_gaussian_like(shape, seed, i + 1, self.multiscale)
            z = (f32(np.sqrt(a_next)) * denoised + f32(np.sqrt(1 - a_next)) * noise).astype(f32)
        latent = (z * f32(1.0 / lat["scale"])).astype(f32)
        video = self.decode(latent)
        frames = to_rgba(video)
        return (frames, z) if return_latent else frames

    def decode(self, latent: np.ndarray) -> np.ndarray:
        """(1, C, T, h, w) unscaled latent -> (1, 3, T, H, W), in chunks of the decoder graph's frames."""
        chunk = self.manifest["graphs"]["vae_decoder"]["inputs"][0]["shape"][2]
        frames = latent.shape[2]
        chunk = frames if isinstance(chunk, str) else chunk
        parts = [self._run("vae_decoder", {"latent": latent[:, :, k : k + chunk]})[0] for k in range(0, frames, chunk)]
        return np.concatenate(parts, axis=2)


def sample_package(package: str | Path, prompt: str, steps: int, guidance: float, motion: float, seed: int,
                   precision: str = "fp32") -> tuple[np.ndarray, dict]:
    sampler = PackageSampler(package, precision)
    frames = sampler.generate(prompt, steps, guidance, motion, seed)
    return frames, sampler.timings


def describe(package: str | Path) -> str:
    m = json.loads((Path(package) / "manifest.json").read_text())
    return f"{m['id']}: {m['video']['frames']} frames {m['video']['height']}x{m['video']['width']} @ {m['video']['fps']} fps"


def main(argv: list[str] | None = None) -> int:
    """`python -m t2v_turbo.export.reference_sampler --package DIR --prompt … --seed … --json OUT`."""
    import argparse
    import base64

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("--package", required=True)
    p.add_argument("--prompt", required=True)
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--guidance", type=float, default=7.5)
    p.add_argument("--motion", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--precision", default="fp32")
    p.add_argument("--json", required=True, help="where to write {frames (base64 RGBA), shape, timings}")
    a = p.parse_args(argv)
    frames, timings = sample_package(a.package, a.prompt, a.steps, a.guidance, a.motion, a.seed, a.precision)
    Path(a.json).write_text(json.dumps({
        "shape": list(frames.shape),
        "frames": base64.b64encode(frames.tobytes()).decode(),
        "timings": timings,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
