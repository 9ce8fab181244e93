"""The native side: onnxruntime (Python, CPU) on the very graphs the browser runs.

sampler   the package's reference sampler (export/reference_sampler.py): the same graphs, noise and
          maths as the engine's WASM path, at the browser's thread count
teacher   the teacher's 50-step DDIM with CFG (teacher_cfg.onnx at batch 2) between the package's
          own text encoder and VAE decoder: one clip, the way the student's is timed
graph     one graph timed alone in a fresh process, with its peak resident memory (the cost curves
          and the MatMul probe); `python -m t2v_turbo.bench.native graph ...` is that process
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from ..diffusion.ddim import ddim_timesteps
from ..diffusion.noise import multiscale_gaussian_like
from ..export.reference_sampler import PackageSampler, to_rgba
from .stats import summarize

f32 = np.float32
PROMPT = "a red circle moving right"  # the browser benchmark's prompt (scripts/bench.mjs)


def _session_options(threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return options


def time_sampler(
    package: Path, steps: int, threads: int, reps: int, seed: int = 42, prompt: str = PROMPT
) -> dict:
    """Per-clip and per-graph times of the reference sampler; one warm-up clip first."""
    sampler = PackageSampler(package, "fp32", threads=threads)
    s = sampler.manifest["sampler"]
    args = (prompt, steps, s["guidance"]["default"], s["motion"]["default"], seed)
    sampler.generate(*args)
    e2e, per_role = [], {}
    for _ in range(reps):
        t0 = time.perf_counter()
        sampler.generate(*args)
        e2e.append(1e3 * (time.perf_counter() - t0))
        for role, seconds in sampler.timings.items():
            per_role.setdefault(role, []).append(1e3 * seconds)
    return {
        "steps": steps,
        "threads": threads,
        "e2e_ms": e2e,
        "e2e": summarize(e2e),
        "graph_ms": {role: summarize(v) for role, v in per_role.items()},
        "unet_step": summarize([v / steps for v in per_role["unet"]]),
    }


def time_teacher(
    package: Path,
    teacher_graph: Path,
    threads: int,
    reps: int,
    steps: int = 50,
    guidance: float = 7.5,
    seed: int = 42,
    prompt: str = PROMPT,
) -> dict:
    """The teacher's clip: text (prompt and empty prompt), `steps` DDIM steps with CFG, decode."""
    import onnxruntime as ort

    sampler = PackageSampler(package, "fp32", threads=threads)
    teacher = ort.InferenceSession(
        str(teacher_graph), _session_options(threads), providers=["CPUExecutionProvider"]
    )
    m = sampler.manifest
    lat = m["latent"]
    shape = (1, lat["channels"], lat["frames"], lat["height"], lat["width"])
    abar = sampler.alphas_cumprod
    ts = ddim_timesteps(len(abar), steps)

    def clip() -> dict:
        times = {}
        t0 = time.perf_counter()
        both = np.concatenate([sampler.encode_text(prompt), sampler.encode_text("")])  # (2, L, D)
        times["text"] = time.perf_counter() - t0
        z = multiscale_gaussian_like(shape, seed, 0, sampler.multiscale)  # the noise the models learnt
        t1 = time.perf_counter()
        for i, t in enumerate(ts.tolist()):
            eps = teacher.run(
                ["eps"], {"sample": np.concatenate([z, z]), "timestep": np.full(2, t, f32), "context": both}
            )[0]
            eps = eps[:1] + f32(guidance) * (eps[:1] - eps[1:])  # T2V-Turbo's CFG convention
            a, a_prev = abar[t], (abar[ts[i + 1]] if i + 1 < len(ts) else 1.0)
            x0 = (z - f32(np.sqrt(1 - a)) * eps) / f32(np.sqrt(a))
            z = (f32(np.sqrt(a_prev)) * x0 + f32(np.sqrt(1 - a_prev)) * eps).astype(f32)
        times["unet"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        to_rgba(sampler._run("vae_decoder", {"latent": (z / f32(lat["scale"])).astype(f32)})[0])
        times["decode"] = time.perf_counter() - t2
        times["total"] = time.perf_counter() - t0
        return times

    clip()
    runs = [clip() for _ in range(reps)]
    e2e = [1e3 * r["total"] for r in runs]
    return {
        "steps": steps,
        "unet_evals": 2 * steps,
        "guidance": guidance,
        "threads": threads,
        "e2e_ms": e2e,
        "e2e": summarize(e2e),
        "cfg_step": summarize([1e3 * r["unet"] / steps for r in runs]),
    }


def time_graph(path: Path, inputs: list[dict], outputs: list[str], threads: int, reps: int) -> dict:
    """Times one graph in a fresh Python process and reports its peak resident memory growth."""
    cmd = [
        sys.executable,
        "-m",
        "t2v_turbo.bench.native",
        "graph",
        "--path",
        str(path),
        "--threads",
        str(threads),
        "--reps",
        str(reps),
        "--inputs",
        json.dumps(inputs),
        "--outputs",
        ",".join(outputs),
    ]
    done = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"timing {path.name} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _memory_status() -> dict[str, int]:
    """Current (VmRSS) and peak (VmHWM) resident bytes of this process (Linux)."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) * 1024  # kB
    return out


def _reset_peak_rss() -> None:
    """Resets VmHWM to the current resident size (Linux >= 4.0), so the peak measured next is the graph's."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _graph_main(args) -> int:
    import onnxruntime as ort

    from .graphs import random_feeds

    feeds = random_feeds(json.loads(args.inputs))
    _reset_peak_rss()
    baseline = _memory_status()["VmRSS"]  # python, numpy, onnxruntime and the inputs: not the graph's
    t0 = time.perf_counter()
    session = ort.InferenceSession(
        args.path, _session_options(args.threads), providers=["CPUExecutionProvider"]
    )
    session_ms = 1e3 * (time.perf_counter() - t0)
    outputs = args.outputs.split(",")

    def once() -> float:
        t = time.perf_counter()
        session.run(outputs, feeds)
        return 1e3 * (time.perf_counter() - t)

    warmup = once()
    times = [once() for _ in range(args.reps)]
    print(
        json.dumps(
            {
                "session_ms": session_ms,
                "warmup": warmup,
                "times": times,
                "peak_rss_growth": _memory_status()["VmHWM"] - baseline,
                "threads": args.threads,
            }
        )
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m t2v_turbo.bench.native")
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("graph", help="time one graph in this process (used by time_graph)")
    g.add_argument("--path", required=True)
    g.add_argument("--threads", type=int, default=2)
    g.add_argument("--reps", type=int, default=5)
    g.add_argument("--inputs", required=True, help='JSON list of {"name", "dims"}')
    g.add_argument("--outputs", required=True, help="comma-separated output names")
    args = p.parse_args(argv)
    return _graph_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
