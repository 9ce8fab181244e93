"""docs/BENCHMARKS.md and its plots, from docs/bench/browser.json (npm run bench) and
docs/bench/native.json (python -m t2v_turbo bench native), plus docs/POST_TRAINING.json for scores.

Every summary is computed here from the raw samples (stats.summarize), so the report and the JSON
cannot disagree; every section names the command that reproduces it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .flops import CONSUMER_GPUS, GEMM_FRACTION_BAND, gpu_estimate
from .stats import paired_ratios, summarize

REPO = Path(__file__).resolve().parents[4]
NATIVE_CMD = "python -m t2v_turbo bench native --package public/models/<id>"
RENDER_CMD = "python -m t2v_turbo bench render"


# ── Formatting ──────────────────────────────────────────────────────────────────────────────────


def ms(s: dict | None, digits: int | None = None) -> str:
    """A time summary: "123 ms (IQR 110–130)", in seconds from 10 s up."""
    if not s:
        return "—"
    scale, unit = (1e-3, "s") if s["median"] >= 10_000 else (1.0, "ms")
    d = digits if digits is not None else (1 if s["median"] * scale < 100 else 0)
    f = lambda v: f"{v * scale:.{d}f}"
    return f"{f(s['median'])} {unit} (IQR {f(s['q1'])}–{f(s['q3'])})"


def ratio(s: dict | None, digits: int = 2) -> str:
    if not s:
        return "—"
    return f"**{s['median']:.{digits}f}×** (IQR {s['q1']:.{digits}f}–{s['q3']:.{digits}f})"


def mb(nbytes: float | None) -> str:
    return "—" if nbytes is None else f"{nbytes / 1e6:.1f} MB"


def table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def command(text: str) -> str:
    return f"Command: `{text}`"


# ── Reading the raw results ─────────────────────────────────────────────────────────────────────


def e2e(runs: list[dict]) -> list[float]:
    return [r["e2e"] for r in runs]


def run_sums(profile: list[dict], roles: tuple[str, ...] | None = None) -> list[float]:
    """Per profiled clip: the sum of its network runs (each timed to completion)."""
    return [sum(r["ms"] for r in p["runs"] if roles is None or r["role"] in roles) for p in profile]


def role_times(profile: list[dict], role: str) -> list[float]:
    return [r["ms"] for p in profile for r in p["runs"] if r["role"] == role]


def backends(pkg: dict) -> dict[str, dict]:
    return {k: v for k, v in pkg["backends"].items() if "skipped" not in v}


def weight_bytes(native_pkg: dict | None) -> float | None:
    return native_pkg["requirements"]["weight_bytes"] if native_pkg else None


def gflops(gflop: float, summary: dict) -> float:
    return gflop / (summary["median"] / 1e3)


# ── Sections ────────────────────────────────────────────────────────────────────────────────────


def header(browser: dict, native: dict | None, packages: list[str]) -> str:
    b = browser["machine"]
    page = b.get("page", {})
    lines = ["# Benchmarks", ""]
    if packages == ["micro"]:
        lines += [
            "> **Micro-only run.** The demo package (the distilled student) is not in `public/models` yet, so",
            "> every figure below comes from the micro test package: random weights, 4 frames of 16×16 pixels,",
            "> a UNet of 0.006 GFLOP per pass. At that size fixed costs (JavaScript, session calls, thread",
            "> wake-ups, scheduling on a loaded machine) dominate and the ratios say little about the demo",
            "> model; they show what the tooling measures and how to read it. Re-run `npm run bench` when",
            "> `public/models/index.json` lists the demo package: the same document is rebuilt from that run.",
            "",
        ]
    lines += [
        f"Measured {browser.get('created', '')[:19].replace('T', ' ')} UTC on {b.get('cpu')} "
        f"({b.get('cores')} cores, shared with other jobs), Chromium {b.get('chromium')} headless, "
        f"onnxruntime-web with {page.get('wasmThreads')} WASM threads "
        f"(cross-origin isolated: {page.get('crossOriginIsolated')}), WebGPU on "
        f"{(page.get('gpu') or {}).get('vendor', '?')} {(page.get('gpu') or {}).get('architecture', '?')} "
        f"(a software rasteriser running on the same CPU: no GPU is in this machine). "
        + (
            f"Native side: onnxruntime {native['machine']['onnxruntime']}, torch {native['machine']['torch']}, "
            f"{native['threads']} threads, commit {native['machine']['commit']}. "
            if native
            else ""
        )
        + f"Packages: {', '.join(packages)}.",
        "",
        "Load average (1, 5, 15 min) — the machine is shared, so read every figure with it: "
        f"browser run {fmt_load(b.get('load_average_start'))} at the start, "
        f"{fmt_load(b.get('load_average_end'))} at the end"
        + (
            f"; native run {fmt_load(native['machine']['load_average'])} → "
            f"{fmt_load(native['machine'].get('load_average_end'))}."
            if native
            else "."
        ),
        "",
        (
            "**How to read the figures.** Every time is a median with its interquartile range (IQR) over n runs. "
            "A comparison is the median of *paired* ratios: the two sides ran back to back in each pair, order "
            "alternating, so a load spike lands on both sides of a pair rather than on one side of the comparison. "
            "WebGPU times are wall-clock to the frames on the CPU; per-network times come from a *profiled* clip in "
            "which every `session.run` also waits for the GPU queue to drain "
            "(`e2e/harness/bench.ts`, `profile`)."
        ),
        "",
        (
            "Reproduce everything: `npm run bench` (all packages of `public/models/index.json`; "
            "`-- --package micro --reps 7 --gpu-reps 3` to choose). The parts: browser "
            f"`{browser['command']}` → `docs/bench/browser.json`; native "
            f"`{native['command'] if native else NATIVE_CMD}` → `docs/bench/native.json`; "
            f"this page `{RENDER_CMD}`."
        ),
        "",
    ]
    return "\n".join(lines)


def fmt_load(values) -> str:
    return " / ".join(f"{v:.1f}" for v in values) if values else "?"


def _step_times(runs: list[dict]) -> list[float]:
    return [v for r in runs for k, v in r["timings"].items() if k.startswith("unet[")]


def _motion_grad_times(b: dict) -> list[float]:
    return [r["ms"] for r in b["reference"]["guidedRuns"] if r["role"] == "motion_grad"]


def _score_cell(b: dict) -> str:
    n = b["score"].get("scores")
    return ms(summarize([b["score"]["e2e"]])) + (f", {n} scores" if n else "")


# (row label, backend result -> cell) of the per-stage table.
STAGES = [
    ("tokenise", lambda b: ms(summarize([r["timings"]["tokenize"] for r in b["plain"]]), 2)),
    ("text encoder", lambda b: ms(summarize(role_times(b["profile"], "text_encoder")))),
    ("UNet, per step", lambda b: ms(summarize(role_times(b["profile"], "unet")))),
    (
        "UNet step, unprofiled: time inside the step (on WebGPU: encoding and submitting it)",
        lambda b: ms(summarize(_step_times(b["engine"]))),
    ),
    ("gradient graph (motion_grad), per guided step", lambda b: ms(summarize(_motion_grad_times(b)))),
    ("VAE decode", lambda b: ms(summarize(role_times(b["profile"], "vae_decoder")))),
    ("rewards + video metrics (engine.score)", _score_cell),
    ("reference encode (engine.extractMotion)", lambda b: ms(summarize([b["reference"]["extract"]]))),
    ("guided clip (reference motion on)", lambda b: ms(summarize([b["reference"]["guidedE2e"]]))),
    ("whole clip, unprofiled", lambda b: ms(summarize(e2e(b["engine"])))),
    (
        "load (fetch + verify + sessions + warm-up)",
        lambda b: ms(summarize([b["load"]["engine"]["timings"]["total"]])),
    ),
]


def _cell(fn, result: dict) -> str:
    try:
        return fn(result)
    except (KeyError, ValueError, IndexError):  # not measured in this run
        return "—"


def stages_section(browser: dict) -> str:
    out = [
        "## Per-stage times of the engine",
        "",
        (
            "One clip through `LocalEngine` (package default steps, w and motion; seed 42), stage by stage. "
            "Network stages are the profiled runs (timed to completion); tokenisation is timed in the plain loop "
            "(the same tokenizer); rewards and reference encoding come from `engine.score` and "
            "`engine.extractMotion` on the engine's own clip and a synthetic sliding-square reference."
        ),
        "",
    ]
    for pid, pkg in browser["packages"].items():
        bs = backends(pkg)
        names = list(bs)
        rows = [[label, *(_cell(fn, bs[b]) for b in names)] for label, fn in STAGES]
        out += [f"### {pid}", "", table(["stage", *names], rows), ""]
        load_rows = _session_rows(bs)
        if load_rows:
            out += [
                (
                    "Loading, graph by graph (the engine's `compile` progress events: creating the graph's session, "
                    "plus reading the next graph's files from the local server):"
                ),
                "",
                table(["graph file", *names], load_rows),
                "",
            ]
        n = {b: len(bs[b]["profile"]) for b in names}
        out += [
            f"Profiled clips: {', '.join(f'{b} {k}' for b, k in n.items())}; rewards, reference: one run each. "
            + (
                "This package has no reward models, so `score` is the video metrics only. "
                if pid == "micro"
                else ""
            )
            + command(f"npm run bench -- --package {pid}"),
            "",
        ]
    return "\n".join(out)


def _session_rows(bs: dict[str, dict]) -> list[list[str]]:
    per = {b: {x["file"]: x["ms"] for x in r["load"]["engine"].get("sessions", [])} for b, r in bs.items()}
    files = list(dict.fromkeys(f for d in per.values() for f in d))
    return [[f"`{f}`", *(ms(summarize([per[b][f]])) if f in per[b] else "—" for b in bs)] for f in files]


def engine_vs_plain_section(browser: dict, plot: str | None) -> str:
    out = [
        "## 1. The engine against the usual way",
        "",
        (
            "The same package, graphs, session options, prompt, seed and scheduler maths through (a) the engine and "
            "(b) a plain onnxruntime-web loop of the kind public demos use (`e2e/harness/plain-loop.ts`): the "
            "latent lives in a `Float32Array`, the LCM step runs in JavaScript, and every network call takes CPU "
            "tensors in and gives CPU tensors back — on WebGPU onnxruntime uploads the inputs and reads `eps` back "
            "every step. It is written to be a fair baseline: only `eps` is fetched (not the attention maps), "
            "buffers are reused, and its frames equal the engine's (last column)."
        ),
        "",
    ]
    rows = []
    for pid, pkg in browser["packages"].items():
        for b, r in backends(pkg).items():
            ratio_s = paired_ratios(e2e(r["plain"]), e2e(r["engine"]))
            eng, pla = r["engine"][0], r["plain"][0]
            gpu = b == "webgpu"
            rows.append(
                [
                    pid,
                    b,
                    ms(summarize(e2e(r["engine"]))),
                    ms(summarize(e2e(r["plain"]))),
                    ratio(ratio_s),
                    f"{eng['readbacks']} / {pla['readbacks']}" if gpu else "0 / 0 (no GPU)",
                    f"{eng['bytesRead'] / 1e3:.1f} / {pla['bytesRead'] / 1e3:.1f} kB" if gpu else "—",
                    f"{eng['bytesWritten'] / 1e3:.1f} / {pla['bytesWritten'] / 1e3:.1f} kB" if gpu else "—",
                    f"{r['frames']['engine_vs_plain']['max']}",
                    len(r["engine"]),
                    " → ".join(f"{la[0]:.1f}" for la in r.get("load_average", [])) or "?",
                ]
            )
    out += [
        table(
            [
                "package",
                "backend",
                "engine, per clip",
                "plain loop, per clip",
                "plain ÷ engine (paired)",
                "GPU→CPU readbacks per clip (engine / plain)",
                "bytes read back",
                "host→GPU bytes (incl. onnxruntime uniforms)",
                "frames: max byte diff",
                "pairs",
                "load (1 min) start → end",
            ],
            rows,
        ),
        "",
    ]
    if plot:
        out += [f"![engine vs plain loop]({plot})", ""]
    out += [command(browser["command"]), "", engine_vs_plain_reading(browser), "", capture_section(browser)]
    return "\n".join(out)


def capture_section(browser: dict) -> str:
    """The graph-capture experiment: the package's UNet, then each of its op types alone."""
    out = [
        "### Graph capture (an experiment; the engine does not use it)",
        "",
        (
            "`e2e/harness/graph-capture.ts` runs the package's UNet on WebGPU with every input and output bound to "
            "a GPU buffer (the scalars too), first normally and then with `enableGraphCapture`, and does the same "
            "for a one-operator graph of each operator type the UNet uses (`t2v_turbo/bench/capture.py`). "
            '"CPU" is the time until `session.run` returns (onnxruntime\'s encoding and submission); "whole '
            'pass" is until the GPU queue drains.'
        ),
        "",
    ]
    rows, op_rows = [], []
    for pid, pkg in browser["packages"].items():
        r = backends(pkg).get("webgpu", {}).get("graphCapture")
        if r:
            for mode in ("uncaptured", "captured"):
                m = r.get(mode, {}) if "error" not in r else r
                if "error" in m:
                    rows.append([pid, mode, "fails", f"`{m['error'][:160]}`"])
                else:
                    rows.append([pid, mode, ms(summarize(m["cpu"])), ms(summarize(m["total"]))])
        cap = pkg.get("capture", {})
        if cap.get("ops"):
            failing = [c["op"] for c in cap["ops"] if c["captured"] != "ok"]
            working = [c["op"] for c in cap["ops"] if c["captured"] == "ok"]
            errors = sorted({c["captured"] for c in cap["ops"] if c["captured"] != "ok"})
            op_rows.append(
                [
                    pid,
                    ", ".join(working) or "—",
                    ", ".join(failing) or "—",
                    "; ".join(f"`{e[:120]}`" for e in errors) or "—",
                ]
            )
    if rows:
        out += [table(["package", "UNet run", "CPU, per pass", "whole pass (or the error)"], rows), ""]
    if op_rows:
        out += [
            table(["package", "op types that capture and replay", "op types that fail", "errors"], op_rows),
            "",
        ]
        out += [
            (
                "A graph can be captured only if all its operators can: as long as any op type in the second "
                "column fails, moving the engine's scalar inputs to the GPU would not be enough to turn capture on "
                "— the operators would have to be fixed in onnxruntime-web first (or avoided by the exporter). "
                "This was measured on SwiftShader; the failures are raised in onnxruntime's JavaScript (a bind "
                "group built without a buffer), not by the adapter, but a real GPU was not tried."
            ),
            "",
        ]
    if not rows and not op_rows:
        out += ["_Not run (no WebGPU adapter)._", ""]
    return "\n".join(out)


def engine_vs_plain_reading(browser: dict) -> str:
    """What the measured ratios mean, written from the numbers (not in advance)."""
    lines = ["**Reading.**"]
    for pid, pkg in browser["packages"].items():
        for b, r in backends(pkg).items():
            s = paired_ratios(e2e(r["plain"]), e2e(r["engine"]))
            ahead = s["q1"] > 1.0
            behind = s["q3"] < 1.0
            verdict = (
                "the engine is ahead (the whole IQR of the paired ratio lies above 1)"
                if ahead
                else "the engine is behind (the whole IQR lies below 1)"
                if behind
                else "no difference is resolved: the IQR of the paired ratio contains 1"
            )
            lines.append(f"- **{pid}, {b}:** median ratio {s['median']:.3f}; {verdict}.")
    lines += [
        (
            "- **What differs on WASM: almost nothing.** Both loops take the same data path there: the networks read "
            "and write WebAssembly memory, the step between them runs in JavaScript on the same arrays, and there is "
            "no device boundary to cross. The engine's only extra work per step is one copy of `eps` into its own "
            "buffer (`CpuOps.run`: `data(out).set(produced)`, one latent of 4·C·T·h·w bytes, microseconds). The "
            "expected ratio is therefore 1: the engine cannot be ahead on WASM by its data path, only at parity, "
            "and what would make a WASM clip faster (an int8 UNet variant, which the variant planner already "
            "prefers on WASM when a package ships one; fewer, larger ops per step) speeds both loops alike."
        ),
        (
            "- **What differs on WebGPU: the readbacks.** The engine keeps the latent on the GPU and reads back once "
            "per clip (the frames); the plain loop reads `eps` back and uploads the next sample every step (S + 1 "
            "readbacks for S steps, counted above). Each `mapAsync` read waits for the queue to drain, so the GPU "
            "idles while the CPU runs the step and the next upload."
        ),
    ]
    gpu_wasm = _swiftshader_slowdown(browser)
    if gpu_wasm:
        lines.append(
            "- **Why this WebGPU is not a GPU.** SwiftShader runs WebGPU on this same CPU: its UNet step took "
            f"{gpu_wasm:.0f}× the WASM backend's here (profiled medians). A readback on it is a memory copy next "
            "to compute that slow, so the ratio above measures mostly compute. On a real GPU a pass takes "
            "milliseconds and every avoided stall-and-copy is a larger share; the readback count is the "
            "structural difference and it is measured, its price on a real GPU is not (section 6). On a machine "
            "like this one the studio does not take this path at all: with `auto` the engine prefers WASM over a "
            "software-emulated WebGPU adapter (`chooseBackend`, app/engine/pipeline/variants.ts)."
        )
    encode = _encode_cost(browser)
    if encode:
        pid, step, gpu_step = encode
        lines.append(
            "- **What would widen the lead on a real GPU: graph capture.** Outside profiling, `session.run` returns "
            "once onnxruntime has encoded and submitted a UNet pass; the GPU work continues after. That CPU part "
            f"alone took {step['median']:.0f} ms per step here ({pid}, IQR {step['q1']:.0f}–{step['q3']:.0f}; "
            f"the whole pass, GPU included, {gpu_step['median']:.0f} ms on SwiftShader) — a fixed cost per "
            "network call that a real GPU does not shorten, which for a small UNet can exceed its GPU time. "
            "onnxruntime-web can record a session's dispatches once and replay them (`enableGraphCapture`), "
            "but only when every input and output is a GPU buffer of static shape. The engine already keeps "
            "`sample`, `context` and `eps` on the GPU; `timestep`, `guidance` and `motion` are still CPU "
            "tensors made per call (`scalar(...)`, app/engine/pipeline/generate.ts, lines 65–73), which rules "
            "capture out — and so, today, do several of the UNet's operators (the experiment below)."
        )
    return "\n".join(lines)


def _encode_cost(browser: dict) -> tuple[str, dict, dict] | None:
    """(package, the engine's unprofiled UNet step on WebGPU, the profiled one), for the first with both."""
    for pid, pkg in browser["packages"].items():
        r = backends(pkg).get("webgpu")
        if r and r.get("engine") and r.get("profile"):
            return pid, summarize(_step_times(r["engine"])), summarize(role_times(r["profile"], "unet"))
    return None


def _swiftshader_slowdown(browser: dict) -> float | None:
    """Median UNet step on SwiftShader over the same on WASM, for the first package that has both."""
    for pkg in browser["packages"].values():
        bs = backends(pkg)
        if "wasm" in bs and "webgpu" in bs:
            w, g = role_times(bs["wasm"]["profile"], "unet"), role_times(bs["webgpu"]["profile"], "unet")
            if w and g:
                return summarize(g)["median"] / summarize(w)["median"]
    return None


def browser_vs_native_section(browser: dict, native: dict | None) -> str:
    out = [
        "## 2. Browser against native",
        "",
        (
            "The engine's WASM path in Chromium against the companion's onnxruntime reference sampler "
            "(`t2v_turbo/export/reference_sampler.py`) on the same graph files (int8 text encoder, fp32 UNet and "
            "decoder), the same seeded noise, the same maths and the same thread count. Each pair is one browser "
            "clip and one native clip back to back (the native sampler runs behind a pipe, "
            "`python -m t2v_turbo bench serve`). The last column checks that both did the same work."
        ),
        "",
    ]
    rows = []
    for pid, pkg in browser["packages"].items():
        r = pkg["backends"].get("wasm")
        if not r or not r.get("native"):
            continue
        nat = [x["e2e_ms"] for x in r["native"]]
        nat_unet = [x["graph_ms"]["unet"] / pkg["request"]["steps"] for x in r["native"]]
        steps = pkg["request"]["steps"]
        rows.append(
            [
                pid,
                steps,
                ms(summarize(e2e(r["engine"]))),
                ms(summarize(nat)),
                ratio(paired_ratios(e2e(r["engine"]), nat)),
                ms(summarize(role_times(r["profile"], "unet"))),
                ms(summarize(nat_unet)),
                browser["machine"]["page"]["wasmThreads"],
                r["frames"].get("engine_vs_native", {}).get("max", "—"),
                len(nat),
            ]
        )
    out += [
        table(
            [
                "package",
                "steps",
                "browser (WASM), per clip",
                "native, per clip",
                "browser ÷ native (paired)",
                "UNet step, browser",
                "UNet step, native",
                "threads",
                "frames: max byte diff",
                "pairs",
            ],
            rows,
        ),
        "",
    ]
    if native:
        extra = []
        for pid, p in native["packages"].items():
            s = p["sampler"].get(str(browser["packages"].get(pid, {}).get("request", {}).get("steps", 4)))
            if s:
                extra.append(f"{pid}: {ms(s['e2e'])} per clip in the native-only run (n {s['e2e']['n']})")
        if extra:
            out += ["For reference, the native run of `bench native` alone: " + "; ".join(extra) + ".", ""]
    out += [
        command(browser["command"])
        + " (pairs); "
        + f"`{native['command'] if native else NATIVE_CMD}` (alone)",
        "",
    ]
    return "\n".join(out)


def student_teacher_section(browser: dict, native: dict | None, post: dict | None) -> str:
    out = [
        "## 3. Student against teacher",
        "",
        (
            "The distilled student at 4 and 8 steps (one UNet pass per step) against the 50-step teacher with "
            "classifier-free guidance (two passes per step, run as one batch of 2). Times: native onnxruntime on the "
            "same thread count for all three rows (the teacher's CFG step is `teacher_cfg.onnx`, exported from the "
            "teacher checkpoint, between the package's own text encoder and VAE decoder), and the browser's WASM "
            "engine for the student rows. Scores come from the post-training report "
            "(`docs/POST_TRAINING.json`; PyTorch sampling, held-out prompts)."
        ),
        "",
    ]
    if not native:
        return "\n".join([*out, "_No native results yet (`python -m t2v_turbo bench native`)._", ""])
    report_rows = _post_rows(post)
    for pid, p in native["packages"].items():
        teacher = p["teacher"]
        # The report scores the distilled student and its teacher: a package without a teacher (micro,
        # random weights) is not what it measured.
        rows_post = {} if teacher["source"].startswith("no teacher") else report_rows
        t_med = teacher["e2e"]["median"]
        bpkg = browser["packages"].get(pid, {})
        wasm = bpkg.get("backends", {}).get("wasm")
        rows = [
            [
                "teacher, 50 steps + CFG",
                teacher["unet_evals"],
                ms(teacher["e2e"]),
                "1×",
                "—",
                *_scores(rows_post.get("teacher")),
                _post_seconds(rows_post.get("teacher")),
            ]
        ]
        for steps in ("4", "8"):
            s = p["sampler"].get(steps)
            if not s:
                continue
            browser_runs = None
            if wasm:
                browser_runs = (
                    wasm["engine"] if int(steps) == bpkg["request"]["steps"] else wasm.get("steps8")
                )
            rows.append(
                [
                    f"student, {steps} steps",
                    int(steps),
                    ms(s["e2e"]),
                    f"**{t_med / s['e2e']['median']:.1f}×**",
                    ms(summarize(e2e(browser_runs))) if browser_runs else "—",
                    *_scores(rows_post.get(steps)),
                    _post_seconds(rows_post.get(steps)),
                ]
            )
        out += [
            f"### {pid}",
            "",
            f"Teacher: {teacher['source']}.",
            "",
            table(
                [
                    "row",
                    "UNet passes per clip",
                    "native, per clip",
                    "faster than the teacher",
                    "browser WASM, per clip",
                    "video-text",
                    "image-text",
                    "quality",
                    "motion",
                    "report's time per clip (PyTorch)",
                ],
                rows,
            ),
            "",
        ]
    if post is None:
        out += [
            (
                "_`docs/POST_TRAINING.json` does not exist yet (the post-training run has not finished), so the "
                "score columns are empty; they fill in when this page is re-rendered after it._"
            ),
            "",
        ]
    out += [command(native["command"]) + f"; scores: `{RENDER_CMD}` reads `docs/POST_TRAINING.json`", ""]
    return "\n".join(out)


def _post_rows(post: dict | None) -> dict[str, dict]:
    """The teacher row and the demo student's rows of the post-training report, by steps."""
    if not post:
        return {}
    out = {}
    for row in post.get("rows", []):
        if row.get("kind") == "teacher":
            out["teacher"] = row
        elif row.get("kind") == "student" and str(row.get("student", "")).startswith("demo"):
            out[str(row["steps"])] = row
    return out


def _scores(row: dict | None) -> list[str]:
    keys = ("video_text", "image_text", "quality", "motion")
    return [f"{row[k]:.3f}" if row and k in row else "—" for k in keys]


def _post_seconds(row: dict | None) -> str:
    return f"{row['seconds'] * 1e3:.0f} ms" if row and "seconds" in row else "—"


def scaling_section(browser: dict, native: dict | None, plot: str | None) -> str:
    out = [
        "## 4. How cost grows",
        "",
        (
            "The package's student UNet (the same module as its `unet` graph, attention-map outputs included; "
            "weights checked against the package's graph before export) exported at static shapes of 8, 16 and 32 "
            "frames and at the package's resolution and twice its side. Each graph runs alone — in a fresh page "
            "(browser, WASM) or a fresh process (native) — after one warm-up run. Memory: the browser's is the "
            "WebAssembly heap's high-water mark (a wasm memory never shrinks); the native one is the process's "
            "peak resident memory growth over its state before the session was created."
        ),
        "",
    ]
    for pid, pkg in browser["packages"].items():
        nat_shapes = {s["file"]: s for s in (native or {}).get("packages", {}).get(pid, {}).get("shapes", [])}
        rows = []
        for s in pkg.get("shapes", []):
            b = summarize(s["browser"]["times"])
            n = nat_shapes.get(s["file"])
            n_step = n["native"]["step"] if n else None
            rows.append(
                [
                    s["frames"],
                    f"{s['height']}×{s['width']}",
                    f"{s['gflop']:.3f}",
                    ms(b),
                    ms(n_step),
                    f"{b['median'] / n_step['median']:.2f}" if n_step else "—",
                    mb(s["browser"]["wasmBytes"]),
                    mb(n["native"]["peak_rss_growth"]) if n else "—",
                    f"{gflops(s['gflop'], b):.1f} / {gflops(s['gflop'], n_step):.1f}"
                    if n_step
                    else f"{gflops(s['gflop'], b):.1f} / —",
                ]
            )
        src = pkg.get("student", {}).get("source", "?")
        out += [
            f"### {pid}",
            "",
            f"Student weights: {src}.",
            "",
            table(
                [
                    "frames",
                    "pixels",
                    "GFLOP per step",
                    "browser WASM, per step",
                    "native, per step",
                    "browser ÷ native",
                    "wasm heap",
                    "native peak RSS growth",
                    "GFLOP/s browser / native",
                ],
                rows,
            ),
            "",
        ]
    if plot:
        out += [f"![per-step time against frames and resolution]({plot})", ""]
    out += [
        command(browser["command"]) + f" (browser); `{native['command'] if native else NATIVE_CMD}` (native)",
        "",
    ]
    out += [training_section(native)]
    return "\n".join(out)


def training_section(native: dict | None) -> str:
    if not native or "training" not in native:
        return "### Training throughput\n\n_Not measured in this run (`--no-training`)._\n"
    t = native["training"]
    d = t["distill"]
    rows = [
        [
            t["teacher"]["label"],
            t["teacher"]["batch_size"],
            ms(_seconds_to_ms(t["teacher"]["step_seconds"])),
            f"**{t['teacher']['clips_per_s']:.2f}**",
        ]
    ]
    for r in d["rows"]:
        rows.append(
            [
                f"distillation: {r['label']}",
                r["batch_size"],
                ms(_seconds_to_ms(r["step_seconds"])),
                f"**{r['clips_per_s']:.2f}**",
            ]
        )
    pre = d["motion_precompute"]["seconds_per_draw"]
    sources = "; ".join(f"{k}: {v}" for k, v in d["sources"].items())
    r = t.get("rendering")  # absent from runs before it was measured
    rendering = (
        "Rendering the procedural clips (each VAE step renders its batch; the teacher stages cache theirs once): "
        + (
            f"{r['label']}: **{r['wall']['clips_per_s']:.0f}** clips/s wall-clock "
            f"(IQR {r['wall']['clips_per_s_range'][0]:.0f}–{r['wall']['clips_per_s_range'][1]:.0f}), "
            f"{r['cpu']['clips_per_s']:.0f} per CPU-second, median of {r['batches']} batches of {r['per_batch']} clips."
            if r
            else "_not measured in this run._"
        )
    )
    return "\n".join(
        [
            "### Training throughput",
            "",
            (
                f"The real step functions (`train/teacher.py`, `train/distill.py`) of the `{t['package']}` package's config "
                f"(post-training preset `{d['post_preset']}`) at their configured batch sizes, with AdamW and gradient "
                f"clipping as `train/loop.py`; {t['warmup']} warm-up step, then {t['steps_timed']} timed steps per row, "
                f"{t['threads']} threads. The data are random tensors of the real shapes (the clip cache is a one-off); "
                "motion-guidance gradients come from the real teacher computation."
            ),
            "",
            table(["row", "batch", "seconds per step", "clips/s"], rows),
            "",
            (
                f"Motion-guidance preprocessing (one gradient draw per clip, `{d['motion_precompute']['reference']}` "
                f"reference): {ms(_seconds_to_ms(pre))} per draw. Networks: {sources}."
            ),
            "",
            rendering,
            "",
            command(native["command"]),
            "",
        ]
    )


def _seconds_to_ms(s: dict) -> dict:
    return {k: (v * 1e3 if k != "n" else v) for k, v in s.items()}


def overhead_section(browser: dict, native: dict | None) -> str:
    out = [
        "## 5. Overhead",
        "",
        (
            "End-to-end time divided by the sum of the model runs — the networks alone, each timed to completion in "
            "profiled clips of the engine — per backend, for both loops (the same denominator: the networks are the "
            "same). Then memory against the package's weights: GPU bytes held by live buffers (every `createBuffer` "
            "and `destroy` in the page, onnxruntime's included) and the WASM heap, each loop alone in a fresh page."
        ),
        "",
    ]
    rows = []
    mem_rows = []
    for pid, pkg in browser["packages"].items():
        wb = weight_bytes((native or {}).get("packages", {}).get(pid))
        for b, r in backends(pkg).items():
            sums = summarize(run_sums(r["profile"]))
            for loop in ("engine", "plain"):
                t = summarize(e2e(r[loop]))
                rows.append([pid, b, loop, ms(t), ms(sums), f"**{t['median'] / sums['median']:.2f}**"])
                m = r["memory"][loop]
                gen = m["generation"]
                mem_rows.append(
                    [
                        pid,
                        b,
                        loop,
                        mb(m["afterLoad"]["gpuLive"]) if b == "webgpu" else "—",
                        mb(gen["gpuPeak"]) if b == "webgpu" else "—",
                        mb(gen["wasmBytes"]),
                        mb(wb),
                        f"{gen['gpuPeak'] / wb:.2f}" if wb and b == "webgpu" else "—",
                        f"{gen['wasmBytes'] / wb:.1f}" if wb else "—",
                    ]
                )
    out += [
        table(["package", "backend", "loop", "end to end", "sum of model runs", "overhead (÷)"], rows),
        "",
        (
            "Below 1 on WebGPU is not an error: profiling waits for the GPU after every run, so the sum "
            "serialises onnxruntime's CPU-side encoding with the GPU's execution, while an unprofiled clip "
            "overlaps them (the CPU encodes the next pass while the GPU runs the last). The engine's latent "
            "never leaves the GPU, so nothing forces it to wait between passes; the plain loop waits at every "
            'readback, yet on SwiftShader — whose "GPU" threads share the same two cores — that overlap buys '
            "little."
        ),
        "",
        table(
            [
                "package",
                "backend",
                "loop",
                "GPU after load",
                "GPU peak in a clip",
                "WASM heap (high-water)",
                "package weights (fp32 set)",
                "GPU peak ÷ weights",
                "WASM heap ÷ weights",
            ],
            mem_rows,
        ),
        "",
        "The WASM heap includes onnxruntime's own runtime and arenas; on the WebGPU backend it holds the int8 text "
        "encoder (which runs on WASM) and onnxruntime's CPU-side state. " + command(browser["command"]),
        "",
    ]
    return "\n".join(out)


def gpu_section(browser: dict, native: dict | None) -> str:
    out = [
        "## 6. GPU",
        "",
        table(
            ["GPU", "browser benchmark"],
            [
                [
                    "—",
                    (
                        "**not measured on a GPU**: no machine with a GPU was "
                        "available to this run; WebGPU above ran on SwiftShader (CPU)"
                    ),
                ]
            ],
        ),
        "",
    ]
    if not native:
        return "\n".join(out)
    vc2 = native["vc2"]
    mix, mix_rows = mix_efficiency(browser, native)
    out += [
        "### On paper: the real T2V-Turbo-v2 in a browser on a consumer GPU",
        "",
        (
            f"**FLOPs, counted** (`torch.utils.flop_counter` on the meta device, our `vc2` preset = VideoCrafter2's "
            f"UNet + T2V-Turbo-v2's projections, {vc2['unet_parameters'] / 1e9:.2f} B parameters; latent "
            f"{'×'.join(str(x) for x in vc2['latent'])} for {vc2['frames']}×{vc2['height']}×{vc2['width']}): "
            f"**{vc2['unet_tflop_per_pass']:.1f} TFLOP per UNet pass** and **{vc2['vae_decode_tflop']:.1f} TFLOP "
            f"for the VAE decode** of 16 frames. A 4-step clip is "
            f"{4 * vc2['unet_tflop_per_pass'] + vc2['vae_decode_tflop']:.0f} TFLOP — a third of it the decode."
        ),
        "",
        (
            "**Kernel efficiency, measured here**: a UNet's FLOP rate divided by the best dense rate of the same "
            "runtime on this machine (a 1024³ MatMul probe), each graph alone after a warm-up run. The UNet is the "
            "demo model's architecture at its own shape (the package's own UNet when it is the demo; see the last "
            "row): a 32-channel network, narrower than the real model's 320 channels, so its efficiency is, if "
            "anything, on the low side for the real model."
        ),
        "",
        table(["runtime", "UNet GFLOP/s", "MatMul probe GFLOP/s", "UNet ÷ probe"], mix_rows),
        "",
    ]
    if not mix:
        return "\n".join([*out, "_No probe figures in this run; the estimate needs them._", ""])
    est = gpu_estimate(vc2, mix)
    rows = [
        [
            g["name"],
            f"{g['fp32_tflops']:.1f} ({g['basis']})",
            f"{g['unet_step_seconds_low']:.1f}–{g['unet_step_seconds_high']:.1f} s",
            f"**{g['seconds_low']:.0f}–{g['seconds_high']:.0f} s**",
        ]
        for g in est["gpus"]
    ]
    lo, hi = GEMM_FRACTION_BAND
    out += [
        table(["GPU", "FP32 shader peak, TFLOP/s", "one UNet step", "4-step clip + decode"], rows),
        "",
        "**What the estimate rests on.** time = FLOPs ÷ (peak × g × e), where",
        (
            "- FLOPs are counted exactly from the network definition (dense ops only; norms and activations add "
            "memory traffic, not FLOPs);"
        ),
        (
            "- peak is the spec-sheet FP32 shader rate (shaders × 2 × boost clock): WebGPU has no access to tensor "
            "cores, and on these NVIDIA parts fp16 shader math runs at the fp32 rate (fp16 halves memory and "
            "bandwidth, not ALU time);"
        ),
        (
            f"- g, the fraction of that peak a WebGPU GEMM reaches on a real GPU, is **assumed** to lie in "
            f"{lo:.1f}–{hi:.1f} — it cannot be measured without a GPU;"
        ),
        (
            f"- e, the share of a runtime's best dense rate the UNet's mix of ops keeps, is **measured** here: "
            f"{', '.join(f'{k} {v:.2f}' for k, v in mix.items())} (the band uses the lowest and highest). "
            "SwiftShader's figure is a CPU emulating a GPU and the WASM one is a CPU; a GPU's may differ either way."
        ),
        (
            f"- Cross-check: the paper reports ≈ {est['paper_seconds']:.0f} s for 4 steps on a datacentre GPU "
            f"with bf16 tensor cores. By our count that is at least {4 * vc2['unet_tflop_per_pass']:.0f} TFLOP/s "
            f"sustained for the UNet steps alone ({est['paper_implied_tflops']:.0f} TFLOP/s if the decode is "
            "included) — a rate only matrix units give (an A100's bf16 tensor peak is 312 TFLOP/s) and out of "
            "reach of shader-only WebGPU: the browser estimates above are "
            f"{min(g['seconds_low'] for g in est['gpus']) / est['paper_seconds']:.0f}× the paper's time and "
            "more."
        ),
        (
            f"- Memory, not only time: the UNet alone is {2 * vc2['unet_parameters'] / 1e9:.2f} GB in fp16. "
            "Attention lowered to MatMul + Softmax (as the exported graphs are) materialises the score matrix: "
            f"{vc2['largest_attention_scores_bytes_fp16'] / 1e9:.2f} GB in fp16 for one spatial self-attention at "
            "full latent resolution (all frames and heads at once), beyond many GPUs' per-buffer limit — a "
            "real-scale browser port needs attention split by frame or a fused kernel."
        ),
        "",
        command(f"{native['command']}; {RENDER_CMD}"),
        "",
    ]
    return "\n".join(out)


def mix_efficiency(browser: dict, native: dict | None) -> tuple[dict[str, float], list[list[str]]]:
    """Per runtime: the efficiency workload's GFLOP/s over the MatMul probe's, both measured alone
    (the first package's workload: one is enough)."""
    pid = next((k for k, p in browser["packages"].items() if p.get("efficiency")), None)
    if pid is None:
        return {}, []
    pkg = browser["packages"][pid]
    eff, probe = pkg["efficiency"], pkg.get("probe", {})
    npkg = (native or {}).get("packages", {}).get(pid, {})
    pairs = [
        ("browser WASM", eff["browser"].get("wasm", {}).get("times"), probe.get("wasm", {}).get("times")),
        (
            "browser WebGPU (SwiftShader)",
            eff["browser"].get("webgpu", {}).get("times"),
            probe.get("webgpu", {}).get("times"),
        ),
    ]
    if "efficiency" in npkg:
        pairs.append(
            ("native onnxruntime", npkg["efficiency"]["native"]["times"], npkg["probe"]["native"]["times"])
        )
    mix, rows = {}, []
    for name, eff_ms, probe_ms in pairs:
        if not eff_ms or not probe_ms:
            continue
        rate_u, rate_p = gflops(eff["gflop"], summarize(eff_ms)), gflops(probe["gflop"], summarize(probe_ms))
        mix[name] = rate_u / rate_p
        rows.append([name, f"{rate_u:.1f}", f"{rate_p:.1f}", f"**{rate_u / rate_p:.2f}**"])
    source = eff["source"].replace(str(REPO) + "/", "")
    rows.append(["", f"workload: {eff['gflop']:.2f} GFLOP per pass, {source}", "", ""])
    return mix, rows


# ── Plots ───────────────────────────────────────────────────────────────────────────────────────


def plot_engine_vs_plain(browser: dict, path: Path) -> str | None:
    """Per (package, backend): clip times of both loops, then every pair's ratio against 1."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [(pid, b, r) for pid, pkg in browser["packages"].items() for b, r in backends(pkg).items()]
    if not groups:
        return None
    fig, axes = plt.subplots(1, len(groups) + 1, figsize=(3.0 * (len(groups) + 1), 3.4), squeeze=False)
    for ax, (pid, b, r) in zip(axes[0], groups, strict=False):
        stats = [summarize(e2e(r[loop])) for loop in ("engine", "plain")]
        err = np.array([[s["median"] - s["q1"] for s in stats], [s["q3"] - s["median"] for s in stats]])
        ax.bar(
            ["engine", "plain"],
            [s["median"] for s in stats],
            yerr=err,
            capsize=4,
            color=["#3b7dd8", "#d8843b"],
        )
        ax.set_title(f"{pid} — {b}", fontsize=9)
        ax.set_ylabel("ms per clip (median, IQR)")
    ax = axes[0][-1]
    for i, (pid, b, r) in enumerate(groups):
        ratios = [p / e for p, e in zip(e2e(r["plain"]), e2e(r["engine"]), strict=True)]
        ax.scatter([i] * len(ratios), ratios, s=14, alpha=0.7)
        ax.hlines(np.median(ratios), i - 0.25, i + 0.25, color="black")
    ax.axhline(1.0, color="grey", linestyle=":")
    ax.set_xticks(range(len(groups)), [f"{pid}\n{b}" for pid, b, _ in groups], fontsize=8)
    ax.set_xlim(-0.6, len(groups) - 0.4)
    ax.set_title("plain ÷ engine, each pair", fontsize=9)
    ax.set_ylabel("ratio (> 1: engine faster)")
    fig.suptitle("Engine vs plain onnxruntime-web loop", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def plot_scaling(browser: dict, native: dict | None, path: Path) -> str | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[str, list[tuple[int, float, float, float]]] = {}
    for pid, pkg in browser["packages"].items():
        nat = {s["file"]: s for s in (native or {}).get("packages", {}).get(pid, {}).get("shapes", [])}
        for s in pkg.get("shapes", []):
            size = f"{s['height']}×{s['width']}"
            b = summarize(s["browser"]["times"])
            series.setdefault(f"{pid} {size} browser WASM", []).append(
                (s["frames"], b["median"], b["q1"], b["q3"])
            )
            if s["file"] in nat:
                n = nat[s["file"]]["native"]["step"]
                series.setdefault(f"{pid} {size} native", []).append(
                    (s["frames"], n["median"], n["q1"], n["q3"])
                )
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for name, pts in series.items():
        pts.sort()
        x = [p[0] for p in pts]
        ax.errorbar(
            x,
            [p[1] for p in pts],
            yerr=[[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]],
            marker="o" if "browser" in name else "s",
            linestyle="-" if "browser" in name else "--",
            capsize=3,
            label=name,
        )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks([8, 16, 32], ["8", "16", "32"])
    ax.set_xlabel("frames")
    ax.set_ylabel("ms per UNet step (median, IQR)")
    ax.set_title("Student UNet: cost against frames and resolution", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


# ── The report ──────────────────────────────────────────────────────────────────────────────────


def render_report(browser_path: Path, native_path: Path, post_path: Path, out: Path, images: Path) -> Path:
    if not browser_path.is_file():
        raise FileNotFoundError(f"{browser_path} does not exist: run `npm run bench` first")
    browser = json.loads(browser_path.read_text())
    native = json.loads(native_path.read_text()) if native_path.is_file() else None
    post = json.loads(post_path.read_text()) if post_path.is_file() else None
    packages = list(browser["packages"])
    rel = lambda p: Path("images") / p if p else None
    plot1 = plot_engine_vs_plain(browser, images / "bench-engine-vs-plain.png")
    plot2 = plot_scaling(browser, native, images / "bench-scaling.png")
    parts = [
        header(browser, native, packages),
        stages_section(browser),
        engine_vs_plain_section(browser, str(rel(plot1)) if plot1 else None),
        browser_vs_native_section(browser, native),
        student_teacher_section(browser, native, post),
        scaling_section(browser, native, str(rel(plot2)) if plot2 else None),
        overhead_section(browser, native),
        gpu_section(browser, native),
    ]
    out.write_text("\n".join(parts).rstrip() + "\n")
    return out


__all__ = ["CONSUMER_GPUS", "render_report"]
