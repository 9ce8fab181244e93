"""The reference sampler behind a pipe, so `npm run bench` can alternate browser and native clips.

One JSON object per line on stdin, one per line on stdout:
  -> {"prompt", "steps", "guidance", "motion", "seed", "frames": bool}
  <- {"e2e_ms", "graph_ms": {role: ms}, "frames": base64 RGBA (when asked)}
The first line out is {"ready": true, "threads", "package"} once the sessions exist.
Measured pairs (browser clip, native clip, back to back) make the browser/native ratio robust to the
load swings of a shared machine. Errors come back as {"error": message} and the server keeps going.
"""

from __future__ import annotations

import base64
import json
import sys
import time
from pathlib import Path

from ..export.reference_sampler import PackageSampler


def serve(package: str | Path, threads: int, stdin=sys.stdin, stdout=sys.stdout) -> int:
    sampler = PackageSampler(package, "fp32", threads=threads)
    _send(stdout, {"ready": True, "threads": threads, "package": sampler.manifest["id"]})
    for line in stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            t0 = time.perf_counter()
            frames = sampler.generate(
                req["prompt"],
                int(req["steps"]),
                float(req["guidance"]),
                float(req["motion"]),
                int(req["seed"]),
            )
            reply = {
                "e2e_ms": 1e3 * (time.perf_counter() - t0),
                "graph_ms": {k: 1e3 * v for k, v in sampler.timings.items()},
            }
            if req.get("frames"):
                reply["frames"] = base64.b64encode(frames.tobytes()).decode()
        except Exception as e:  # noqa: BLE001 - any failure goes back to the driver, which decides
            reply = {"error": f"{type(e).__name__}: {e}"}
        _send(stdout, reply)
    return 0


def _send(stdout, obj: dict) -> None:
    stdout.write(json.dumps(obj) + "\n")
    stdout.flush()
