"""Post-training subcommands of `python -m t2v_turbo` (registered by cli.py):

  train-rewards       the three reward models (image-text, quality, video-text), held-out accuracies
  distill             one consistency-distillation run (rewards and motion guidance per the config)
  evaluate            teacher vs students on the held-out prompts -> Markdown + JSON + sample grid
  make-demo-student   everything from a trained teacher: rewards, distillation cache, ablation rows,
                      the demo student, and docs/POST_TRAINING.md (docs/POST_TRAINING.md, "Reproduce")

Overrides: `--set key=value` goes to the post-training config (train/post_config.py) when its first
part is one of its sections (rewards, distill, reward_loss, motion, evaluation), else to the base
config (for train-rewards only; a student's base config is its teacher's).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

COMMANDS = ("train-rewards", "distill", "evaluate", "make-demo-student")


def _post_args(p: argparse.ArgumentParser) -> None:
    from .config import PRESETS

    g = p.add_argument_group("configuration")
    g.add_argument("--preset", default="demo", choices=sorted(PRESETS), help="base and post-training preset")
    g.add_argument("--config", default=None, help="JSON file merged over the post-training preset")
    g.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one key, e.g. --set distill.training.steps=200 (repeatable; JSON values)")


def add_commands(sub) -> None:
    p = sub.add_parser("train-rewards", help="train the three reward models and measure them on held-out clips")
    p.add_argument("--out", default="models/runs/rewards", help="root: <out>/<kind>/final for each model")
    p.add_argument("--only", default="image_text,quality,video_text", help="comma-separated subset")
    p.add_argument("--resume", default=None, metavar="latest", help="continue each model from its latest checkpoint")
    _post_args(p)

    p = sub.add_parser("distill", help="consistency distillation of the teacher (+ rewards, motion guidance)")
    p.add_argument("--teacher", required=True, help="the teacher's final/ folder")
    p.add_argument("--out", required=True, help="run directory (checkpoints/, tb/, final/)")
    p.add_argument("--cache", default=None, help="distillation cache folder (default: <out>/../cache)")
    p.add_argument("--resume", default=None, metavar="latest|PATH")
    _post_args(p)

    p = sub.add_parser("evaluate", help="teacher and students on the held-out prompts -> report")
    p.add_argument("--teacher", required=True, help="the teacher's final/ folder")
    p.add_argument("--student", action="append", default=[], metavar="NAME=PATH",
                   help="a student's final/ folder with its row name (repeatable, in table order)")
    p.add_argument("--out", required=True, help="output folder: report.md, report.json, grid.png")
    _post_args(p)

    p = sub.add_parser("make-demo-student", help="reproduce the demo student and docs/POST_TRAINING.md")
    p.add_argument("--teacher", default="models/runs/demo/teacher-top/final",
                   help="the teacher's final/ folder (default: make-demo-base's demo teacher, its second stage)")
    p.add_argument("--out", default="models/runs/post", help="run root (rewards/, cache/, rows/, student/)")
    p.add_argument("--report", default="docs/POST_TRAINING.md", help="where the report goes (+ .json, grid png)")
    p.add_argument("--resume", action="store_true", help="skip finished stages, resume interrupted ones")
    p.add_argument("--skip-ablation", action="store_true", help="only the demo student and its evaluation")
    p.add_argument("--only", default=None, metavar="STAGES",
                   help="comma-separated subset of: rewards, cd, cd_image, cd_video, cd_all, cd_all_mg, "
                        "cd_all_uncurated, demo, report (parallel workers; the report stage evaluates)")
    _post_args(p)


def split_overrides(overrides: list[str]) -> tuple[list[str], list[str]]:
    """(base overrides, post-training overrides)."""
    from .train.post_config import is_post_key

    base, post = [], []
    for item in overrides:
        (post if is_post_key(item.partition("=")[0].strip()) else base).append(item)
    return base, post


def dispatch(args) -> int:
    import torch

    from .config import resolve_config
    from .train.post_config import resolve_post_config

    from .train.post_config import POST_PRESETS

    base_over, post_over = split_overrides(args.overrides)
    post_preset = args.preset if args.preset in POST_PRESETS else "demo"  # vc2: the demo recipe at full size
    post = resolve_post_config(post_preset, args.config, post_over)
    if args.command == "train-rewards":
        from .train.rewards import KINDS, train_reward

        cfg = resolve_config(args.preset, None, base_over)
        torch.set_num_threads(cfg.teacher_training.num_threads)
        kinds = [k.strip() for k in args.only.split(",") if k.strip()]
        unknown = set(kinds) - set(KINDS)
        if unknown:
            print(f"unknown reward models {sorted(unknown)}; kinds are {list(KINDS)}", file=sys.stderr)
            return 2
        for kind in kinds:
            train_reward(kind, cfg, post, Path(args.out) / kind, args.resume)
        return 0
    if base_over:
        print(f"base-config overrides {base_over} do not apply here: a student keeps its teacher's config",
              file=sys.stderr)
        return 2
    if args.command == "distill":
        from .train.distill import train_student

        train_student(post, args.teacher, args.out, args.cache, args.resume)
        return 0
    if args.command == "evaluate":
        from .eval.report import evaluate_rows

        students = []
        for item in args.student:
            name, sep, path = item.partition("=")
            if not sep:
                print(f"--student {item!r} must look like NAME=PATH", file=sys.stderr)
                return 2
            students.append((name, path))
        evaluate_rows(post, args.teacher, students, args.out)
        return 0
    if args.command == "make-demo-student":
        from .eval.reproduce import make_demo_student

        t0 = time.time()
        summary = make_demo_student(post, post_preset, args.teacher, args.out, args.report, args.resume,
                                    args.skip_ablation, args.config, post_over,
                                    args.only.split(",") if args.only else None)
        print(json.dumps(summary, indent=2))
        print(f"make-demo-student done in {(time.time() - t0) / 60:.1f} min")
        return 0
    raise AssertionError(args.command)


def main(argv: list[str] | None = None) -> int:
    """Standalone entry (the same commands as `python -m t2v_turbo`)."""
    import os

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see cli.py: shared CPUs
    from .config import ConfigError

    parser = argparse.ArgumentParser(prog="python -m t2v_turbo.cli_post", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return dispatch(args)
    except ConfigError as e:
        print(f"config error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
