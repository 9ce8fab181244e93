"""`make-demo-student`: from a trained teacher to docs/POST_TRAINING.md in one command.

  1. reward models        <out>/rewards/<kind>/final   (skipped when finished)
  2. ablation rows        <out>/rows/<row>/final       (evaluation.ablation_steps each)
  3. the demo student     <out>/student/final          (distill.training.steps, everything on)
  4. evaluation + report  <out>/eval/report.json, grid.png; <report>.md, .json, .grid.png

Every stage is skipped when its final/ holds the configured number of steps, and resumed from its
latest checkpoint with --resume; wall times accumulate in <out>/timings.json. `--only` runs some
stages (rewards, a row key, demo, report): parallel workers can each take some rows, then a last
call (report) finds them finished and evaluates. Runs with motion guidance build a shared cache:
give them to one worker.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from ..train import checkpoint as ckpt
from ..train.post_config import PostConfig, resolve_post_config

KINDS = ("image_text", "quality", "video_text")

# The paper's ablation rows (Table 3 / Fig. 4 of T2V-Turbo-v2), as overrides on the demo config.
NO_MOTION = ["motion.enabled=false"]
ABLATION_ROWS: list[tuple[str, str, list[str]]] = [
    ("cd", "CD only", ["reward_loss.beta_image=0", "reward_loss.beta_video=0", *NO_MOTION]),
    ("cd_image", "CD + image rewards", ["reward_loss.beta_video=0", *NO_MOTION]),
    ("cd_video", "CD + video reward", ["reward_loss.beta_image=0", *NO_MOTION]),
    ("cd_all", "CD + all rewards", NO_MOTION),
    ("cd_all_mg", "CD + all rewards + motion guidance", []),
    ("cd_all_uncurated", "CD + all rewards, uncurated data", ["distill.curate=false", *NO_MOTION]),
]
DEMO_ROW = ("demo", "demo student")  # CD + all rewards + motion guidance, the full run


def _finished(final: Path, steps: int, kind: str) -> bool:
    meta = final / "meta.json"
    if not meta.is_file() or not (final / "model.safetensors").is_file():
        return False
    data = json.loads(meta.read_text())
    return data.get("step") == steps and data.get("kind") == kind


def _timed(timings: dict, key: str, path: Path, fn):
    """Run fn, record its wall time in <out>/timings.json (re-read first: parallel workers share it).
    A training stage returns its final/, whose training seconds span every resumed segment."""
    t0 = time.time()
    out = fn()
    if path.is_file():
        timings.update({k: v for k, v in json.loads(path.read_text()).items() if k not in timings})
    timings[key] = max(time.time() - t0, ckpt.train_seconds(out) if isinstance(out, Path) else 0.0)
    path.write_text(json.dumps(timings, indent=2))
    return out


STAGES = ("rewards", *(key for key, _, _ in ABLATION_ROWS), DEMO_ROW[0], "report")


def make_demo_student(post: PostConfig, preset: str, teacher: str | Path, out: str | Path, report: str | Path,
                      resume: bool = False, skip_ablation: bool = False, config_file: str | None = None,
                      overrides: list[str] | None = None, only: list[str] | None = None) -> dict[str, Any]:
    """Run the stages (all, or `only` those of STAGES: e.g. parallel workers each take some rows;
    the last call, with 'report', then finds them finished and only evaluates)."""
    unknown = set(only or []) - set(STAGES)
    if unknown:
        raise ValueError(f"unknown stages {sorted(unknown)}; stages are {list(STAGES)}")
    wanted = set(only or STAGES)
    from ..config import resolve_config
    from ..train.distill import train_student
    from ..train.rewards import train_reward
    from .markdown import write_report
    from .report import evaluate_rows

    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    timings_path = root / "timings.json"
    timings = json.loads(timings_path.read_text()) if timings_path.is_file() else {}
    overrides = list(overrides or [])
    reward_paths = [f"reward_loss.{k}_path={root / 'rewards' / k / 'final'}" for k in KINDS]

    def post_with(*extra: str) -> PostConfig:
        return resolve_post_config(preset, config_file, [*overrides, *reward_paths, *extra])

    base = post_with()
    (root / "post_config.json").write_text(base.to_json())
    print(f"make-demo-student: teacher {teacher}; everything goes under {root.resolve()}", flush=True)

    # 1. Reward models (independent of the teacher and of every student).
    cfg = resolve_config(preset)  # the reward models' base config (geometry, text); POST_PRESETS name base presets too
    for kind in KINDS if "rewards" in wanted else ():
        final = root / "rewards" / kind / "final"
        section = getattr(base.rewards, kind)
        if _finished(final, section.training.steps, f"reward_{kind}"):
            print(f"[rewards] {kind} already trained: {final}", flush=True)
            continue
        _timed(timings, f"reward_{kind}_s", timings_path,
               lambda kind=kind: train_reward(kind, cfg, base, root / "rewards" / kind, "latest" if resume else None))

    # 2. Ablation rows (short runs), then 3. the demo student (the full run).
    runs: list[tuple[str, str, PostConfig, Path]] = []
    if not skip_ablation:
        steps = base.evaluation.ablation_steps
        for key, label, extra in ABLATION_ROWS:
            runs.append((key, label, post_with(*extra, f"distill.training.steps={steps}"), root / "rows" / key))
    runs.append((DEMO_ROW[0], DEMO_ROW[1], base, root / "student"))
    students = []
    for key, label, row_post, run_dir in runs:
        final = run_dir / "final"
        students.append((label, final))
        if key not in wanted:
            continue
        if _finished(final, row_post.distill.training.steps, "student"):
            print(f"[{key}] already distilled: {final}", flush=True)
        else:
            _timed(timings, f"distill_{key}_s", timings_path,
                   lambda p=row_post, d=run_dir: train_student(p, teacher, d, root / "cache", "latest" if resume else None))
    if "report" not in wanted:
        return {"stages": sorted(wanted), "timings": timings}

    # 4. Evaluation and the report.
    demo_label = DEMO_ROW[1]
    fewest = min(base.evaluation.student_steps)
    grid_rows = ("teacher", f"CD only @{fewest}", f"{demo_label} @{fewest}") if not skip_ablation else None
    result = _timed(timings, "evaluate_s", timings_path,
                    lambda: evaluate_rows(base, teacher, students, root / "eval",
                                          grid_rows=grid_rows if grid_rows else None))
    result["timings"] = timings
    result["demo_row"] = demo_label
    result["ablation_rows"] = [label for _, label, _ in ABLATION_ROWS] if not skip_ablation else []
    result["ablation_steps"] = base.evaluation.ablation_steps
    result["teacher"] = str(Path(teacher).resolve())
    result["post"] = base.to_dict()
    report = Path(report)
    report.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(root / "eval" / "grid.png", report.with_suffix(".grid.png"))
    result["grid"] = report.with_suffix(".grid.png").name
    report.with_suffix(".json").write_text(json.dumps(result, indent=2))
    write_report(result, report)
    return {"report": str(report), "student": str(root / "student" / "final"), "timings": timings}
