"""Weights shared between graphs and split into browser-sized shards, as ONNX external data.

The gradient graph repeats every UNet weight, and a large model's weights exceed what one buffer
or one file may hold in a browser (one ArrayBuffer ~2 GB, a storage binding 1 GiB, protobuf 2 GB).
So the initializers of all graphs of one precision go to `weights.<precision>.<k>.bin` shards,
each tensor stored once (deduplicated by content) and never split across shards; every graph
points at them by (location, offset, length), and the manifest lists the shards a graph needs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import onnx
from onnx import numpy_helper

from .onnx_tools import read_external, strip_metadata

# Tensors below this stay inside the graph file (shapes, small constants).
MIN_EXTERNAL_BYTES = 256
# Shard size: far below the 1 GiB storage-binding and ~2 GB ArrayBuffer limits, and small enough
# that a download resumes without much loss.
SHARD_BYTES = 256 * 1024 * 1024


def share_weights(files: list[Path], precision: str, shard_bytes: int = SHARD_BYTES) -> dict[Path, list[str]]:
    """Moves the large initializers of `files` (graphs of one precision, in one folder) to shared shards.

    Returns, per graph file, the shard file names it reads. Graph files are rewritten in place; a
    graph's own external-data file (a large export's `<graph>.data`) is streamed tensor by tensor,
    never loaded whole, and removed once its weights are in the shards.
    """
    if not files:
        return {}
    folder = files[0].parent
    for old in folder.glob(f"weights.{precision}.*.bin"):
        old.unlink()
    placed: dict[str, tuple[str, int, int]] = {}  # sha256 -> (shard, offset, length)
    shard_index, shard_size = 0, 0
    handles: dict[str, object] = {}
    needs: dict[Path, list[str]] = {}
    sources: set[str] = set()  # graphs' own data files, emptied into the shards

    def shard_name(k: int) -> str:
        return f"weights.{precision}.{k}.bin"

    try:
        for path in files:
            model = onnx.load(str(path), load_external_data=False)
            strip_metadata(model)
            used: list[str] = []
            for tensor in model.graph.initializer:
                if tensor.data_location == onnx.TensorProto.EXTERNAL:
                    sources.update(e.value for e in tensor.external_data if e.key == "location")
                    raw = read_external(tensor, folder)
                else:
                    raw = numpy_helper.to_array(tensor).tobytes()
                if len(raw) < MIN_EXTERNAL_BYTES:
                    if tensor.data_location == onnx.TensorProto.EXTERNAL:  # small: back inside the graph
                        del tensor.external_data[:]
                        tensor.data_location = onnx.TensorProto.DEFAULT
                        tensor.raw_data = raw
                    continue
                digest = hashlib.sha256(raw).hexdigest()
                if digest not in placed:
                    if shard_size and shard_size + len(raw) > shard_bytes:
                        shard_index, shard_size = shard_index + 1, 0
                    name = shard_name(shard_index)
                    if name not in handles:
                        handles[name] = (folder / name).open("wb")
                    handle = handles[name]
                    padding = (-shard_size) % 64  # aligned offsets: typed-array views need them
                    handle.write(b"\0" * padding)
                    shard_size += padding
                    placed[digest] = (name, shard_size, len(raw))
                    handle.write(raw)
                    shard_size += len(raw)
                name, offset, length = placed[digest]
                for field in ("raw_data", "float_data", "int32_data", "int64_data", "double_data", "uint64_data"):
                    tensor.ClearField(field)
                del tensor.external_data[:]
                for key, value in (("location", name), ("offset", str(offset)), ("length", str(length))):
                    entry = tensor.external_data.add()
                    entry.key, entry.value = key, value
                tensor.data_location = onnx.TensorProto.EXTERNAL
                if name not in used:
                    used.append(name)
            onnx.save(model, str(path))
            needs[path] = used
    finally:
        for handle in handles.values():
            handle.close()
    for name in sources - set(handles):
        (folder / name).unlink(missing_ok=True)
    for path in files:
        onnx.checker.check_model(str(path))  # with a path, the checker resolves the external data
    return needs
