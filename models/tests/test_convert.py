"""The converter for the real T2V-Turbo-v2 weights, without the real files.

Fast: every name and shape listed in /work/shared/reference/*.tsv (both files, prefixes, ignored
buffers) maps onto our networks; missing, unexpected and mis-shaped tensors fail with their names;
pickled objects are refused; the OpenCLIP text tower equals nn.MultiheadAttention on the same weights.
Heavy (`-m heavy`): a synthetic reduced-width checkpoint pair converts end to end into a package whose
onnxruntime generation equals PyTorch (the browser test, e2e/convert.spec.ts, runs the same package).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from t2v_turbo.config import resolve_config
from t2v_turbo.export.vc2 import (
    SCHEDULE_BUFFERS, STUDENT_ONLY, TEXT_PREFIX, UNET_PREFIX, VAE_PREFIX, CheckpointError, check_checkpoints,
    load_state_dict, load_vc2,
)
from t2v_turbo.nets.clip_tokenizer import ClipBpeTokenizer
from t2v_turbo.nets.open_clip_text import ClipTextConfig, OpenClipTextEncoder
from vc2_fixtures import TINY_TEXT, convert_tiny, tiny_config, write_synthetic

REFERENCE = Path("/work/shared/reference")
UNET_TSV, REST_TSV = REFERENCE / "vc2-t2v-turbo-v2-unet.tsv", REFERENCE / "vc2-vae-and-text-encoder.tsv"
needs_reference = pytest.mark.skipif(not UNET_TSV.exists(), reason="reference TSVs not present")


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def meta_tensors(path: Path) -> dict[str, torch.Tensor]:
    out = {}
    for line in path.read_text().splitlines()[1:]:
        name, shape = line.split("\t")
        out[name] = torch.empty([int(d) for d in shape.split("x")] if shape else [], device="meta")
    return out


def reference_checkpoints() -> tuple[dict, dict]:
    """The real files' names and shapes, as meta tensors: (VideoCrafter2 state dict, T2V-Turbo-v2 UNet)."""
    student = meta_tensors(UNET_TSV)
    base = {UNET_PREFIX + k: v for k, v in student.items() if k not in STUDENT_ONLY}
    base |= meta_tensors(REST_TSV)
    base |= {name: torch.empty(1000, device="meta") for name in SCHEDULE_BUFFERS}
    return base, student


@needs_reference
def test_every_reference_tensor_maps_onto_our_networks():
    base, student = reference_checkpoints()
    assert len(student) == 1487 and sum(v.numel() for v in student.values()) == 1_413_653_060
    parts, text_cfg = check_checkpoints(base, student, resolve_config("vc2"))
    assert text_cfg == ClipTextConfig()  # ViT-H/14: width 1024, 24 layers, 16 heads, 77 tokens, 49,408 tokens
    assert len(parts.unet) == 1484 and len(parts.vae) == 248 and len(parts.text) == 294 and parts.unknown == []
    text_params = sum(v.numel() for v in parts.text.values())
    assert round(text_params / 1e6, 1) == 354.0
    assert ClipBpeTokenizer.from_file().vocab_size == text_cfg.vocab_size


@needs_reference
def test_missing_unexpected_and_misshaped_tensors_are_named():
    base, student = reference_checkpoints()
    del base[VAE_PREFIX + "decoder.conv_out.bias"]
    base[UNET_PREFIX + "output_blocks.99.0.weight"] = torch.empty(3, device="meta")
    base["model_ema.decay"] = torch.empty([], device="meta")
    base[TEXT_PREFIX + "ln_final.weight"] = torch.empty(1280, device="meta")
    del student["combine_proj.weight"]
    with pytest.raises(CheckpointError) as info:
        check_checkpoints(base, student, resolve_config("vc2"), "model.ckpt", "unet_mg.pt")
    message = str(info.value)
    for expected in (
        "model.ckpt: 1 missing: first_stage_model.decoder.conv_out.bias",
        "model.ckpt: 1 unexpected: model_ema.decay",
        "model.ckpt: 1 unexpected: model.diffusion_model.output_blocks.99.0.weight",
        "cond_stage_model.model.ln_final.weight [1280] (expected [1024])",
        "unet_mg.pt: 1 missing: combine_proj.weight",
    ):
        assert expected in message, message


@needs_reference
def test_the_student_file_is_not_the_base_unet():
    base, student = reference_checkpoints()
    plain = {k[len(UNET_PREFIX):]: v for k, v in base.items() if k.startswith(UNET_PREFIX)}
    with pytest.raises(CheckpointError, match=r"unet_mg.pt: 3 missing: combine_proj.weight, motion_cond_proj"):
        check_checkpoints(base, plain, resolve_config("vc2"), "model.ckpt", "unet_mg.pt")


def test_checkpoint_files_load_memory_mapped_and_refuse_pickled_objects(tmp_path):
    state = {"a.weight": torch.randn(3, 2)}
    torch.save({"state_dict": state, "epoch": 3}, tmp_path / "lightning.ckpt")
    loaded = load_state_dict(tmp_path / "lightning.ckpt")
    assert list(loaded) == ["a.weight"] and torch.equal(loaded["a.weight"], state["a.weight"])
    torch.save({"state_dict": state, "hparams": argparse.Namespace(lr=1)}, tmp_path / "pickled.ckpt")
    with pytest.raises(CheckpointError, match="--allow-pickle"):
        load_state_dict(tmp_path / "pickled.ckpt")
    assert list(load_state_dict(tmp_path / "pickled.ckpt", allow_pickle=True)) == ["a.weight"]
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        load_state_dict(tmp_path / "nope.ckpt")


def test_text_tower_equals_multihead_attention_reference():
    """Our explicit attention and block order against torch's nn.MultiheadAttention (what OpenCLIP uses)."""
    torch.manual_seed(0)
    cfg = ClipTextConfig(width=64, layers=3, heads=2)
    encoder = OpenClipTextEncoder(cfg, ClipBpeTokenizer.from_file()).eval()
    ids = encoder.tokenizer(["a corgi surfing a wave at sunset"]).input_ids
    x = encoder.token_embedding(ids) + encoder.positional_embedding  # (1, 77, 64)
    causal = torch.full((77, 77), float("-inf")).triu(1)
    with torch.no_grad():
        for block in encoder.transformer.resblocks[:-1]:
            mha = nn.MultiheadAttention(64, 2)
            mha.load_state_dict({"in_proj_weight": block.attn.in_proj_weight, "in_proj_bias": block.attn.in_proj_bias,
                                 "out_proj.weight": block.attn.out_proj.weight, "out_proj.bias": block.attn.out_proj.bias})
            h = block.ln_1(x).transpose(0, 1)  # (L, N, D): OpenCLIP's layout
            x = x + mha(h, h, h, need_weights=False, attn_mask=causal)[0].transpose(0, 1)
            x = x + block.mlp.c_proj(F.gelu(block.mlp.c_fc(block.ln_2(x))))
        expected = encoder.ln_final(x)
        got = encoder(ids)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
    # Causal: a token's context does not depend on later tokens (padding included).
    other = ids.clone()
    other[0, 20:] = 1000
    with torch.no_grad():
        torch.testing.assert_close(encoder(other)[0, :20], got[0, :20])


def test_synthetic_reduced_checkpoints_load_into_the_networks(tmp_path):
    base_path, unet_path = write_synthetic(tmp_path)
    weights = load_vc2(base_path, unet_path, tiny_config())
    assert weights.text_cfg == TINY_TEXT
    student = torch.load(unet_path)
    for name, value in weights.unet.state_dict().items():
        assert torch.equal(value, student[name]), name
    assert not any(p.requires_grad for p in weights.unet.parameters())


def test_convert_command_names_the_tensors_at_fault(tmp_path, capsys):
    from t2v_turbo.cli import main
    from vc2_fixtures import TINY_OVERRIDES, synthetic_state

    base, student = synthetic_state(tiny_config(), TINY_TEXT)
    del base["state_dict"][VAE_PREFIX + "post_quant_conv.weight"]
    student["extra_head.weight"] = torch.zeros(2)
    torch.save(base, tmp_path / "model.ckpt")
    torch.save(student, tmp_path / "unet_mg.pt")
    overrides = [a for o in TINY_OVERRIDES for a in ("--set", o)]
    code = main(["convert", "--vc2", str(tmp_path / "model.ckpt"), "--unet", str(tmp_path / "unet_mg.pt"),
                 "--out", str(tmp_path / "pkg"), *overrides])
    err = capsys.readouterr().err
    assert code == 2
    assert "model.ckpt: 1 missing: first_stage_model.post_quant_conv.weight" in err
    assert "unet_mg.pt: 1 unexpected: extra_head.weight" in err
    assert not (tmp_path / "pkg").exists()  # nothing written


@pytest.mark.heavy
def test_reduced_width_conversion_runs_end_to_end_and_matches_pytorch(tmp_path):
    """convert -> package (fp32 graphs, shards, manifest) -> onnxruntime 4-step generation == PyTorch."""
    from t2v_turbo.diffusion.lcm import inference_timesteps, sample_lcm
    from t2v_turbo.diffusion.schedule import NoiseSchedule
    from t2v_turbo.export.graphs import UNetGraph
    from t2v_turbo.export.manifest import load_manifest
    from t2v_turbo.export.reference_sampler import PackageSampler, to_rgba

    base_path, unet_path = write_synthetic(tmp_path / "ckpt")
    out = tmp_path / "models" / "vc2-tiny"
    assert convert_tiny(base_path, unet_path, out) == 0
    manifest = load_manifest(out / "manifest.json")
    assert set(manifest["graphs"]) == {"text_encoder", "unet", "vae_decoder"}
    assert manifest["text"]["tokenizer"]["kind"] == "clip-bpe" and manifest["text"]["embed_dim"] == 64
    assert [i["name"] for i in manifest["graphs"]["text_encoder"]["inputs"]] == ["input_ids"]
    assert manifest["requirements"]["max_buffer_bytes"] > 0
    assert json.loads((out.parent / "index.json").read_text()) == {"packages": ["vc2-tiny"]}

    prompt, seed, steps, w, m = "a corgi surfing a wave at sunset", 7, 4, 7.5, 0.5
    frames, latent = PackageSampler(out).generate(prompt, steps, w, m, seed, return_latent=True)

    cfg = tiny_config()
    weights = load_vc2(base_path, unet_path, cfg)
    context, _ = weights.text_encoder.encode([prompt])
    unet = UNetGraph(weights.unet, float(cfg.geometry.fps), with_attention=False)
    abar = NoiseSchedule(1000, cfg.schedule.beta_start, cfg.schedule.beta_end).alphas_cumprod()

    def eps_fn(z, t, i):
        return unet(z, torch.tensor([float(t)]), context, torch.tensor([w]), torch.tensor([m]))

    with torch.no_grad():
        z = sample_lcm(eps_fn, (1, *cfg.latent_shape), abar, inference_timesteps(1000, 200, steps), seed)
    rel = float(np.abs(latent - z.numpy()).max() / np.abs(z.numpy()).max())
    with torch.no_grad():
        expected = to_rgba(weights.vae.decode(z / manifest["latent"]["scale"]).numpy())
    frame_error = int(np.abs(frames.astype(int) - expected.astype(int)).max())
    print(f"reduced vc2 package, 4 steps: latent max rel error {rel:.2e}, frames max |Δbyte| {frame_error}")
    assert rel < 1e-4
    assert manifest["graphs"]["vae_decoder"]["inputs"][0]["shape"][2] == 1  # decoded frame by frame
    assert frames.shape == (4, 64, 64, 4) and frame_error <= 1


@pytest.mark.heavy
def test_full_size_unet_exports_to_sharded_fp16_that_passes_the_checker(tmp_path):
    """The 1.41 B-parameter vc2 UNet, randomly initialised, through the converter's export path:
    fp32 export with external data, streamed fp16 conversion, 256 MB shards. ~10 GB RAM, minutes."""
    import resource
    import time

    import onnx

    from t2v_turbo.export.external import SHARD_BYTES
    from t2v_turbo.export.graphs import UNetGraph
    from t2v_turbo.export.package import GraphSpec, export_graph, externalize
    from t2v_turbo.export.requirements import graph_memory
    from t2v_turbo.nets.unet3d import UNet3D

    torch.set_num_threads(2)
    cfg = resolve_config("vc2")
    with torch.device("meta"):
        unet = UNet3D(cfg.unet)
    unet = unet.to_empty(device="cpu").requires_grad_(False).eval()
    torch.manual_seed(0)
    for p in unet.parameters():
        p.normal_(std=0.02)
    numel = sum(p.numel() for p in unet.parameters())
    kept_fp32 = sum(p.numel() for m in unet.modules() if isinstance(m, (nn.LayerNorm, nn.GroupNorm))
                    for p in m.parameters())
    predicted = 2 * numel + 2 * kept_fp32  # fp16 weights; normalisation scales and shifts stay fp32
    C, T, h, w = cfg.latent_shape
    inputs = {"sample": torch.randn(1, C, T, h, w), "timestep": torch.tensor([499.0]),
              "context": torch.randn(1, 77, 1024), "guidance": torch.tensor([7.5]), "motion": torch.tensor([0.5])}
    spec = GraphSpec("unet", UNetGraph(unet, 8.0, with_attention=False), inputs, ["eps"], ["fp16"])
    t0 = time.perf_counter()
    entry = export_graph(spec, tmp_path, {}, check_parity=False)
    t_export = time.perf_counter() - t0
    del spec, unet
    externalize(tmp_path, {"unet": entry})
    t_total = time.perf_counter() - t0

    variant = entry["variants"][0]
    graph = tmp_path / variant["file"]["path"]
    onnx.checker.check_model(str(graph))  # by path: resolves the external data
    shards = variant["external_data"]
    shard_bytes = sum(s["bytes"] for s in shards)
    memory = graph_memory(graph)
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".data") or "fp32" in p.name)
    print(json.dumps({
        "parameters": numel, "graph_bytes": graph.stat().st_size, "shards": len(shards), "shard_bytes": shard_bytes,
        "predicted_bytes": predicted, "export_s": round(t_export), "total_s": round(t_total),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 1),
        "peak_activation_bytes": memory.peak_activation_bytes, "largest_tensor_bytes": memory.largest_tensor_bytes,
        "largest_tensor": memory.largest_tensor,
    }))
    assert numel == 1_413_653_060
    assert leftovers == []  # the fp32 intermediate and the per-graph data file are gone
    # Tensors are never split, so greedy filling may leave one shard more than the minimum.
    assert all(s["bytes"] <= SHARD_BYTES for s in shards) and len(shards) <= -(-shard_bytes // SHARD_BYTES) + 1
    assert abs(shard_bytes - predicted) / predicted < 0.01, (shard_bytes, predicted)
    assert graph.stat().st_size < 2**31 - 1 and memory.largest_tensor_bytes < 2**30
