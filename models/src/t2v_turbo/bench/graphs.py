"""Graphs the benchmarks need beyond a package's own, written to one folder with an index.json:

  unet-f{T}-{H}x{W}.onnx  the package's student UNet (the same module as its `unet` graph, attention
                          maps included) exported at other static shapes: the cost curves
  teacher_cfg.onnx        the teacher UNet at batch 2 (conditional + unconditional): one CFG step
  ops/<Op>.onnx           one-operator graphs of the UNet's op types, for the graph-capture experiment
  probe.onnx              a square MatMul: the best dense rate a runtime reaches here, the yardstick
                          for kernel efficiency
  efficiency.onnx         the demo model's UNet architecture at its own shape, when the package is
                          not that model (micro): the op mix whose efficiency the GPU estimate needs.
                          Weights: the demo teacher's newest checkpoint (the student is a fine-tune of
                          it, same ops and shapes), else a seeded init: values do not change the cost

The student's PyTorch weights must be the package's: they are checked against the package's own
`unet` graph (onnxruntime, same inputs) before anything is exported.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper
from torch import nn

from ..config import Config, resolve_config
from ..export.graphs import UNetGraph
from ..export.manifest import load_manifest
from ..export.onnx_tools import export_onnx, parity
from ..nets.unet3d import UNet3D
from .flops import unet_flops

REPO = Path(__file__).resolve().parents[4]
DEFAULT_STUDENT = REPO / "models" / "runs" / "post" / "student" / "final"
DEFAULT_TEACHER = REPO / "models" / "runs" / "demo" / "teacher-top" / "final"  # make-demo-base's second stage
SHAPE_FRAMES = (8, 16, 32)  # the frame counts
SHAPE_SCALES = (1, 2)  # the package's resolution and twice its side
PROBE_SIZE = 1024  # a 1024^3 MatMul: 2.1 GFLOP, large enough to reach a runtime's best rate
PARITY_TOLERANCE = 1e-4  # relative, as the exporter's fp32 check (export/package.py)


@dataclass
class Network:
    """A UNet with its config, and where its weights come from (said in the report)."""

    unet: UNet3D
    cfg: Config
    source: str


def _is_micro(manifest: dict) -> bool:
    return manifest["id"] == "micro" and manifest["provenance"]["training_steps"] == {"random_init": 0}


def package_student(package: Path, student: str | Path | None = None) -> Network:
    """The PyTorch student behind a package's `unet` graph, verified against that graph. The random
    micro package is rebuilt from its seed (a `student` path applies to trained packages only)."""
    from ..train.distill import load_student

    manifest = load_manifest(package / "manifest.json")
    if _is_micro(manifest):
        from ..export.build import micro_networks

        net = micro_networks(0)  # export-micro's default seed: the package is a pure function of it
        found = Network(net.unet.eval(), net.cfg, "micro_networks(seed 0), the package's own random weights")
    else:
        path = Path(student) if student else DEFAULT_STUDENT
        if not (path / "model.safetensors").is_file():
            raise FileNotFoundError(
                f"no student checkpoint at {path}: pass --student with the final/ folder the package "
                f"'{manifest['id']}' was exported from"
            )
        unet, cfg, _ = load_student(path)
        found = Network(unet, cfg, f"student checkpoint {path}")
    check_against_package(found, package, manifest)
    return found


def package_teacher(package: Path, teacher: str | Path | None, student: Network) -> Network:
    """The teacher the package's student was distilled from, or (micro: it has none) the student's
    own UNet as a stand-in with the same architecture and cost, labelled as such."""
    from ..train.teacher import load_teacher

    manifest = load_manifest(package / "manifest.json")
    if _is_micro(manifest):
        return Network(
            student.unet, student.cfg, "no teacher (micro): the student's UNet, same architecture and cost"
        )
    path = Path(teacher) if teacher else DEFAULT_TEACHER
    if not (path / "model.safetensors").is_file():
        raise FileNotFoundError(f"no teacher checkpoint at {path}: pass --teacher")
    unet, cfg, _ = load_teacher(path)
    if cfg.to_dict()["unet"] != student.cfg.to_dict()["unet"]:
        raise ValueError(f"the teacher at {path} has another UNet config than the package's student")
    return Network(unet, cfg, f"teacher checkpoint {path}")


def _unet_inputs(cfg: Config, latent: tuple[int, int, int, int], batch: int = 1, seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {
        "sample": torch.randn(batch, *latent, generator=g),  # (B, C, T, h, w)
        "timestep": torch.full((batch,), 499.0),
        "context": torch.randn(batch, cfg.text.max_length, cfg.text.embed_dim, generator=g),  # (B, L, D)
        "guidance": torch.full((batch,), 7.5),
        "motion": torch.full((batch,), 0.5),
    }


def check_against_package(net: Network, package: Path, manifest: dict) -> float:
    """Max relative error of eps between the PyTorch UNet and the package's fp32 `unet` graph."""
    import onnxruntime as ort

    lat = manifest["latent"]
    latent = (lat["channels"], lat["frames"], lat["height"], lat["width"])
    if tuple(net.cfg.latent_shape) != latent:
        raise ValueError(f"{net.source} makes latents {net.cfg.latent_shape}, the package {latent}")
    inputs = _unet_inputs(net.cfg, latent)
    with torch.no_grad():
        expected = UNetGraph(net.unet.eval(), float(manifest["video"]["fps"]), with_attention=False)(
            *inputs.values()
        )
    variant = next(v for v in manifest["graphs"]["unet"]["variants"] if v["precision"] == "fp32")
    session = ort.InferenceSession(str(package / variant["file"]["path"]), providers=["CPUExecutionProvider"])
    got = session.run(["eps"], {k: v.numpy() for k, v in inputs.items()})[0]
    error = parity(got, expected.numpy()).max_rel
    if error > PARITY_TOLERANCE:
        raise ValueError(f"{net.source} is not the package's UNet: eps differs by {error:.2e} relative")
    return error


def efficiency_network() -> Network:
    """The `demo` preset's UNet: trained teacher weights when there are any, else a seeded init."""
    from ..train import checkpoint as ckpt
    from ..train.teacher import build_unet, load_teacher

    cfg = resolve_config("demo")
    run = DEFAULT_TEACHER.parent
    candidates = (
        [DEFAULT_TEACHER, *reversed(ckpt.list_checkpoints(run))] if run.is_dir() else [DEFAULT_TEACHER]
    )
    for path in candidates:
        if (path / "model.safetensors").is_file():
            unet, t_cfg, _ = load_teacher(path)
            if t_cfg.to_dict()["unet"] == cfg.to_dict()["unet"]:
                return Network(unet, t_cfg, f"the demo architecture: teacher weights from {path}")
    torch.manual_seed(0)
    return Network(
        build_unet(cfg).eval(), cfg, "the demo architecture, seeded init (no teacher checkpoint yet)"
    )


class TeacherCfgGraph(nn.Module):
    """One classifier-free-guidance step of the teacher: (sample, timestep, context) at batch 2
    (conditional, unconditional) -> eps. Teachers ignore w and motion (combine_proj is zero)."""

    def __init__(self, unet: UNet3D, fps: float):
        super().__init__()
        self.unet = unet
        self.register_buffer("fps", torch.tensor([float(fps)]), persistent=False)

    def forward(self, sample, timestep, context):
        return self.unet(sample, timestep, context, self.fps.expand(sample.shape[0]))


def probe_graph(path: Path, n: int = PROBE_SIZE) -> dict:
    """A MatMul (n, n) x (n, n) with both operands as inputs (no weights in the file)."""
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [n, n])
    c = helper.make_tensor_value_info("c", TensorProto.FLOAT, [n, n])
    graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], "probe", [a, b], [c])
    # IR version 10 (ONNX 1.16): onnxruntime-web 1.30 reads up to 13; the helper would write the newest.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return {
        "file": path.name,
        "inputs": [{"name": "a", "dims": [n, n]}, {"name": "b", "dims": [n, n]}],
        "outputs": ["c"],
        "gflop": 2 * n**3 / 1e9,
    }


def _spec(inputs: dict[str, torch.Tensor]) -> list[dict]:
    return [{"name": k, "dims": list(v.shape)} for k, v in inputs.items()]


def export_benchmark_graphs(
    package: str | Path,
    out: str | Path,
    student: str | Path | None = None,
    teacher: str | Path | None = None,
    frames: tuple[int, ...] = SHAPE_FRAMES,
    scales: tuple[int, ...] = SHAPE_SCALES,
    log=print,
) -> dict:
    """Exports the cost-curve UNets, the teacher's CFG graph and the probe; returns (and writes) the index."""
    package, out = Path(package), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = load_manifest(package / "manifest.json")
    net = package_student(package, student)
    error = check_against_package(net, package, manifest)
    log(
        f"[bench] {manifest['id']}: {net.source}; eps matches the package's unet graph to {error:.1e} relative"
    )
    fps = float(manifest["video"]["fps"])
    module = UNetGraph(net.unet.eval(), fps)
    with torch.no_grad():
        _, *maps = module(*_unet_inputs(net.cfg, net.cfg.latent_shape).values())
    outputs = ["eps", *(f"attn_{i}" for i in range(len(maps)))]
    C, _, h0, w0 = net.cfg.latent_shape
    down = manifest["latent"]["downsample"]
    # Files exported from this very package (same UNet graph hash) are reused; anything else is redone.
    unet_fp32 = next(v for v in manifest["graphs"]["unet"]["variants"] if v["precision"] == "fp32")["file"]
    unet_sha, unet_file = unet_fp32["sha256"], unet_fp32["path"]
    previous = json.loads((out / "index.json").read_text()) if (out / "index.json").is_file() else {}
    reuse = previous.get("unet_sha256") == unet_sha
    shapes = []
    for scale in scales:
        for T in frames:
            h, w = h0 * scale, w0 * scale
            name = f"unet-f{T}-{h * down}x{w * down}.onnx"
            inputs = _unet_inputs(net.cfg, (C, T, h, w))
            if not (reuse and (out / name).is_file()):
                t0 = time.perf_counter()
                export_onnx(module, tuple(inputs.values()), out / name, list(inputs), outputs)
                log(f"[bench]   {name}: exported in {time.perf_counter() - t0:.0f} s")
            shapes.append(
                {
                    "file": name,
                    "frames": T,
                    "height": h * down,
                    "width": w * down,
                    "latent": [C, T, h, w],
                    "inputs": _spec(inputs),
                    "outputs": outputs,
                    "gflop": unet_flops(net.cfg, (C, T, h, w)) / 1e9,
                }
            )

    teacher_net = package_teacher(package, teacher, net)
    t_inputs = {
        k: v
        for k, v in _unet_inputs(net.cfg, net.cfg.latent_shape, batch=2).items()
        if k in ("sample", "timestep", "context")
    }
    if not (
        reuse
        and previous.get("teacher_cfg", {}).get("source") == teacher_net.source
        and (out / "teacher_cfg.onnx").is_file()
    ):
        export_onnx(
            TeacherCfgGraph(teacher_net.unet.eval(), fps),
            tuple(t_inputs.values()),
            out / "teacher_cfg.onnx",
            list(t_inputs),
            ["eps"],
        )
    # The efficiency workload: the package's own UNet when it is the demo architecture, else that architecture.
    demo = resolve_config("demo")
    if net.cfg.to_dict()["unet"] == demo.to_dict()["unet"] and net.cfg.latent_shape == demo.latent_shape:
        own = next(s for s in shapes if s["frames"] == net.cfg.geometry.frames and s["latent"][2] == h0)
        efficiency = {**own, "source": net.source}
    else:
        eff = efficiency_network()
        e_inputs = _unet_inputs(eff.cfg, eff.cfg.latent_shape)
        e_module = UNetGraph(eff.unet.eval(), float(eff.cfg.geometry.fps))
        with torch.no_grad():
            _, *e_maps = e_module(*e_inputs.values())
        e_outputs = ["eps", *(f"attn_{i}" for i in range(len(e_maps)))]
        if not (
            reuse
            and previous.get("efficiency", {}).get("source") == eff.source
            and (out / "efficiency.onnx").is_file()
        ):
            export_onnx(
                e_module, tuple(e_inputs.values()), out / "efficiency.onnx", list(e_inputs), e_outputs
            )
        efficiency = {
            "file": "efficiency.onnx",
            "source": eff.source,
            "latent": list(eff.cfg.latent_shape),
            "inputs": _spec(e_inputs),
            "outputs": e_outputs,
            "gflop": unet_flops(eff.cfg, eff.cfg.latent_shape) / 1e9,
        }
    index = {
        "package": manifest["id"],
        "unet_sha256": unet_sha,
        "efficiency": efficiency,
        "student": {"source": net.source, "parity_max_rel": error},
        "unet_shapes": shapes,
        "teacher_cfg": {
            "file": "teacher_cfg.onnx",
            "source": teacher_net.source,
            "inputs": _spec(t_inputs),
            "outputs": ["eps"],
            "gflop": unet_flops(net.cfg, net.cfg.latent_shape, batch=2) / 1e9,
        },
        "probe": probe_graph(out / "probe.onnx"),
        "capture_ops": capture_ops(package / unet_file, out / "ops"),
    }
    (out / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    return index


def capture_ops(unet: Path, out: Path) -> dict:
    """One-operator graphs for every op type of the package's UNet (the graph-capture experiment)."""
    from .capture import op_types, write_op_graphs

    used = op_types(unet)
    graphs = write_op_graphs(out, used)
    return {"unet_ops": used, "graphs": graphs, "not_covered": sorted(set(used) - {g["op"] for g in graphs})}


def random_feeds(inputs: list[dict], seed: int = 0) -> dict[str, np.ndarray]:
    """float32 inputs of the listed dims, reproducible."""
    rng = np.random.default_rng(seed)
    return {i["name"]: rng.standard_normal(i["dims"]).astype(np.float32) for i in inputs}
