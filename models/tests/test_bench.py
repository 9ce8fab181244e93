"""The benchmark tooling (t2v_turbo.bench): its statistics, FLOP counting, the checks that tie the
benchmark graphs to the package, the MatMul probe, the native sampler pipe, the memory measurement of
a graph run, and the report rendered from the committed results. Nothing here asserts a speed.
"""

import base64
import copy
import io
import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from t2v_turbo.bench.flops import _count, gpu_estimate, unet_flops
from t2v_turbo.bench.graphs import Network, check_against_package, package_student, probe_graph
from t2v_turbo.bench.native import time_graph
from t2v_turbo.bench.serve import serve
from t2v_turbo.bench.stats import paired_ratios, summarize
from t2v_turbo.config import resolve_config
from t2v_turbo.export.manifest import load_manifest
from t2v_turbo.export.reference_sampler import PackageSampler

REPO = Path(__file__).resolve().parents[2]
MICRO = REPO / "public" / "models" / "micro"
RESULTS = REPO / "docs" / "bench"


def test_summaries_are_numpy_quartiles_and_ratios_are_paired():
    samples = [5.0, 1.0, 4.0, 2.0, 3.0, 10.0]
    s = summarize(samples)
    q1, med, q3 = np.percentile(samples, [25, 50, 75])
    assert (s["q1"], s["median"], s["q3"], s["n"]) == (q1, med, q3, 6)
    assert s["iqr"] == pytest.approx(q3 - q1)
    # Paired: each ratio uses its own pair, so a shared load spike cancels.
    r = paired_ratios([20.0, 200.0, 22.0], [10.0, 100.0, 11.0])
    assert r["median"] == pytest.approx(2.0) and r["iqr"] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="3 numerators but 2"):
        paired_ratios([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="no samples"):
        summarize([])


def test_flop_count_of_a_convolution_is_two_per_multiply_add():
    conv = torch.nn.Conv2d(8, 16, 3, padding=1)
    x = torch.randn(2, 8, 10, 12)
    assert _count(lambda: conv(x)) == 2 * (2 * 16 * 10 * 12) * (8 * 3 * 3)


def test_unet_flops_are_quadratic_in_frames_and_linear_in_batch():
    cfg = resolve_config("micro")
    C, _, h, w = cfg.latent_shape
    f = [unet_flops(cfg, (C, t, h, w)) for t in (1, 2, 3, 4)]
    # Per-frame work (convolutions, spatial attention) is linear in T, temporal attention's T x T
    # scores quadratic, per-clip work (embeddings, text keys) constant: equal, positive 2nd differences.
    assert f[2] - 2 * f[1] + f[0] == f[3] - 2 * f[2] + f[1] > 0
    assert unet_flops(cfg, (C, 2, h, w), batch=2) == 2 * f[1]


def test_gpu_estimate_follows_its_formula():
    vc2 = {"unet_tflop_per_pass": 10.0, "vae_decode_tflop": 20.0}
    est = gpu_estimate(vc2, {"a": 0.5, "b": 0.25}, steps=4)
    assert est["work_tflop"] == 60.0
    lo_g, hi_g = est["gemm_fraction_band"]
    for g in est["gpus"]:
        assert g["seconds_low"] == pytest.approx(60.0 / (g["fp32_tflops"] * hi_g * 0.5))
        assert g["seconds_high"] == pytest.approx(60.0 / (g["fp32_tflops"] * lo_g * 0.25))


def test_the_benchmark_student_is_the_packages_unet_and_a_different_one_is_refused():
    net = package_student(MICRO)
    manifest = load_manifest(MICRO / "manifest.json")
    assert check_against_package(net, MICRO, manifest) < 1e-4
    perturbed = copy.deepcopy(net.unet)
    with torch.no_grad():
        perturbed.out[2].weight.add_(0.1)  # the output convolution
    with pytest.raises(ValueError, match="is not the package's UNet"):
        check_against_package(Network(perturbed, net.cfg, "a perturbed copy"), MICRO, manifest)


def test_probe_graph_is_a_matmul_onnxruntime_web_can_read(tmp_path):
    entry = probe_graph(tmp_path / "probe.onnx", n=64)
    assert onnx.load(str(tmp_path / "probe.onnx")).ir_version <= 13  # onnxruntime-web 1.30 reads up to 13
    a, b = np.random.default_rng(0).standard_normal((2, 64, 64)).astype(np.float32)
    (c,) = ort.InferenceSession(str(tmp_path / "probe.onnx")).run(None, {"a": a, "b": b})
    np.testing.assert_allclose(c, a @ b, rtol=1e-4, atol=1e-4)
    assert entry["gflop"] == pytest.approx(2 * 64**3 / 1e9)


def test_a_graph_is_timed_in_its_own_process_with_its_memory(tmp_path):
    entry = probe_graph(tmp_path / "probe.onnx", n=512)
    r = time_graph(tmp_path / entry["file"], entry["inputs"], entry["outputs"], threads=1, reps=2)
    assert len(r["times"]) == 2 and all(t > 0 for t in r["times"])
    # The 512x512 output alone is 1 MB, allocated after the baseline was taken.
    assert r["peak_rss_growth"] >= 512 * 512 * 4


def test_the_native_pipe_answers_with_the_reference_samplers_frames():
    request = {"prompt": "a red circle moving right", "steps": 2, "guidance": 7.5, "motion": 0.5, "seed": 3}
    stdin = io.StringIO(
        json.dumps({**request, "frames": True}) + "\n" + json.dumps({**request, "steps": 0}) + "\n"
    )
    stdout = io.StringIO()
    serve(MICRO, threads=1, stdin=stdin, stdout=stdout)
    ready, first, bad = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert ready == {"ready": True, "threads": 1, "package": "micro"}
    assert first["e2e_ms"] > 0 and set(first["graph_ms"]) == {"text_encoder", "unet", "vae_decoder"}
    expected = PackageSampler(MICRO, threads=1).generate("a red circle moving right", 2, 7.5, 0.5, 3)
    got = np.frombuffer(base64.b64decode(first["frames"]), np.uint8).reshape(expected.shape)
    np.testing.assert_array_equal(got, expected)
    assert "steps must lie in" in bad["error"]  # a bad request is answered, and the pipe keeps going


@pytest.mark.skipif(not (RESULTS / "browser.json").is_file(), reason="no committed benchmark results")
def test_the_report_renders_from_the_committed_results(tmp_path):
    from t2v_turbo.bench.render import render_report

    out = render_report(
        RESULTS / "browser.json",
        RESULTS / "native.json",
        tmp_path / "none.json",
        tmp_path / "BENCHMARKS.md",
        tmp_path / "images",
    )
    text = out.read_text()
    for heading in (
        "## 1. The engine against the usual way",
        "## 2. Browser against native",
        "## 3. Student against teacher",
        "## 4. How cost grows",
        "## 5. Overhead",
        "## 6. GPU",
    ):
        assert heading in text
    assert "not measured on a GPU" in text
    assert (tmp_path / "images" / "bench-engine-vs-plain.png").stat().st_size > 0
    # The table's figures are the JSON's samples, summarised here (not copied from anywhere else).
    browser = json.loads((RESULTS / "browser.json").read_text())
    pkg = next(iter(browser["packages"].values()))
    engine = summarize([r["e2e"] for r in pkg["backends"]["wasm"]["engine"]])
    assert f"{engine['median']:.0f} ms" in text or f"{engine['median']:.1f} ms" in text


def test_the_rendering_row_is_measured_per_batch_and_reported():
    from t2v_turbo.bench.render import training_section
    from t2v_turbo.bench.training import rendering_throughput

    row = rendering_throughput(resolve_config("micro"), batches=3, per_batch=2)
    assert row["batch_seconds"]["n"] == 3
    low, high = row["wall"]["clips_per_s_range"]
    assert 0 < low <= row["wall"]["clips_per_s"] <= high
    native = json.loads((RESULTS / "native.json").read_text())
    assert "_not measured in this run._" in training_section(native) or "rendering" in native["training"]
    native["training"]["rendering"] = row
    text = training_section(native)
    assert f"**{row['wall']['clips_per_s']:.0f}** clips/s wall-clock" in text
    assert "median of 3 batches of 2 clips" in text
