"""Export parity: the committed micro package against freshly built PyTorch networks (same seed, same
weights), the gradient graph against autograd, a 4-step ONNX generation against the PyTorch sampler,
and the exporter itself on small graphs. Re-exporting the whole package (gradient graph included)
takes minutes, so CI checks the committed files; `python -m t2v_turbo export-micro` rebuilds them.
"""

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
import torch.nn.functional as F

from t2v_turbo.diffusion.lcm import inference_timesteps, sample_lcm
from t2v_turbo.diffusion.schedule import NoiseSchedule
from t2v_turbo.export.build import graph_specs, micro_networks
from t2v_turbo.export.graphs import MotionGradGraph, UNetGraph, VaeDecoderGraph
from t2v_turbo.export.manifest import load_manifest
from t2v_turbo.export.onnx_tools import check_webgpu_ops, export_onnx, parity, run_onnx, to_fp16
from t2v_turbo.export.package import TOLERANCE, sha256
from t2v_turbo.export.reference_sampler import PackageSampler, to_rgba

MICRO = Path(__file__).resolve().parents[2] / "public" / "models" / "micro"


@pytest.fixture(scope="module")
def net():
    return micro_networks(seed=0)


@pytest.fixture(scope="module")
def manifest():
    return load_manifest(MICRO / "manifest.json")


def test_micro_package_files_match_the_manifest(manifest):
    refs = [manifest["text"]["tokenizer"]["vocab"]]
    refs += [v["file"] for g in manifest["graphs"].values() for v in g["variants"]]
    total = 0
    for ref in refs:
        path = MICRO / ref["path"]
        assert path.stat().st_size == ref["bytes"], ref["path"]
        assert sha256(path) == ref["sha256"], ref["path"]
        total += ref["bytes"]
    assert total < 2.5e6, f"micro package is {total / 1e6:.2f} MB"


@pytest.mark.parametrize("role", ["text_encoder", "unet", "motion_grad", "vae_encoder", "vae_decoder"])
def test_every_micro_graph_matches_pytorch(net, manifest, role):
    (spec,) = graph_specs(net, ["fp32"], roles={role})
    if role == "motion_grad":  # compare with autograd itself, not with the traced graph
        reference = spec.module.reference
    else:
        reference = spec.module
    with torch.no_grad():
        expected = reference(*spec.inputs.values())
    expected = expected if isinstance(expected, tuple) else (expected,)
    for variant in manifest["graphs"][role]["variants"]:
        got = run_onnx(MICRO / variant["file"]["path"], {k: v.numpy() for k, v in spec.inputs.items()})
        for name, g, e in zip(spec.outputs, got, expected, strict=True):
            p = parity(g, e.detach().numpy())
            print(f"{role} {variant['precision']} {name}: {p}")
            assert p.max_rel <= TOLERANCE[variant["precision"]], f"{role}.{name} {variant['precision']}: {p}"


def test_four_step_onnx_generation_equals_the_pytorch_sampler(net, manifest):
    prompt, seed, steps, w, m = "a red circle moving right", 42, 4, 7.5, 0.5
    frames = PackageSampler(MICRO).generate(prompt, steps, w, m, seed)

    cfg = net.cfg
    abar = NoiseSchedule(cfg.schedule.num_train_timesteps, cfg.schedule.beta_start, cfg.schedule.beta_end).alphas_cumprod()
    context, _ = net.text_encoder.encode([prompt])
    unet = UNetGraph(net.unet, float(cfg.geometry.fps), with_attention=False)

    def eps_fn(z, t, i):
        return unet(z, torch.tensor([float(t)]), context, torch.tensor([w]), torch.tensor([m]))

    timesteps = inference_timesteps(cfg.schedule.num_train_timesteps, 200, steps)
    # The package's noise (micro declares multiscale noise, so this also checks that path end to end).
    assert manifest["schedule"]["multiscale_noise"] == cfg.teacher_training.multiscale_noise == 0.8
    z = sample_lcm(eps_fn, (1, *cfg.latent_shape), abar, timesteps, seed, multiscale=0.8)
    with torch.no_grad():
        video = VaeDecoderGraph(net.vae)(z / manifest["latent"]["scale"])
    expected = to_rgba(video.numpy())
    diff = np.abs(frames.astype(int) - expected.astype(int))
    print(f"ONNX vs PyTorch frames: max |Δbyte| {diff.max()}, mean {diff.mean():.4f}")
    assert diff.max() <= 1


def test_gradient_trace_equals_autograd_and_exports_with_webgpu_ops_only(net, tmp_path):
    (spec,) = graph_specs(net, ["fp32"], roles={"motion_grad"})
    module: MotionGradGraph = spec.module
    args = tuple(spec.inputs.values())
    traced, ref = module(*args), module.reference(*args)
    for name, a, b in zip(spec.outputs, traced, ref, strict=True):
        assert parity(a.detach().numpy(), b.detach().numpy()).max_rel < 1e-5, name
    # The energy falls along -grad: the gradient is a real descent direction, not just self-consistent.
    z, rest = args[0], args[1:]
    step = z - 1e-2 * ref[0] / ref[0].norm()
    assert module.reference(step, *rest)[1] < ref[1]
    ops = {n.op_type for n in onnx.load(str(MICRO / "motion_grad.fp32.onnx")).graph.node}
    assert "ConvTranspose" in ops and not ops & {"Where", "Not", "GatherElements", "NonZero"}


def test_exporter_on_small_graphs(net, tmp_path):
    """The exporter path itself (dynamo export, metadata stripped, 2D-only check, fp16 conversion)."""
    (spec,) = graph_specs(net, ["fp32"], roles={"vae_decoder"})
    path = export_onnx(spec.module, tuple(spec.inputs.values()), tmp_path / "dec.onnx", list(spec.inputs), spec.outputs)
    half = to_fp16(path, tmp_path / "dec16.onnx")
    feeds = {k: v.numpy() for k, v in spec.inputs.items()}
    with torch.no_grad():
        expected = spec.module(*spec.inputs.values()).numpy()
    assert parity(run_onnx(path, feeds)[0], expected).max_rel < TOLERANCE["fp32"]
    assert parity(run_onnx(half, feeds)[0], expected).max_rel < TOLERANCE["fp16"]
    assert all(not p.key.startswith("pkg.torch") for n in onnx.load(str(path)).graph.node for p in n.metadata_props)


def test_a_3d_convolution_is_refused():
    class Conv3d(torch.nn.Module):
        def forward(self, x):
            return F.conv3d(x, torch.ones(1, 1, 3, 1, 1), padding=(1, 0, 0))

    program = torch.onnx.export(Conv3d(), (torch.ones(1, 1, 4, 2, 2),), dynamo=True, verbose=False)
    with pytest.raises(ValueError, match="3D Conv"):
        check_webgpu_ops(program.model_proto, "conv3d.onnx")


from post_training_fixtures import micro_stack  # noqa: E402, F401  (fixture)


@pytest.mark.slow
def test_the_export_command_packages_a_distilled_student(micro_stack, tmp_path):  # noqa: F811
    """`python -m t2v_turbo export` end to end on a micro student (without the minutes-long gradient
    graph): the manifest carries the student's own grid and steps, the reward models, and the
    package is listed first in its folder's index.json."""
    import json

    from t2v_turbo.cli import main
    from t2v_turbo.train import distill as D

    final = D.train_student(micro_stack.post(), micro_stack.teacher, tmp_path / "student", micro_stack.root / "cache")
    _, _, extras = D.load_student(final)
    out = tmp_path / "models" / "student-micro"
    assert main(["export", "--student", str(final), "--rewards", str(micro_stack.root / "rewards"),
                 "--out", str(out), "--id", "student-micro", "--name", "Micro student",
                 "--precisions", "fp32", "--no-motion-guidance", "--default"]) == 0
    manifest = load_manifest(out / "manifest.json")
    assert manifest["sampler"]["grid"] == {"num_steps": extras["grid_steps"], "skip": extras["skip"]}
    teacher_steps = json.loads((Path(micro_stack.teacher) / "meta.json").read_text())["step"]
    assert manifest["provenance"]["training_steps"] == {"student": extras["step"], "teacher": teacher_steps}
    assert {"reward_video_text", "reward_image_text", "reward_quality"} <= set(manifest["graphs"])
    assert "motion_grad" not in manifest["graphs"] and "motion_guidance" not in manifest
    assert json.loads((out.parent / "index.json").read_text())["packages"][0] == "student-micro"


def test_repeated_constants_are_stored_once_and_compute_the_same(tmp_path):
    """A constant repeated along an axis (what constant folding makes of a broadcast) is stored as one
    slice plus an Expand; a uniform one as a single value; the graph's outputs do not change."""
    from onnx import TensorProto, helper, numpy_helper

    from t2v_turbo.export.onnx_tools import collapse_repeated_constants

    rng = np.random.default_rng(0)
    repeated = np.broadcast_to(rng.standard_normal((1, 64, 64), dtype=np.float32), (64, 64, 64)).copy()
    ones = np.ones((64, 64, 64), np.float32)
    varied = rng.standard_normal((64, 64, 64), dtype=np.float32)  # nothing to collapse
    graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "a"], ["xa"]), helper.make_node("Add", ["xa", "b"], ["xab"]),
         helper.make_node("Add", ["xab", "c"], ["y"])],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [64, 64, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [64, 64, 64])],
        [numpy_helper.from_array(repeated, "a"), numpy_helper.from_array(ones, "b"),
         numpy_helper.from_array(varied, "c")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    before, after = tmp_path / "before.onnx", tmp_path / "after.onnx"
    onnx.save(model, str(before))
    saved = collapse_repeated_constants(model.graph)
    onnx.checker.check_model(model)
    onnx.save(model, str(after))
    assert saved == 2 * 64**3 * 4 - (64 * 64 + 1) * 4
    assert after.stat().st_size < before.stat().st_size - saved + 4096
    x = rng.standard_normal((64, 64, 64), dtype=np.float32)
    (expected,), (got,) = run_onnx(before, {"x": x}), run_onnx(after, {"x": x})
    np.testing.assert_array_equal(got, expected)
