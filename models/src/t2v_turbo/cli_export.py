"""Export commands: browser packages from trained networks, the micro test package, and sampling
from a package with the onnxruntime reference sampler (no torch needed at run time)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

COMMANDS = ("export", "export-micro", "sample-package")

REPO = Path(__file__).resolve().parents[3]
MODELS_DIR = REPO / "public" / "models"

def add_commands(sub) -> None:
    p = sub.add_parser("export", help="student + VAE + text encoder + reward models -> a browser package")
    p.add_argument("--student", required=True, help="the student's final/ folder (from distill)")
    p.add_argument("--vae", default=None, help="VAE final/ folder (default: the one the student was distilled with)")
    p.add_argument("--rewards", default=None, help="root with <kind>/final reward models (default: none)")
    p.add_argument("--out", required=True, help="package folder, e.g. public/models/<id>")
    p.add_argument("--id", required=True, help="model id ([a-z0-9][a-z0-9._-]*)")
    p.add_argument("--name", required=True, help="display name")
    p.add_argument("--description", default="", help="one paragraph shown in the model panel")
    p.add_argument("--precisions", default="fp32,fp16", help="UNet/VAE/reward precisions (text encoder: int8)")
    p.add_argument("--no-motion-guidance", action="store_true", help="skip the gradient graph")
    p.add_argument("--default", action="store_true", help="list the package first in public/models/index.json")

    p = sub.add_parser("export-micro", help="the tiny random package the browser tests use (~2.5 MB)")
    p.add_argument("--out", default=str(MODELS_DIR / "micro"), help="package folder")
    p.add_argument("--seed", type=int, default=0)

    p = sub.add_parser("sample-package", help="prompt -> MP4 from a browser package (onnxruntime, like the browser)")
    p.add_argument("--package", required=True, help="package folder (with manifest.json)")
    p.add_argument("--prompt", required=True)
    p.add_argument("--out", required=True, help="output .mp4 (frames also as .png next to it with --frames)")
    p.add_argument("--steps", type=int, default=None, help="default: the manifest's")
    p.add_argument("--guidance", type=float, default=None)
    p.add_argument("--motion", type=float, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--precision", default="fp32")
    p.add_argument("--upscale", type=int, default=4, help="nearest-neighbour upscale of the MP4")
    p.add_argument("--frames", action="store_true", help="also write the frames as PNGs")


def dispatch(args) -> int:
    if args.command == "export":
        return _export(args)
    if args.command == "export-micro":
        from .export.build import build_package, micro_networks
        from .export.package import register_package

        out = Path(args.out)
        build_package(micro_networks(args.seed), out, "micro", "Micro test model",
                      "A tiny, randomly initialised model with every graph of a real package, for the browser tests "
                      "of the WebGPU path. It makes noise-like clips, not pictures.",
                      ["fp32"], {"random_init": 0})
        register_package(out.parent, "micro")
        return 0
    if args.command == "sample-package":
        return _sample_package(args)
    raise AssertionError(args.command)


def _export(args) -> int:
    from .export.build import Networks, RewardExport, build_package, default_sampler
    from .export.package import register_package
    from .nets.text_encoder import TextEncoder
    from .train.distill import load_student
    from .train.vae import load_vae

    unet, cfg, extras = load_student(args.student)
    vae, latent_scale, _ = load_vae(args.vae or extras["vae"])
    text = TextEncoder.from_pretrained(max_length=cfg.text.max_length)
    rewards = []
    if args.rewards:
        from .train.rewards import reward_export_fields

        for kind in ("video_text", "image_text", "quality"):
            final = Path(args.rewards) / kind / "final"
            if final.exists():
                rewards.append(RewardExport(**reward_export_fields(final)))
    net = Networks(cfg, text, unet, vae, float(latent_scale), rewards)
    steps = {"student": extras["step"]}
    teacher_meta = Path(extras["teacher"]) / "meta.json" if extras.get("teacher") else None
    if teacher_meta is not None and teacher_meta.is_file():
        steps["teacher"] = int(json.loads(teacher_meta.read_text())["step"])
    # The student samples on the grid it was distilled on (N timesteps, solver skip k).
    sampler = default_sampler()
    sampler["grid"] = {"num_steps": int(extras["grid_steps"]), "skip": int(extras["skip"])}
    guidance_lambda = float(extras.get("lambda_max", 500.0))
    if not extras.get("motion_trained", False):
        sampler["motion"] = {"min": 0.0, "max": 1.0, "default": 0.0}
    manifest = build_package(net, args.out, args.id, args.name, args.description,
                             args.precisions.split(","), steps,
                             motion_guidance=not args.no_motion_guidance, sampler=sampler,
                             guidance_lambda=guidance_lambda)
    register_package(Path(args.out).parent, manifest["id"], default=args.default)
    print(json.dumps({g: [v["precision"] for v in spec["variants"]] for g, spec in manifest["graphs"].items()}))
    return 0


def _sample_package(args) -> int:
    import av
    import numpy as np
    from PIL import Image

    from .export.reference_sampler import PackageSampler

    sampler = PackageSampler(args.package, args.precision)
    s = sampler.manifest["sampler"]
    frames = sampler.generate(
        args.prompt,
        args.steps or s["steps"]["default"],
        s["guidance"]["default"] if args.guidance is None else args.guidance,
        s["motion"]["default"] if args.motion is None else args.motion,
        args.seed,
    )  # (T, H, W, 4) uint8
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rgb = frames[..., :3].repeat(args.upscale, axis=1).repeat(args.upscale, axis=2)
    fps = sampler.manifest["video"]["fps"]
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = rgb.shape[2] + rgb.shape[2] % 2, rgb.shape[1] + rgb.shape[1] % 2
        stream.pix_fmt = "yuv420p"
        for frame in rgb:
            padded = np.pad(frame, ((0, rgb.shape[1] % 2), (0, rgb.shape[2] % 2), (0, 0)), mode="edge")
            for packet in stream.encode(av.VideoFrame.from_ndarray(padded, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    if args.frames:
        for i, frame in enumerate(frames):
            Image.fromarray(frame[..., :3]).save(out.with_name(f"{out.stem}_{i:03d}.png"))
    print(f"{out}: {len(frames)} frames at {fps} fps; timings {json.dumps({k: round(v, 3) for k, v in sampler.timings.items()})}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m t2v_turbo.cli_export")
    add_commands(parser.add_subparsers(dest="command", required=True))
    return dispatch(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
