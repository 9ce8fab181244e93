"""ONNX export and post-processing: export a module, check it fits onnxruntime-web's WebGPU backend,
make fp16 and int8 variants, and measure parity against PyTorch with onnxruntime."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import torch

# Ops whose accuracy suffers in fp16 (statistics over many elements); they stay fp32 in fp16 graphs.
FP16_KEEP_FP32 = ["InstanceNormalization", "GroupNormalization", "LayerNormalization", "ReduceMean", "Pow", "Sqrt"]


@dataclass(frozen=True)
class Parity:
    """Largest absolute error, and that error relative to the reference's largest magnitude."""

    max_abs: float
    max_rel: float

    def __str__(self) -> str:
        return f"max abs {self.max_abs:.2e}, rel {self.max_rel:.2e}"


# Graphs whose weights exceed this are saved with their weights in `<file>.data` beside them:
# protobuf cannot hold 2 GB, and loading a big model's weights into one message doubles its memory.
LARGE_GRAPH_BYTES = 1 << 30


def export_onnx(
    module: torch.nn.Module,
    args: tuple,
    path: str | Path,
    input_names: list[str],
    output_names: list[str],
) -> Path:
    """Exports with the dynamo exporter (onnxscript), static shapes: one self-contained file, or for
    a module with more than LARGE_GRAPH_BYTES of weights, the graph plus `<path>.data`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    module = module.eval()
    large = sum(t.numel() * t.element_size() for t in module.state_dict().values()) > LARGE_GRAPH_BYTES
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        program = torch.onnx.export(
            module, args, dynamo=True, input_names=input_names, output_names=output_names, verbose=False
        )
        program.optimize()
        program.save(str(path), external_data=large)
        del program
    # Rewrites only the graph; external weights stay where they are.
    model = onnx.load(str(path), load_external_data=False)
    strip_metadata(model)
    collapse_repeated_constants(model.graph)
    onnx.save(model, str(path))
    onnx.checker.check_model(str(path))  # by path: also beyond 2 GB
    check_webgpu_ops(model, path.name)
    return path


def external_files(path: str | Path) -> set[str]:
    """File names (beside the graph) that hold its external weights."""
    model = onnx.load(str(path), load_external_data=False)
    return {e.value for t in model.graph.initializer for e in t.external_data if e.key == "location"}


def read_external(tensor: onnx.TensorProto, folder: Path) -> bytes:
    """An externally stored tensor's raw bytes, read from its file without loading anything else."""
    info = {e.key: e.value for e in tensor.external_data}
    with (folder / info["location"]).open("rb") as f:
        f.seek(int(info.get("offset", 0)))
        return f.read(int(info["length"])) if "length" in info else f.read()


def strip_metadata(model: onnx.ModelProto) -> None:
    """Drops the exporter's per-node stack traces and scopes, and the intermediate shape annotations
    (onnxruntime infers them): together they more than double a graph file's size."""
    for node in model.graph.node:
        del node.metadata_props[:]
        node.doc_string = ""
    del model.graph.value_info[:]
    shorten_names(model.graph)


def shorten_names(graph: onnx.GraphProto) -> None:
    """Renames internal values and nodes to short ids (the exporter's names are ~40 bytes each and a
    gradient graph has thousands); the graph's inputs and outputs keep their names."""
    keep = {v.name for v in graph.input} | {v.name for v in graph.output}
    names: dict[str, str] = {}

    def short(name: str) -> str:
        if not name or name in keep:
            return name
        if name not in names:
            names[name] = f"v{len(names):x}"
        return names[name]

    for tensor in graph.initializer:
        tensor.name = short(tensor.name)
    for i, node in enumerate(graph.node):
        node.name = f"n{i:x}"
        node.input[:] = [short(x) for x in node.input]
        node.output[:] = [short(x) for x in node.output]
        if any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in node.attribute):
            raise ValueError(f"node {node.op_type} has a subgraph; shorten_names does not rename inside subgraphs")


def collapse_repeated_constants(graph: onnx.GraphProto, min_elements: int = 1 << 14) -> int:
    """Stores once each large initializer that repeats along some axes, with an Expand node restoring
    its shape; returns the bytes saved. Constant folding materialises broadcasts: a traced gradient
    graph holds ones tensors and weights repeated over the batch, ~60% of the demo's own weights.
    Initializers kept in external files are left alone (they are not in memory here)."""
    from onnx import numpy_helper

    expands: list[onnx.NodeProto] = []
    saved = 0
    for tensor in graph.initializer:
        if tensor.data_location == onnx.TensorProto.EXTERNAL or int(np.prod(tensor.dims)) < min_elements:
            continue
        full = numpy_helper.to_array(tensor)
        once = full
        for axis in range(full.ndim):
            first = once.take([0], axis=axis)
            if once.shape[axis] > 1 and np.array_equal(once, np.broadcast_to(first, once.shape)):
                once = first
        if once.size == full.size:
            continue
        name = tensor.name
        tensor.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(once), f"{name}_once"))
        shape = numpy_helper.from_array(np.array(full.shape, dtype=np.int64), f"{name}_shape")
        expands.append(onnx.helper.make_node("Expand", [tensor.name, shape.name], [name], name=f"{name}_expand"))
        graph.initializer.append(shape)
        saved += full.nbytes - once.nbytes
    if expands:
        nodes = list(graph.node)
        del graph.node[:]
        graph.node.extend([*expands, *nodes])  # before any use
    return saved


def check_webgpu_ops(model: onnx.ModelProto, name: str) -> None:
    """onnxruntime-web's WebGPU backend runs only 1D/2D convolutions: refuse anything else here."""
    for node in model.graph.node:
        if node.op_type in ("Conv", "ConvTranspose"):
            kernel = next((a.ints for a in node.attribute if a.name == "kernel_shape"), None)
            if kernel is not None and len(kernel) > 2:
                raise ValueError(
                    f"{name}: node {node.name} is a {len(kernel)}D {node.op_type}; WebGPU runs only 1D/2D "
                    "convolutions (fold frames into the batch, or use a (T, H*W) view for temporal convs)"
                )


def op_types(path: str | Path) -> list[str]:
    return sorted({n.op_type for n in onnx.load(str(path)).graph.node})


def to_fp16(src: str | Path, dst: str | Path) -> Path:
    """fp16 weights and compute, float32 inputs/outputs (the engine's kernels stay in one dtype).

    Statistics ops (FP16_KEEP_FP32) stay float32. A graph with external weights is converted without
    loading them: the graph is rewritten, then each weight is streamed from `src`'s data file to
    `<dst>.data`, cast to fp16 where the converter retyped it.
    """
    from onnxruntime.transformers import float16

    src, dst = Path(src), Path(dst)
    model = onnx.load(str(src), load_external_data=False)
    external = [t for t in model.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL]
    if not external:
        model = onnx.load(str(src))
        half = float16.convert_float_to_float16(
            model, keep_io_types=True, op_block_list=FP16_KEEP_FP32, disable_shape_infer=False
        )
        toposort(half.graph)  # the converter appends its input casts after their consumers
        onnx.save(half, str(dst))
        onnx.checker.check_model(onnx.load(str(dst)))
        return dst
    source_types = {t.name: t.data_type for t in external}
    # The converter builds value infos from initializer data; ours is not loaded, and dims suffice.
    original = float16.make_value_info_from_tensor
    float16.make_value_info_from_tensor = lambda t: onnx.helper.make_tensor_value_info(t.name, t.data_type, t.dims)
    try:
        half = float16.convert_float_to_float16(
            model, keep_io_types=True, op_block_list=FP16_KEEP_FP32, disable_shape_infer=False
        )
    finally:
        float16.make_value_info_from_tensor = original
    toposort(half.graph)
    data_name = dst.name + ".data"
    offset = 0
    with (dst.parent / data_name).open("wb") as out:
        for tensor in half.graph.initializer:
            if tensor.data_location != onnx.TensorProto.EXTERNAL:
                continue
            raw = read_external(tensor, src.parent)
            if source_types[tensor.name] == onnx.TensorProto.FLOAT and tensor.data_type == onnx.TensorProto.FLOAT16:
                raw = float16.convert_np_to_float16(np.frombuffer(raw, np.float32)).tobytes()
            padding = (-offset) % 64
            out.write(b"\0" * padding)
            offset += padding
            del tensor.external_data[:]
            for key, value in (("location", data_name), ("offset", str(offset)), ("length", str(len(raw)))):
                entry = tensor.external_data.add()
                entry.key, entry.value = key, value
            out.write(raw)
            offset += len(raw)
    onnx.save(half, str(dst))
    onnx.checker.check_model(str(dst))
    return dst


def toposort(graph: onnx.GraphProto) -> None:
    """Reorders graph.node so that every node follows the producers of its inputs (Kahn, stable)."""
    import heapq

    nodes = list(graph.node)
    producer = {out: i for i, n in enumerate(nodes) for out in n.output}
    waiting = [0] * len(nodes)
    consumers: dict[int, list[int]] = {}
    for i, n in enumerate(nodes):
        deps = {producer[x] for x in n.input if x in producer}
        waiting[i] = len(deps)
        for d in deps:
            consumers.setdefault(d, []).append(i)
    ready = [i for i, w in enumerate(waiting) if w == 0]
    heapq.heapify(ready)
    ordered = []
    while ready:
        i = heapq.heappop(ready)
        ordered.append(nodes[i])
        for c in consumers.get(i, []):
            waiting[c] -= 1
            if waiting[c] == 0:
                heapq.heappush(ready, c)
    if len(ordered) != len(nodes):
        raise ValueError("graph has a cycle")
    del graph.node[:]
    graph.node.extend(ordered)


def to_int8(src: str | Path, dst: str | Path) -> Path:
    """Dynamic int8 quantisation (weights int8, activations quantised per call) for the WASM backend."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger("root").setLevel(logging.ERROR)
    quantize_dynamic(
        str(src),
        str(dst),
        weight_type=QuantType.QInt8,
        op_types_to_quantize=["MatMul", "Gather"],
        per_channel=True,
        extra_options={"MatMulConstBOnly": True},
    )
    return Path(dst)


def run_onnx(path: str | Path, feeds: dict[str, np.ndarray], threads: int = 2) -> list[np.ndarray]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def parity(actual: np.ndarray, expected: np.ndarray) -> Parity:
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    if actual.shape != expected.shape:
        raise ValueError(f"shape {actual.shape} != reference {expected.shape}")
    err = float(np.max(np.abs(actual - expected))) if actual.size else 0.0
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    return Parity(err, err / max(scale, 1e-12))
