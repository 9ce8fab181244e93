"""Writes a browser model package: ONNX graphs at each precision, the tokenizer's vocabulary, and a
manifest validated against the schema shared with the studio. Every graph variant is checked against
PyTorch with onnxruntime on the way out; the errors go to `report.json` beside the manifest.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .manifest import MANIFEST_FORMAT, validate_manifest
from .onnx_tools import Parity, export_onnx, external_files, parity, run_onnx, to_fp16, to_int8

# Tolerances of the parity check, relative to the reference's largest magnitude. fp32 differs from
# PyTorch only by operation order; fp16 rounds weights and activations (10-bit mantissa); int8 also
# quantises activations per call.
TOLERANCE = {"fp32": 1e-4, "fp16": 2e-2, "int8": 8e-2}

PRECISION_BACKENDS = {
    "fp32": (["webgpu", "wasm"], []),
    "fp16": (["webgpu"], ["shader-f16"]),
    "int8": (["wasm"], []),
}


@dataclass
class GraphSpec:
    """One graph of a package: the module to export, example inputs, names, precisions to ship."""

    role: str
    module: nn.Module
    inputs: dict[str, torch.Tensor]
    outputs: list[str]
    precisions: list[str]
    # Named dynamic axes of the manifest's shapes: {input or output name: {axis index: name}}.
    axes: dict[str, dict[int, str]] = field(default_factory=dict)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_ref(folder: Path, name: str) -> dict:
    path = folder / name
    return {"path": name, "bytes": path.stat().st_size, "sha256": sha256(path)}


def _dtype(t: torch.Tensor) -> str:
    return {torch.float32: "float32", torch.int64: "int64", torch.float16: "float16"}[t.dtype]


def _tensor_specs(named: dict[str, torch.Tensor], axes: dict[str, dict[int, str]]) -> list[dict]:
    specs = []
    for name, t in named.items():
        shape: list[int | str] = list(t.shape)
        for index, axis in axes.get(name, {}).items():
            shape[index] = axis
        specs.append({"name": name, "dtype": _dtype(t), "shape": shape})
    return specs


def export_graph(
    spec: GraphSpec, folder: Path, report: dict, log: Callable[[str], None] = print, check_parity: bool = True
) -> dict:
    """Exports one graph at every requested precision; returns its manifest entry.

    `check_parity=False` skips running the graph (PyTorch and onnxruntime): for full-size networks
    on a machine without the memory or time for it; the manifest's output shapes then come from the
    exported graph itself.
    """
    names = list(spec.inputs)
    args = tuple(spec.inputs.values())
    expected = None
    if check_parity:
        with torch.no_grad():
            expected = spec.module(*args)
        expected = expected if isinstance(expected, tuple) else (expected,)
        expected_np = [e.detach().float().numpy() for e in expected]
        feeds = {k: v.numpy() for k, v in spec.inputs.items()}

    t0 = time.perf_counter()
    fp32 = folder / f"{spec.role}.fp32.onnx"
    export_onnx(spec.module, args, fp32, names, spec.outputs)
    log(f"  {spec.role}: exported in {time.perf_counter() - t0:.1f} s")
    files = {"fp32": fp32}
    if "fp16" in spec.precisions:
        files["fp16"] = to_fp16(fp32, folder / f"{spec.role}.fp16.onnx")
    if "int8" in spec.precisions:
        files["int8"] = to_int8(fp32, folder / f"{spec.role}.int8.onnx")

    variants, checks = [], {}
    for precision in spec.precisions:
        path = files[precision]
        size = sum((folder / n).stat().st_size for n in {path.name, *external_files(path)})
        backends, requires = PRECISION_BACKENDS[precision]
        variants.append({"precision": precision, "file": file_ref(folder, path.name), "backends": backends,
                         "requires": requires})
        if expected is None:
            log(f"  {spec.role} {precision}: {size / 1e6:.2f} MB (parity not checked)")
            continue
        got = run_onnx(path, feeds)
        errors = {name: parity(g, e) for name, g, e in zip(spec.outputs, got, expected_np, strict=True)}
        worst = max(errors.values(), key=lambda p: p.max_rel)
        checks[precision] = {name: {"max_abs": p.max_abs, "max_rel": p.max_rel} for name, p in errors.items()}
        log(f"  {spec.role} {precision}: {size / 1e6:.2f} MB, worst {worst}")
        if worst.max_rel > TOLERANCE[precision]:
            raise ValueError(
                f"{spec.role} {precision} differs from PyTorch by {worst} (tolerance {TOLERANCE[precision]:.0e} relative)"
            )
    for precision, path in files.items():
        if precision not in spec.precisions:
            for name in external_files(path):
                (folder / name).unlink(missing_ok=True)
            path.unlink()
    report[spec.role] = checks if expected is not None else "not checked"
    if expected is not None:
        outputs = _tensor_specs(dict(zip(spec.outputs, expected, strict=True)), spec.axes)
    else:
        outputs = _graph_output_specs(files[spec.precisions[0]], spec.axes)
    return {"inputs": _tensor_specs(spec.inputs, spec.axes), "outputs": outputs, "variants": variants}


def _graph_output_specs(path: Path, axes: dict[str, dict[int, str]]) -> list[dict]:
    """Output names, dtypes and static shapes as the exported graph declares them."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    dtypes = {onnx.TensorProto.FLOAT: "float32", onnx.TensorProto.FLOAT16: "float16", onnx.TensorProto.INT64: "int64"}
    specs = []
    for out in model.graph.output:
        t = out.type.tensor_type
        shape: list[int | str] = [d.dim_value for d in t.shape.dim]
        for index, axis in axes.get(out.name, {}).items():
            shape[index] = axis
        specs.append({"name": out.name, "dtype": dtypes[t.elem_type], "shape": shape})
    return specs


def externalize(folder: Path, graphs: dict) -> None:
    """Moves each precision's weights to shared shards (see external.py) and updates the graphs'
    manifest entries (file hashes change; `external_data` lists the shards each graph reads)."""
    from .external import share_weights

    refs: dict[str, dict] = {}
    precisions = {v["precision"] for g in graphs.values() for v in g["variants"]}
    for precision in sorted(precisions):
        variants = [v for g in graphs.values() for v in g["variants"] if v["precision"] == precision]
        files = [folder / v["file"]["path"] for v in variants]
        needs = share_weights(files, precision)
        for variant, path in zip(variants, files, strict=True):
            variant["file"] = file_ref(folder, path.name)
            variant["external_data"] = [refs.setdefault(n, file_ref(folder, n)) for n in needs[path]]


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True)
        return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_package(folder: Path, manifest: dict, report: dict) -> dict:
    """Validates and writes manifest.json (and report.json); returns the manifest."""
    manifest = {"format": MANIFEST_FORMAT, **manifest}
    validate_manifest(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (folder / "report.json").write_text(json.dumps(report, indent=1, default=_jsonable) + "\n")
    return manifest


def copy_vocab(src: Path, folder: Path) -> dict:
    shutil.copyfile(src, folder / "vocab.txt")
    return file_ref(folder, "vocab.txt")


def weight_bytes(folder: Path, graphs: dict, precision: str) -> int:
    """Bytes of the graph files one backend loads: `precision` where a graph has it, else its first
    variant; a weight shard shared by several graphs counts once (it is downloaded once)."""
    files: dict[str, int] = {}
    for graph in graphs.values():
        chosen = next((v for v in graph["variants"] if v["precision"] == precision), graph["variants"][0])
        for ref in (chosen["file"], *chosen.get("external_data", [])):
            files[ref["path"]] = ref["bytes"]
    return sum(files.values())


def _jsonable(o):
    if isinstance(o, Parity):
        return {"max_abs": o.max_abs, "max_rel": o.max_rel}
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(type(o))


def register_package(models_dir: Path, model_id: str, default: bool = False) -> list[str]:
    """Adds the package to models_dir/index.json (the studio's list of bundled packages; the first is
    loaded at start-up). `default` puts it first."""
    index = models_dir / "index.json"
    ids = json.loads(index.read_text())["packages"] if index.exists() else []
    ids = [i for i in ids if i != model_id and (models_dir / i / "manifest.json").exists()]
    ids = [model_id, *ids] if default else [*ids, model_id]
    index.write_text(json.dumps({"packages": ids}) + "\n")
    return ids
