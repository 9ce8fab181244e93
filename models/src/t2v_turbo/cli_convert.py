"""`convert`: the official T2V-Turbo-v2 weights -> a browser model package (registered by cli.py).

  python -m t2v_turbo convert --vc2 VideoCrafter2/model.ckpt --unet T2V-Turbo-v2/unet_mg.pt \\
      --out public/models/t2v-turbo-v2

Reads VideoCrafter2's checkpoint (VAE, OpenCLIP ViT-H/14 text tower; its base UNet is checked, not
used) and T2V-Turbo-v2's distilled UNet, checks every tensor name and shape, and writes fp16 graphs
whose weights sit in shared <= 256 MB shards, the VAE decoder taking one frame per call. docs/MODEL_FORMAT.md
("Large packages") and README.md ("The real model") say what it needs and how long it takes.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

COMMANDS = ("convert",)

DESCRIPTION = (
    "T2V-Turbo-v2 (Li et al. 2024): VideoCrafter2 distilled into a 4-8 step consistency model with mixed "
    "reward feedback and motion guidance. 16 frames of 320x512 at 8 fps."
)


def add_commands(sub) -> None:
    p = sub.add_parser("convert", help="official VideoCrafter2 + T2V-Turbo-v2 weights -> a browser package")
    p.add_argument("--vc2", required=True, metavar="PATH", help="VideoCrafter2's model.ckpt (VAE, text tower, base UNet)")
    p.add_argument("--unet", required=True, metavar="PATH", help="T2V-Turbo-v2's distilled UNet (unet_mg.pt)")
    p.add_argument("--out", required=True, help="package folder, e.g. public/models/t2v-turbo-v2")
    p.add_argument("--id", default=None, help="model id (default: the --out folder's name)")
    p.add_argument("--name", default="T2V-Turbo-v2", help="display name")
    p.add_argument("--description", default=DESCRIPTION, help="one paragraph shown in the model panel")
    p.add_argument("--precisions", default="fp16", help="UNet and VAE decoder precisions (fp16; fp32 for tests)")
    p.add_argument("--text-precisions", default="fp16",
                   help="text encoder precisions (fp16; int8 only helps a package whose UNet also runs on WASM)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override the vc2 preset, e.g. --set geometry.frames=24 (tests use reduced widths)")
    p.add_argument("--skip-parity", action="store_true",
                   help="do not compare every graph with PyTorch (saves ~3x the model in RAM and minutes of CPU)")
    p.add_argument("--allow-pickle", action="store_true",
                   help="also unpickle non-tensor objects in the checkpoints (only for files you trust)")
    p.add_argument("--default", action="store_true", help="list the package first in <out>/../index.json")


def dispatch(args) -> int:
    from .config import resolve_config
    from .export.build import Networks, build_package
    from .export.package import register_package
    from .export.vc2 import VAE_SCALE, CheckpointError, load_vc2

    cfg = resolve_config("vc2", None, args.overrides)
    out = Path(args.out)
    model_id = args.id or out.name
    t0 = time.perf_counter()
    try:
        weights = load_vc2(args.vc2, args.unet, cfg, args.allow_pickle)
    except CheckpointError as e:
        print(f"convert: {e}", file=sys.stderr)
        return 2
    print(f"convert: loaded and checked both checkpoints in {time.perf_counter() - t0:.0f} s "
          f"(text tower: {weights.text_cfg.layers} layers of {weights.text_cfg.width})", flush=True)
    net = Networks(cfg, weights.text_encoder, weights.unet, weights.vae, VAE_SCALE, rewards=[])
    manifest = build_package(
        net, out, model_id, args.name, args.description,
        precisions=args.precisions.split(","),
        training_steps={"vc2_base": 0, "t2v_turbo_v2": 0},  # unknown: trained by the authors, not here
        motion_guidance=False,  # the gradient graph at 16x40x64 needs far more GPU memory than the sampler
        text_precisions=tuple(args.text_precisions.split(",")),
        roles={"text_encoder", "unet", "vae_decoder"},
        check_parity=not args.skip_parity,
        tool="t2v_turbo convert",
        # One frame per VAE call: a 16-frame decode at 320x512 has a 2.7 GB activation (above WebGPU's
        # buffer limits) and 6 GB of live activations; one frame, 168 MB and 0.4 GB.
        decode_frames=1,
    )
    register_package(out.parent, manifest["id"], default=args.default)
    req = manifest["requirements"]
    print(json.dumps({
        "graphs": {g: [v["precision"] for v in spec["variants"]] for g, spec in manifest["graphs"].items()},
        "gpu_memory_bytes": req["gpu_memory_bytes"], "max_buffer_bytes": req.get("max_buffer_bytes"),
        "seconds": round(time.perf_counter() - t0),
    }))
    return 0
