"""What a package needs from a GPU, measured on its graphs rather than guessed from the config.

Every graph has static shapes, so ONNX shape inference gives the size of every tensor. Walking the
nodes in order and freeing each tensor after its last use gives the peak of live activations — the
least any runtime must hold — and the largest single tensor, which must fit one GPU buffer
(WebGPU's maxStorageBufferBindingSize; 1 GiB on SwiftShader, 2-4 GiB on desktop GPUs, 128 MiB by
default). The manifest's `requirements` state both for the WebGPU path (docs/MODEL_FORMAT.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import onnx

DTYPE_BYTES = {
    onnx.TensorProto.FLOAT: 4, onnx.TensorProto.FLOAT16: 2, onnx.TensorProto.BFLOAT16: 2,
    onnx.TensorProto.DOUBLE: 8, onnx.TensorProto.INT64: 8, onnx.TensorProto.INT32: 4,
    onnx.TensorProto.INT8: 1, onnx.TensorProto.UINT8: 1, onnx.TensorProto.BOOL: 1,
}
# onnxruntime-web keeps freed GPU buffers in size buckets for reuse; allow a quarter more than the
# exact peak of live activations for that rounding and for kernels' scratch buffers.
ALLOCATOR_MARGIN = 1.25


@dataclass(frozen=True)
class GraphMemory:
    weight_bytes: int  # initializers
    peak_activation_bytes: int  # live inputs and intermediates at the worst node (graph order)
    largest_tensor_bytes: int  # the largest single tensor, weight or activation
    largest_tensor: str  # its name, for messages
    unknown_shapes: int  # intermediates shape inference could not size (counted as 0)


def _bytes(t: onnx.TypeProto) -> int | None:
    tensor = t.tensor_type
    if not tensor.HasField("shape") or tensor.elem_type not in DTYPE_BYTES:
        return None
    dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]
    if any(d is None for d in dims):
        return None
    return math.prod(dims) * DTYPE_BYTES[tensor.elem_type]


def graph_memory(path: str | Path) -> GraphMemory:
    """Weights, peak live activations and the largest tensor of one graph (external data not read)."""
    model = onnx.shape_inference.infer_shapes(onnx.load(str(path), load_external_data=False))
    graph = model.graph
    weights = {t.name: math.prod(t.dims) * DTYPE_BYTES.get(t.data_type, 4) for t in graph.initializer}
    sizes: dict[str, int | None] = {v.name: _bytes(v.type) for v in [*graph.input, *graph.value_info, *graph.output]}
    last_use: dict[str, int] = {}
    for i, node in enumerate(graph.node):
        for name in node.input:
            last_use[name] = i
    outputs = {o.name for o in graph.output}
    live = sum(sizes.get(v.name) or 0 for v in graph.input if v.name not in weights)
    peak, unknown = live, 0
    for i, node in enumerate(graph.node):
        for name in node.output:
            size = sizes.get(name)
            unknown += size is None and bool(name)
            live += size or 0
        peak = max(peak, live)
        for name in set(node.input):
            if name and last_use.get(name) == i and name not in weights and name not in outputs:
                live -= sizes.get(name) or 0
    every = {**{k: v or 0 for k, v in sizes.items()}, **weights}
    largest = max(every, key=every.get) if every else ""
    return GraphMemory(sum(weights.values()), peak, every.get(largest, 0), largest, unknown)


def webgpu_variant(graph: dict) -> dict | None:
    """The variant the WebGPU path prefers: fp16 where the package has it, else fp32."""
    on_gpu = [v for v in graph["variants"] if "webgpu" in v["backends"]]
    for precision in ("fp16", "fp32"):
        for v in on_gpu:
            if v["precision"] == precision:
                return v
    return None


def package_requirements(folder: Path, graphs: dict) -> dict:
    """`gpu_memory_bytes` (weights of the WebGPU variants, each shard once, plus the largest graph's
    peak activations with ALLOCATOR_MARGIN) and `max_buffer_bytes` (the largest single tensor)."""
    files: dict[str, int] = {}
    peak, largest = 0, 0
    for graph in graphs.values():
        variant = webgpu_variant(graph)
        if variant is None:  # e.g. an int8 text encoder: runs on WASM, in CPU memory
            continue
        for ref in (variant["file"], *variant.get("external_data", [])):
            files[ref["path"]] = ref["bytes"]
        memory = graph_memory(folder / variant["file"]["path"])
        peak = max(peak, memory.peak_activation_bytes)
        largest = max(largest, memory.largest_tensor_bytes)
    return {"gpu_memory_bytes": int(sum(files.values()) + ALLOCATOR_MARGIN * peak), "max_buffer_bytes": largest}
