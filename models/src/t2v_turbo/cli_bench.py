"""`python -m t2v_turbo bench <action>`: the native half of the benchmarks and the report.

  export   the student UNet at other shapes, the teacher's CFG graph and the MatMul probe (per package)
  native   onnxruntime timings of those graphs and of the reference sampler, training throughput,
           FLOPs -> docs/bench/native.json
  serve    the reference sampler on a JSON-lines pipe (npm run bench interleaves it with the browser)
  render   docs/BENCHMARKS.md and docs/images/bench-*.png from docs/bench/{browser,native}.json

`npm run bench` runs all of it around the browser measurements; each action also runs alone.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

COMMANDS = ("bench",)

REPO = Path(__file__).resolve().parents[3]
GRAPHS = REPO / "test-results" / "bench" / "graphs"
BENCH_DOCS = REPO / "docs" / "bench"


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x.strip())


def add_commands(sub) -> None:
    bench = sub.add_parser("bench", help="benchmarks: native timings, graphs for the browser, the report")
    actions = bench.add_subparsers(dest="action", required=True)

    def networks(p) -> None:
        p.add_argument(
            "--student",
            default=None,
            help="student final/ folder of a trained package (default models/runs/post/student/final)",
        )
        p.add_argument(
            "--teacher",
            default=None,
            help="its teacher's final/ folder (default models/runs/demo/teacher-top/final)",
        )
        p.add_argument("--frames", type=_ints, default=(8, 16, 32), help="frame counts of the cost curves")
        p.add_argument(
            "--scales", type=_ints, default=(1, 2), help="resolutions, as multiples of the package's"
        )

    p = actions.add_parser("export", help="benchmark graphs of a package -> test-results/bench/graphs/<id>")
    p.add_argument("--package", required=True, help="package folder, e.g. public/models/micro")
    p.add_argument("--out", default=None, help="folder (default test-results/bench/graphs/<id>)")
    networks(p)

    p = actions.add_parser("native", help="native timings -> docs/bench/native.json")
    p.add_argument("--package", action="append", required=True, help="package folder (repeatable)")
    p.add_argument("--graphs", default=str(GRAPHS), help="root of the exported benchmark graphs")
    p.add_argument(
        "--threads", type=int, default=2, help="onnxruntime intra-op threads (match the browser's)"
    )
    p.add_argument("--reps", type=int, default=7, help="timed repetitions per measurement")
    p.add_argument(
        "--teacher-reps", type=int, default=3, help="timed teacher clips (50 steps x 2 passes each)"
    )
    p.add_argument("--training-steps", type=int, default=4, help="timed steps per training row")
    p.add_argument("--no-training", action="store_true", help="skip the training throughput rows")
    p.add_argument("--out", default=str(BENCH_DOCS / "native.json"))
    networks(p)

    p = actions.add_parser("serve", help="the reference sampler on a JSON-lines pipe (for npm run bench)")
    p.add_argument("--package", required=True)
    p.add_argument("--threads", type=int, default=2)

    p = actions.add_parser("render", help="docs/BENCHMARKS.md from the JSON results")
    p.add_argument("--browser", default=str(BENCH_DOCS / "browser.json"))
    p.add_argument("--native", default=str(BENCH_DOCS / "native.json"))
    p.add_argument(
        "--post",
        default=str(REPO / "docs" / "POST_TRAINING.json"),
        help="the post-training report's JSON (scores per row), when it exists",
    )
    p.add_argument("--out", default=str(REPO / "docs" / "BENCHMARKS.md"))
    p.add_argument("--images", default=str(REPO / "docs" / "images"))


def dispatch(args) -> int:
    import json

    if args.action == "export":
        from .bench.graphs import export_benchmark_graphs
        from .export.manifest import load_manifest

        package = Path(args.package)
        out = Path(args.out) if args.out else GRAPHS / load_manifest(package / "manifest.json")["id"]
        index = export_benchmark_graphs(package, out, args.student, args.teacher, args.frames, args.scales)
        print(f"{out}: {len(index['unet_shapes'])} UNet shapes, teacher_cfg.onnx, probe.onnx")
        return 0
    if args.action == "native":
        import torch

        from .bench.suite import native_suite

        torch.set_num_threads(args.threads)
        command = "python -m t2v_turbo " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        result = native_suite(
            [Path(p) for p in args.package],
            Path(args.graphs),
            args.threads,
            args.reps,
            args.teacher_reps,
            not args.no_training,
            args.training_steps,
            command,
            student=args.student,
            teacher=args.teacher,
            frames=args.frames,
            scales=args.scales,
        )
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=1) + "\n")
        print(f"native results -> {out} ({result['seconds']:.0f} s)")
        return 0
    if args.action == "serve":
        from .bench.serve import serve

        return serve(args.package, args.threads)
    if args.action == "render":
        from .bench.render import render_report

        out = render_report(
            Path(args.browser), Path(args.native), Path(args.post), Path(args.out), Path(args.images)
        )
        print(f"report -> {out}")
        return 0
    raise AssertionError(args.action)
