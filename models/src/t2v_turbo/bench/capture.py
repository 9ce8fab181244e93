"""One-operator ONNX graphs, one per operator type our UNet graphs use, for the graph-capture
experiment of `npm run bench` (e2e/harness/graph-capture.ts): which operators onnxruntime-web can
record and replay with `enableGraphCapture`. A UNet can be captured only if every one of them can.

Each graph takes float32 inputs and gives float32 outputs (all bound to GPU buffers in the
experiment); shape-like operands (Reshape's shape, Split's sizes, ...) are int64 initializers, as in
the exported graphs.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 20  # the exported graphs' opset (Gelu needs 20)
X = [4, 8, 16, 16]  # (N, C, H, W): a small activation


def _const(name: str, values, dtype=np.float32) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(values, dtype=dtype), name)


def _graphs() -> dict[str, tuple[list, list, list, list]]:
    """op type -> (nodes, inputs, outputs, initializers); inputs/outputs as (name, dims)."""
    n = helper.make_node
    x, y = [("x", X)], [("y", X)]
    return {
        "Add": ([n("Add", ["x", "x"], ["y"])], x, y, []),
        "Mul": ([n("Mul", ["x", "x"], ["y"])], x, y, []),
        "Sigmoid": ([n("Sigmoid", ["x"], ["y"])], x, y, []),
        "Gelu": ([n("Gelu", ["x"], ["y"])], x, y, []),
        "Softmax": ([n("Softmax", ["x"], ["y"], axis=-1)], x, y, []),
        "Sin": ([n("Sin", ["x"], ["y"])], x, y, []),
        "Cos": ([n("Cos", ["x"], ["y"])], x, y, []),
        "Transpose": ([n("Transpose", ["x"], ["y"], perm=[0, 2, 3, 1])], x, [("y", [4, 16, 16, 8])], []),
        "Reshape": (
            [n("Reshape", ["x", "shape"], ["y"])],
            x,
            [("y", [4, 8, 256])],
            [_const("shape", [4, 8, 256], np.int64)],
        ),
        "Unsqueeze": (
            [n("Unsqueeze", ["x", "axes"], ["y"])],
            x,
            [("y", [4, 1, 8, 16, 16])],
            [_const("axes", [1], np.int64)],
        ),
        "Expand": (
            [n("Expand", ["t", "shape"], ["y"])],
            [("t", [1, 8])],
            [("y", [4, 8])],
            [_const("shape", [4, 8], np.int64)],
        ),
        "Concat": ([n("Concat", ["x", "x"], ["y"], axis=1)], x, [("y", [4, 16, 16, 16])], []),
        "Split": (
            [n("Split", ["x", "sizes"], ["y", "z"], axis=1)],
            x,
            [("y", [4, 4, 16, 16]), ("z", [4, 4, 16, 16])],
            [_const("sizes", [4, 4], np.int64)],
        ),
        "MatMul": ([n("MatMul", ["x", "x"], ["y"])], x, y, []),
        "Gemm": (
            [n("Gemm", ["t", "w", "b"], ["y"], transB=1)],
            [("t", [2, 16])],
            [("y", [2, 32])],
            [_const("w", np.full((32, 16), 0.01)), _const("b", np.zeros(32))],
        ),
        "Conv": (
            [n("Conv", ["x", "w", "b"], ["y"], pads=[1, 1, 1, 1])],
            x,
            y,
            [_const("w", np.full((8, 8, 3, 3), 0.01)), _const("b", np.zeros(8))],
        ),
        "InstanceNormalization": (
            [n("InstanceNormalization", ["x", "s", "b"], ["y"])],
            x,
            y,
            [_const("s", np.ones(8)), _const("b", np.zeros(8))],
        ),
        "LayerNormalization": (
            [n("LayerNormalization", ["x", "s", "b"], ["y"], axis=-1)],
            x,
            y,
            [_const("s", np.ones(16)), _const("b", np.zeros(16))],
        ),
        "Resize": (
            [n("Resize", ["x", "", "scales"], ["y"], mode="nearest")],
            x,
            [("y", [4, 8, 32, 32])],
            [_const("scales", [1, 1, 2, 2])],
        ),
    }


def _infos(items: list[tuple[str, list[int]]]) -> list[onnx.ValueInfoProto]:
    return [helper.make_tensor_value_info(name, TensorProto.FLOAT, dims) for name, dims in items]


def op_types(graph: Path) -> list[str]:
    """The operator types a graph file uses (its weights are not read)."""
    model = onnx.load(str(graph), load_external_data=False)
    return sorted({node.op_type for node in model.graph.node})


def write_op_graphs(out: Path, wanted: list[str]) -> list[dict]:
    """One graph per wanted op type we know how to build; returns their index entries."""
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for op, (nodes, inputs, outputs, inits) in _graphs().items():
        if op not in wanted:
            continue
        graph = helper.make_graph(nodes, op, _infos(inputs), _infos(outputs), initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=10)
        onnx.checker.check_model(model)
        onnx.save(model, str(out / f"{op}.onnx"))
        entries.append(
            {
                "op": op,
                "file": f"ops/{op}.onnx",
                "inputs": [{"name": k, "dims": d} for k, d in inputs],
                "outputs": [{"name": k, "dims": d} for k, d in outputs],
            }
        )
    (out / "index.json").write_text(json.dumps(entries, indent=1) + "\n")
    return entries
