"""`python -m t2v_turbo <command>`: the companion's command line.

  config          print a resolved config (preset + --config file + --set overrides)
  train-vae       stage 1: the per-frame KL autoencoder
  train-teacher   stage 2: the VideoCrafter2-family text-to-video UNet on cached latents
  sample          prompt(s) -> MP4 (and optionally PNG frames, a grid image) with the teacher
  eval-teacher    held-out prompts -> sample grid + MP4s, loss curves from TensorBoard, a JSON summary
  make-demo-base  all of the above from nothing: VAE, teacher, evaluation (docs/COMPANION.md)

Post-training (cli_post.py): train-rewards, distill, evaluate, make-demo-student (docs/POST_TRAINING.md).

Every training command saves the whole config with each checkpoint and takes `--resume latest`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

# Passive OpenMP waiting: on a CPU shared with other jobs, spinning worker threads that lose their
# core stall every parallel region (measured: 0.7 s -> up to 20 s per VAE step; passive: ~2.5 s).
# Must be set before torch loads its OpenMP runtime, hence here, before any torch import.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .config import PRESETS, ConfigError, resolve_config


def _config_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("configuration")
    g.add_argument(
        "--preset", default="demo", choices=sorted(PRESETS), help="base configuration (default: demo)"
    )
    g.add_argument(
        "--config", default=None, help="JSON file merged over the preset (same structure as `config`)"
    )
    g.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one key, e.g. --set unet.model_channels=32 (repeatable; JSON values)",
    )


def _resume_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--resume",
        default=None,
        metavar="latest|PATH",
        help="continue from the newest checkpoint of the run ('latest') or from a step-* folder",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m t2v_turbo", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("config", help="print the resolved config as JSON")
    _config_args(p)

    p = sub.add_parser("train-vae", help="train the VAE (stage 1)")
    p.add_argument("--out", required=True, help="run directory (checkpoints/, tb/, final/)")
    _config_args(p)
    _resume_arg(p)

    p = sub.add_parser("train-teacher", help="train the teacher UNet (stage 2)")
    p.add_argument("--out", required=True, help="run directory (cache/, checkpoints/, tb/, final/)")
    p.add_argument("--vae", required=True, help="the VAE's final/ folder (from train-vae)")
    p.add_argument("--init", default=None,
                   help="start from another teacher's weights (a checkpoint or final/ folder); the "
                        "frame-position projections of unet.temporal_frame_position may be added")
    _config_args(p)
    _resume_arg(p)

    p = sub.add_parser("sample", help="prompt -> MP4 with the teacher (DDIM + CFG)")
    p.add_argument("--teacher", required=True, help="the teacher's final/ folder")
    p.add_argument(
        "--vae", default=None, help="VAE final/ folder (default: the one the teacher was trained with)"
    )
    p.add_argument("--prompt", action="append", required=True, help="text prompt (repeatable)")
    p.add_argument("--out", required=True, help="output folder: one MP4 per prompt (sample_000.mp4, ...)")
    p.add_argument("--frames", action="store_true", help="also write each clip's frames as PNGs")
    p.add_argument("--grid", action="store_true", help="also write grid.png (a row of frames per prompt)")
    p.add_argument("--steps", type=int, default=None, help="DDIM steps (default: sampling.steps, 50)")
    p.add_argument(
        "--guidance", type=float, default=None, help="CFG scale w (default: sampling.guidance, 7.5)"
    )
    p.add_argument("--seed", type=int, default=None, help="noise seed; prompt i uses seed + i")
    p.add_argument("--upscale", type=int, default=4, help="nearest-neighbour upscale of the MP4 (default 4)")

    p = sub.add_parser("eval-teacher", help="held-out prompts -> grid, MP4s, loss curves, summary.json")
    p.add_argument("--teacher", required=True, help="the teacher's final/ folder")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--guidance", type=float, default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument(
        "--kinds",
        default="seen,paraphrase,unseen-combination",
        help="EVAL_PROMPTS kinds to sample (comma-separated)",
    )
    p.add_argument(
        "--probe-only",
        action="store_true",
        help="only the caption-swap probe (seconds): how much the denoiser reads colour, shape, motion words",
    )
    for check, default, what in (("direction", "100,200", "the directed prompts (left/right/up/down) are drawn "
                                   "again to count how many move the asked way"),
                                  ("shape", "300,400", "still prompts of every shape are drawn to count how many "
                                   "draw the asked shape")):
        p.add_argument(f"--{check}-seeds", type=_seed_list, default=None,
                       help=f"seeds with which {what} (comma-separated; default {default}; '' skips)")
        p.add_argument(f"--{check}-only", action="store_true", help=f"only that {check} check (minutes)")

    p = sub.add_parser("make-demo-base", help="reproduce the demo VAE + teacher from nothing")
    p.add_argument("--out", default="models/runs/demo", help="run root (vae/, teacher/, eval/)")
    _config_args(p)
    p.add_argument(
        "--resume", action="store_true", help="continue interrupted stages from their latest checkpoints"
    )
    p.add_argument("--skip-eval", action="store_true", help="train only")

    from . import cli_post

    cli_post.add_commands(sub)  # train-rewards, distill, evaluate, make-demo-student
    from . import cli_export

    cli_export.add_commands(sub)  # export, export-micro, sample-package
    from . import cli_convert

    cli_convert.add_commands(sub)  # convert (the official T2V-Turbo-v2 weights)
    from . import cli_bench

    cli_bench.add_commands(sub)  # bench export|native|serve|render
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2


def _seed_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def _resolve(args):
    return resolve_config(args.preset, args.config, args.overrides)


def _dispatch(args) -> int:
    if args.command == "config":
        print(_resolve(args).to_json())
        return 0
    if args.command == "train-vae":
        from .train.vae import train_vae

        train_vae(_resolve(args), args.out, args.resume)
        return 0
    if args.command == "train-teacher":
        from .train.teacher import train_teacher

        train_teacher(_resolve(args), args.out, args.vae, args.resume, init=args.init)
        return 0
    if args.command == "sample":
        return _sample(args)
    if args.command == "eval-teacher":
        from .evaluate import evaluate_teacher

        evaluate_teacher(
            args.teacher,
            args.out,
            kinds=args.kinds.split(","),
            steps=args.steps,
            guidance=args.guidance,
            seed=args.seed,
            probe_only=args.probe_only,
            direction_only=args.direction_only,
            shape_only=args.shape_only,
            **{f"{c}_seeds": getattr(args, f"{c}_seeds") for c in ("direction", "shape")
               if getattr(args, f"{c}_seeds") is not None},
        )
        return 0
    if args.command == "make-demo-base":
        return _make_demo_base(args)
    from . import cli_export, cli_post

    if args.command in cli_post.COMMANDS:
        return cli_post.dispatch(args)
    if args.command in cli_export.COMMANDS:
        return cli_export.dispatch(args)
    from . import cli_convert

    if args.command in cli_convert.COMMANDS:
        return cli_convert.dispatch(args)
    from . import cli_bench

    if args.command in cli_bench.COMMANDS:
        return cli_bench.dispatch(args)
    raise AssertionError(args.command)


def _sample(args) -> int:
    import torch

    from .sample import sample_videos, to_uint8, write_frames, write_grid, write_mp4
    from .train.teacher import load_teacher, load_text_encoder
    from .train.vae import load_vae

    unet, cfg, extras = load_teacher(args.teacher)
    torch.set_num_threads(cfg.teacher_training.num_threads)
    vae, scale, _ = load_vae(args.vae or extras["vae"])
    encoder = load_text_encoder(cfg)
    s = cfg.sampling
    steps, w = args.steps or s.steps, s.guidance if args.guidance is None else args.guidance
    seed = s.seed if args.seed is None else args.seed
    videos = sample_videos(unet, vae, scale, encoder, args.prompt, cfg, steps, w, seed)
    out = Path(args.out)
    clips = [to_uint8(v) for v in videos]
    for i, clip in enumerate(clips):
        path = write_mp4(clip, out / f"sample_{i:03d}.mp4", cfg.geometry.fps, args.upscale)
        print(f"{args.prompt[i]!r} -> {path}")
        if args.frames:
            print(f"  frames -> {write_frames(clip, out / f'sample_{i:03d}_frames')}")
    if args.grid:
        print(f"grid -> {write_grid(clips, args.prompt, out / 'grid.png')}")
    return 0


def _make_demo_base(args) -> int:
    from .train.teacher import train_teacher
    from .train.vae import train_vae

    cfg = _resolve(args)
    root = Path(args.out)
    root.mkdir(parents=True, exist_ok=True)
    resume = "latest" if args.resume else None
    timings_path = root / "timings.json"
    # Wall time per stage; a resumed invocation keeps the times of stages it finds finished. Written
    # after every stage, so that an interrupted call keeps the stages it finished.
    timings: dict[str, float] = (
        json.loads(timings_path.read_text()) if args.resume and timings_path.is_file() else {}
    )

    def add_time(key: str, started: float, accumulate: bool = True) -> None:
        timings[key] = timings.get(key, 0.0) * (accumulate and args.resume) + time.time() - started
        timings_path.write_text(json.dumps(timings, indent=2))
    print(f"make-demo-base: preset {args.preset}; everything goes under {root.resolve()}", flush=True)

    t0 = time.time()
    vae_final = root / "vae" / "final"
    vae_trained_now = not (args.resume and _finished(vae_final, cfg.vae_training.steps, needs="latent_scale"))
    if not vae_trained_now:
        print(f"[vae] already trained: {vae_final}")
    else:
        vae_final = train_vae(cfg, root / "vae", resume)
        add_time("vae_s", t0)

    # The teacher's stages, each grown from the one before: single frames of still shapes (optional, with
    # its own latent cache), single frames of the clips (optional), the first stage on clips, the second
    # on the top of the schedule (optional). The last three share one latent cache.
    stages = ([("shapes", cfg.teacher_shapes.apply(cfg))] if cfg.teacher_shapes.enabled else []) \
        + ([("images", cfg.teacher_images.apply(cfg))] if cfg.teacher_images.enabled else []) + [("teacher", cfg)] \
        + ([("teacher-top", cfg.teacher_top.apply(cfg))] if cfg.teacher_top.enabled else [])
    cache_dir, shapes_cache_dir = root / "cache", root / "cache-shapes"
    if (root / "teacher" / "cache").is_dir() and not cache_dir.exists():  # where runs before stop 28 kept it
        (root / "teacher" / "cache").rename(cache_dir)
    teacher_final: Path | None = None
    # Whether the stage before was trained by this call: a VAE trained (grown) now re-encodes the cache,
    # so a teacher stage trained on the old latents is set aside like one grown from an older stage.
    trained_now = vae_trained_now
    for name, stage_cfg in stages:
        t0 = time.time()
        key = f"{name.replace('-', '_')}_s"
        stage_dir = root / name
        base = vae_final if teacher_final is None else teacher_final
        if args.resume and _set_aside_if_stale(stage_dir, base, trained_now, first=teacher_final is None):
            timings.pop(key, None)  # the time went into the stage set aside, not this one
        final = stage_dir / "final"
        trained_now = not (args.resume and _finished(final, stage_cfg.teacher_training.steps))
        if not trained_now:
            print(f"[{name}] already trained: {final}")
        else:
            final = train_teacher(stage_cfg, stage_dir, vae_final, resume, init=teacher_final,
                                  cache_dir=shapes_cache_dir if name == "shapes" else cache_dir,
                                  still_cache_dir=shapes_cache_dir)
            add_time(key, t0)
        teacher_final = final

    if not args.skip_eval:
        from .evaluate import evaluate_teacher

        t0 = time.time()
        evaluate_teacher(
            teacher_final, root / "eval", runs={"vae": root / "vae"} | {name: root / name for name, _ in stages},
        )
        add_time("eval_s", t0, accumulate=False)  # each evaluation's own time, not added to an earlier one's
    timings_path.write_text(json.dumps(timings, indent=2))
    print(
        f"make-demo-base done in {sum(timings.values()) / 60:.1f} min: VAE {vae_final}, teacher {teacher_final}"
    )
    return 0


def _set_aside_if_stale(stage_dir: Path, base_final: Path, base_trained_now: bool, first: bool = False) -> bool:
    """Move a stage grown from another version of the stage before it to <stage_dir>.stale-N, so that
    resuming (say, after raising teacher_training.steps) retrains it on the new base instead of keeping
    it. The first teacher stage's base is the VAE, whose latents it learnt: it is stale only when the VAE
    was trained by this call. True when it moved one."""
    from .train import checkpoint as ckpt
    from .train.teacher import weights_step

    latest = (ckpt.list_checkpoints(stage_dir) or [stage_dir / "final"])[-1]
    if not (latest / "meta.json").is_file():
        return False
    extras = json.loads((latest / "meta.json").read_text()).get("extras", {})
    grown_from = extras.get("initialised_from_step")
    base_step = weights_step(base_final)
    # A stage trained from nothing is stale too: a stage before it has been enabled since.
    if not base_trained_now and (first or "initialised_from" in extras and grown_from in (None, base_step)):
        return False
    n = 1 + sum(1 for _ in stage_dir.parent.glob(f"{stage_dir.name}.stale-*"))
    aside = stage_dir.with_name(f"{stage_dir.name}.stale-{n}")
    stage_dir.rename(aside)
    origin = (f"{base_final.parent.name} at step {grown_from}" if "initialised_from" in extras
              else "the VAE's earlier latents" if first else "nothing")
    print(f"[{stage_dir.name}] {stage_dir} grew from {origin}, and {base_final.parent.name} is now at step "
          f"{base_step}: moved to {aside}; this stage starts again", flush=True)
    return True


def _finished(final: Path, steps: int, needs: str | None = None) -> bool:
    """True when final/ holds the last step's weights (and, for the VAE, its measured extras)."""
    meta_path = final / "meta.json"
    if not meta_path.is_file() or not (final / "model.safetensors").is_file():
        return False
    meta = json.loads(meta_path.read_text())
    return meta.get("step") == steps and (needs is None or needs in meta.get("extras", {}))


if __name__ == "__main__":
    raise SystemExit(main())
