"""`python -m t2v_turbo bench native`: every native measurement, written to one JSON file.

Per package: the reference sampler at 4 and 8 steps, the teacher's 50-step CFG clip, the student UNet
at each exported shape and the MatMul probe (each in a fresh process, with its peak memory), and the
FLOPs that turn times into rates. Once: the training throughput rows and the real model's FLOPs.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..config import config_from_dict
from ..export.manifest import load_manifest
from .flops import unet_flops, vae_decoder_flops, vc2_costs
from .graphs import export_benchmark_graphs
from .native import time_graph, time_sampler, time_teacher
from .stats import load_average, machine, summarize


def package_config(package: Path):
    """The package's training config (its manifest's provenance), validated."""
    return config_from_dict(load_manifest(package / "manifest.json")["provenance"]["config"])


def graphs_for(package: Path, graphs_root: Path, log=print, **export_options) -> tuple[Path, dict]:
    """The benchmark graphs of a package, exported now if missing or made from another UNet."""
    manifest = load_manifest(package / "manifest.json")
    folder = graphs_root / manifest["id"]
    index_path = folder / "index.json"
    unet_sha = next(v for v in manifest["graphs"]["unet"]["variants"] if v["precision"] == "fp32")["file"][
        "sha256"
    ]
    if index_path.is_file() and json.loads(index_path.read_text()).get("unet_sha256") == unet_sha:
        return folder, json.loads(index_path.read_text())
    return folder, export_benchmark_graphs(package, folder, log=log, **export_options)


def measure_package(
    package: Path,
    graphs_root: Path,
    threads: int,
    reps: int,
    teacher_reps: int,
    steps: tuple[int, ...] = (4, 8),
    log=print,
    **export_options,
) -> dict:
    manifest = load_manifest(package / "manifest.json")
    cfg = package_config(package)
    folder, index = graphs_for(package, graphs_root, log, **export_options)
    pid = manifest["id"]
    out: dict = {
        "video": manifest["video"],
        "latent": manifest["latent"],
        "requirements": manifest["requirements"],
        "student": index["student"],
        "flops": {
            "unet_gflop_per_pass": unet_flops(cfg, cfg.latent_shape) / 1e9,
            "teacher_cfg_gflop_per_step": index["teacher_cfg"]["gflop"],
            "vae_decode_gflop": vae_decoder_flops(cfg, cfg.geometry.frames) / 1e9,
        },
    }
    out["sampler"] = {}
    for s in steps:
        log(f"[bench] {pid}: reference sampler, {s} steps x {reps}")
        out["sampler"][str(s)] = time_sampler(package, s, threads, reps)
    log(f"[bench] {pid}: teacher, 50 steps with CFG x {teacher_reps}")
    out["teacher"] = {
        "source": index["teacher_cfg"]["source"],
        **time_teacher(package, folder / index["teacher_cfg"]["file"], threads, teacher_reps),
    }
    shapes = []
    for entry in index["unet_shapes"]:
        log(f"[bench] {pid}: {entry['file']} x {reps}")
        r = time_graph(folder / entry["file"], entry["inputs"], entry["outputs"], threads, reps)
        shapes.append(
            {
                **{k: entry[k] for k in ("file", "frames", "height", "width", "latent", "gflop")},
                "native": {**r, "step": summarize(r["times"])},
            }
        )
    out["shapes"] = shapes
    probe = index["probe"]
    r = time_graph(folder / probe["file"], probe["inputs"], probe["outputs"], threads, reps)
    out["probe"] = {"gflop": probe["gflop"], "native": {**r, "run": summarize(r["times"])}}
    eff = index["efficiency"]
    log(f"[bench] {pid}: efficiency workload ({eff['source']}) x {reps}")
    r = time_graph(folder / eff["file"], eff["inputs"], eff["outputs"], threads, reps)
    out["efficiency"] = {
        **{k: eff[k] for k in ("file", "source", "latent", "gflop")},
        "native": {**r, "run": summarize(r["times"])},
    }
    return out


def native_suite(
    packages: list[Path],
    graphs_root: Path,
    threads: int,
    reps: int,
    teacher_reps: int,
    training: bool,
    training_steps: int,
    command: str,
    log=print,
    **export_options,
) -> dict:
    from .training import training_throughput

    start = machine()
    t0 = time.perf_counter()
    result: dict = {"machine": start, "command": command, "threads": threads, "packages": {}}
    for package in packages:
        pid = load_manifest(package / "manifest.json")["id"]
        result["packages"][pid] = measure_package(
            package, graphs_root, threads, reps, teacher_reps, log=log, **export_options
        )
    if training:
        first = packages[0]
        cfg = package_config(first)
        from .graphs import DEFAULT_TEACHER

        log(f"[bench] training throughput ({load_manifest(first / 'manifest.json')['id']} config)")
        result["training"] = {
            "package": load_manifest(first / "manifest.json")["id"],
            **training_throughput(cfg, DEFAULT_TEACHER, steps=training_steps, threads=threads),
        }
    result["vc2"] = vc2_costs()
    result["machine"]["load_average_end"] = load_average()
    result["seconds"] = time.perf_counter() - t0
    return result
