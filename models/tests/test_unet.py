"""The VideoCrafter2-family 3D UNet: checkpoint names/shapes, 2D-only temporal conv, conditioning,
attention maps for motion guidance, and an ONNX export that runs in onnxruntime."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from t2v_turbo.config import resolve_config
from t2v_turbo.nets.unet3d import TemporalConv, TemporalConvBlock, UNet3D

REFERENCE = Path("/work/shared/reference/vc2-t2v-turbo-v2-unet.tsv")


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Micro-sized ops gain nothing from a second thread and stall on a busy shared CPU."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def read_tsv(path: Path, prefix: str = "") -> dict[str, tuple[int, ...]]:
    shapes = {}
    for line in path.read_text().splitlines()[1:]:
        name, shape = line.split("\t")
        if name.startswith(prefix):
            shapes[name[len(prefix) :]] = tuple(int(d) for d in shape.split("x")) if shape else ()
    return shapes


def micro_unet(seed: int = 0, additions: bool = False) -> tuple[UNet3D, object]:
    """additions: the UNet's optional additions on (not in VC2): both frame-index ones
    (temporal_frame_position, frame_embedding) and the text embedding."""
    flag = str(additions).lower()
    cfg = resolve_config("micro", overrides=[f"unet.temporal_frame_position={flag}", f"unet.frame_embedding={flag}",
                                             f"unet.text_embedding={flag}"])
    torch.manual_seed(seed)
    unet = UNet3D(cfg.unet).eval()
    # Training would move the zero-initialised output layers; do it here so that every path matters.
    with torch.no_grad():
        for name, p in unet.named_parameters():
            if not name.startswith(("time_cond_proj", "motion_cond_proj", "combine_proj")):
                p.add_(torch.randn_like(p) * 0.05)
    return unet, cfg


def inputs(cfg, batch: int = 2, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    c, t, h, w = cfg.latent_shape
    return (
        torch.randn(batch, c, t, h, w, generator=g),
        torch.tensor([10.0, 700.0][:batch]),
        torch.randn(batch, 48, cfg.text.embed_dim, generator=g),
        torch.full((batch,), 8.0),
    )


@pytest.mark.skipif(not REFERENCE.exists(), reason="reference TSV not present")
def test_vc2_preset_matches_the_real_checkpoint_names_and_shapes():
    cfg = resolve_config("vc2")
    with torch.device("meta"):
        unet = UNet3D(cfg.unet)
    ours = {k: tuple(v.shape) for k, v in unet.state_dict().items()}
    ref = read_tsv(REFERENCE)
    assert len(ref) == 1487
    assert sorted(set(ref) - set(ours)) == [], "missing tensors"
    assert sorted(set(ours) - set(ref)) == [], "unexpected tensors"
    assert {k: v for k, v in ours.items() if ref[k] != v} == {}, "shape mismatches"
    assert sum(torch.Size(s).numel() for s in ours.values()) == 1_413_653_060
    assert unet.num_attn_maps == 9  # the decoder's temporal transformers used by motion guidance


def test_temporal_conv_2d_form_equals_conv3d():
    torch.manual_seed(0)
    conv3d = nn.Conv3d(6, 5, (3, 1, 1), padding=(1, 0, 0))
    ours = TemporalConv(6, 5)
    ours.load_state_dict(conv3d.state_dict())  # same checkpoint layout: weight (5, 6, 3, 1, 1)
    x = torch.randn(2, 6, 7, 4, 3)  # (B, C, T, H, W)
    expected = conv3d(x)
    got = ours(x.flatten(3)).view(2, 5, 7, 4, 3)  # computed on the (B, C, T, H*W) view with conv2d
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_temporal_conv_block_equals_its_3d_reference():
    """The whole block (GroupNorm over the clip, SiLU, four convs, residual) against a Conv3d twin."""
    torch.manual_seed(0)
    block = TemporalConvBlock(8, dropout=0.0, groups=4).eval()
    with torch.no_grad():
        for p in block.parameters():
            p.add_(torch.randn_like(p) * 0.1)  # conv4 starts at zero; make it count
    b, c, t, h, w = 2, 8, 5, 3, 4
    x5 = torch.randn(b, c, t, h, w)
    y = x5
    for seq in (block.conv1, block.conv2, block.conv3, block.conv4):
        norm, conv = seq[0], seq[-1]
        y = F.silu(F.group_norm(y, 4, norm.weight, norm.bias, norm.eps))  # statistics over (C/g, T, H, W)
        y = F.conv3d(y, conv.weight, conv.bias, padding=(1, 0, 0))
    ref = x5 + y
    folded = x5.transpose(1, 2).reshape(b * t, c, h, w)  # (B*T, C, H, W) as the UNet holds it
    got = block(folded, t).view(b, t, c, h, w).transpose(1, 2)
    torch.testing.assert_close(got, ref, rtol=1e-5, atol=1e-5)


def test_forward_shapes_and_no_mixing_between_clips():
    unet, cfg = micro_unet()
    x, t, ctx, fps = inputs(cfg)
    with torch.no_grad():
        eps = unet(x, t, ctx, fps)
        assert eps.shape == x.shape
        x2 = x.clone()
        x2[1] += 1.0  # change clip 1 only
        eps2 = unet(x2, t, ctx, fps)
    torch.testing.assert_close(eps2[0], eps[0])  # clip 0 is unaffected: frames fold per clip
    assert not torch.allclose(eps2[1], eps[1])


def test_teacher_ignores_w_and_motion_until_combine_proj_moves():
    unet, cfg = micro_unet()
    x, t, ctx, fps = inputs(cfg)
    w, m = torch.tensor([7.5, 12.0]), torch.tensor([0.0, 1.0])
    with torch.no_grad():
        plain = unet(x, t, ctx, fps)
        torch.testing.assert_close(unet(x, t, ctx, fps, guidance=w, motion=m), plain, rtol=0, atol=0)
        unet.combine_proj.weight.normal_(0, 0.1)  # what a student's training does
        assert not torch.allclose(unet(x, t, ctx, fps, guidance=w, motion=m), plain)
    with pytest.raises(ValueError, match="guidance and motion together"):
        unet(x, t, ctx, fps, guidance=w)


def test_frame_position_starts_silent_then_tells_frames_apart(tmp_path: Path):
    """unet.temporal_frame_position: a model without it loads (--init) and computes the same; once its
    projection moves, identical frames get different outputs in the middle of the clip too."""
    import dataclasses

    from safetensors.torch import save_file

    from t2v_turbo.train.teacher import initial_weights

    plain, cfg = micro_unet()
    cfg_pos = dataclasses.replace(cfg.unet, temporal_frame_position=True)
    with_pos = UNet3D(cfg_pos).eval()
    save_file(plain.state_dict(), str(tmp_path / "model.safetensors"))
    initial_weights(with_pos, tmp_path)
    new = [n for n, _ in with_pos.named_parameters() if ".frame_position." in n]
    temporal = sum(1 for m in with_pos.modules() if type(m).__name__ == "TemporalTransformer")
    assert temporal > 0 and len(new) == 2 * temporal  # a weight and a bias in each
    x, t, ctx, fps = inputs(cfg)
    same = x[:, :, :1].expand_as(x).contiguous()  # (B, C, T, h, w): one frame repeated
    with torch.no_grad():
        torch.testing.assert_close(with_pos(x, t, ctx, fps), plain(x, t, ctx, fps), rtol=0, atol=0)
        before = with_pos(same, t, ctx, fps)
        for name, p in with_pos.named_parameters():
            if ".frame_position." in name:
                p.normal_(0, 0.2)
        after = with_pos(same, t, ctx, fps)
    change = after - before  # (B, C, T, h, w): what the frame index now adds, different per frame
    assert change.abs().max() > 1e-3
    assert (change[:, :, 1] - change[:, :, 2]).abs().max() > 1e-3
    # Started at 0.5 x identity instead, the loaded model tells frames apart from its first step.
    seeded = UNet3D(dataclasses.replace(cfg_pos, temporal_frame_position_init=0.5)).eval()
    initial_weights(seeded, tmp_path)
    weights = [p for n, p in seeded.named_parameters() if n.endswith(".frame_position.weight")]
    assert all(torch.equal(w, 0.5 * torch.eye(w.shape[0])) for w in weights)
    with torch.no_grad():
        added = seeded(same, t, ctx, fps) - plain(same, t, ctx, fps)  # (B, C, T, h, w)
    assert (added[:, :, 1] - added[:, :, 2]).abs().max() > 1e-3
    # Anything beyond the new zero-initialised tensors is refused, by name.
    other = dataclasses.replace(cfg.unet, model_channels=8, norm_groups=4, num_head_channels=8)
    with pytest.raises((ValueError, RuntimeError), match="init|size mismatch"):
        initial_weights(UNet3D(other), tmp_path)


def older_teacher_loaded_into(tmp_path: Path, option: str, module: str) -> tuple[UNet3D, UNet3D, object]:
    """(plain, added, cfg): a micro UNet, and one with the embedding option `option` on that loaded the
    plain one's weights as `--init` does; the option adds exactly the 2-layer MLP `module`."""
    import dataclasses

    from safetensors.torch import save_file

    from t2v_turbo.train.teacher import initial_weights

    plain, cfg = micro_unet()
    added = UNet3D(dataclasses.replace(cfg.unet, **{option: True})).eval()
    save_file(plain.state_dict(), str(tmp_path / "model.safetensors"))
    initial_weights(added, tmp_path)
    assert sorted(n for n, _ in added.named_parameters() if n.startswith(f"{module}.")) == [
        f"{module}.0.bias", f"{module}.0.weight", f"{module}.2.bias", f"{module}.2.weight"]
    return plain, added, cfg


def test_frame_embedding_starts_silent_then_makes_every_layer_frame_aware(tmp_path: Path):
    """unet.frame_embedding: an older teacher loads (--init) and computes the same; once the embedding's
    last layer moves, identical frames get different outputs, also with temporal layers switched off."""
    import dataclasses

    plain, with_frames, cfg = older_teacher_loaded_into(tmp_path, "frame_embedding", "frame_embed")
    x, t, ctx, fps = inputs(cfg)
    same = x[:, :, :1].expand_as(x).contiguous()  # (B, C, T, h, w): one frame repeated
    with torch.no_grad():
        # Equal up to float rounding: the ResBlocks' projections now run per frame rather than per clip.
        torch.testing.assert_close(with_frames(x, t, ctx, fps), plain(x, t, ctx, fps), rtol=1e-5, atol=1e-5)
        with_frames.frame_embed[2].weight.normal_(0, 0.2)
        out = with_frames(same, t, ctx, fps)
    assert (out[:, :, 1] - out[:, :, 2]).abs().max() > 1e-3
    # Without temporal convolutions and attention a plain UNet cannot tell repeated frames apart; the
    # frame embedding alone can, through the spatial layers the caption reaches.
    spatial_only = dataclasses.replace(cfg.unet, temporal_conv=False, temporal_attention=False, init_attn=False)
    for frame_aware in (False, True):
        torch.manual_seed(0)
        net = UNet3D(dataclasses.replace(spatial_only, frame_embedding=frame_aware)).eval()
        with torch.no_grad():
            for p in net.parameters():
                p.add_(torch.randn_like(p) * 0.05)
            out = net(same, t, ctx, fps)
        assert ((out[:, :, 1] - out[:, :, 2]).abs().max() > 1e-3) == frame_aware


def test_image_mode_is_the_clip_forward_with_the_temporal_layers_silenced():
    """frame_index (joint image-video training): one frame through the spatial layers equals that frame
    of the clip forward once every temporal layer's output is zero; the frame embedding embeds its
    position. With the temporal layers live the clip forward differs, so the check has teeth."""
    import copy

    from t2v_turbo.nets.attention import TemporalTransformer

    unet, cfg = micro_unet(additions=True)  # frame embedding and frame position on, every weight moved
    x, t, ctx, fps = inputs(cfg)
    silenced = copy.deepcopy(unet)
    with torch.no_grad():
        for m in silenced.modules():
            if isinstance(m, TemporalConvBlock):
                m.conv4[-1].weight.zero_(); m.conv4[-1].bias.zero_()
            elif isinstance(m, TemporalTransformer):
                for p in m.proj_out.parameters():
                    p.zero_()
        clip_silenced, clip_live = silenced(x, t, ctx, fps), unet(x, t, ctx, fps)  # (B, C, T, h, w)
        for k in sorted({0, x.shape[2] // 2, x.shape[2] - 1}):
            frame = x[:, :, k : k + 1]  # (B, C, 1, h, w)
            index = torch.full((x.shape[0],), k)
            image = unet(frame, t, ctx, fps, frame_index=index)
            torch.testing.assert_close(image, clip_silenced[:, :, k : k + 1], rtol=1e-5, atol=1e-5)
            assert (image - clip_live[:, :, k : k + 1]).abs().max() > 1e-3
            # The position matters (frame embedding), the temporal weights do not
            assert (unet(frame, t, ctx, fps, frame_index=(index + 3) % x.shape[2]) - image).abs().max() > 1e-4
            torch.testing.assert_close(silenced(frame, t, ctx, fps, frame_index=index), image, rtol=0, atol=0)
    with pytest.raises(ValueError, match="single frames"):
        unet(x, t, ctx, fps, frame_index=torch.zeros(x.shape[0], dtype=torch.long))
    with pytest.raises(ValueError, match="no temporal"):
        unet(x[:, :, :1], t, ctx, fps, frame_index=torch.zeros(x.shape[0], dtype=torch.long), return_attn=True)


def test_text_embedding_starts_silent_then_reaches_layers_without_cross_attention(tmp_path: Path):
    """unet.text_embedding: an older teacher loads (--init) and computes exactly the same; once the
    embedding's last layer moves, a UNet whose cross-attention is silenced reads the caption through it."""
    import dataclasses

    plain, with_text, cfg = older_teacher_loaded_into(tmp_path, "text_embedding", "text_embed")
    x, t, ctx, fps = inputs(cfg)
    with torch.no_grad():
        torch.testing.assert_close(with_text(x, t, ctx, fps), plain(x, t, ctx, fps), rtol=0, atol=0)
    # Cross-attention silenced (its value projections zero): the caption can reach the output only
    # through the text embedding.
    other = torch.randn_like(ctx)
    for text_aware in (False, True):
        torch.manual_seed(0)
        net = UNet3D(dataclasses.replace(cfg.unet, text_embedding=text_aware)).eval()
        with torch.no_grad():
            for name, p in net.named_parameters():
                p.add_(torch.randn_like(p) * 0.05)
                if ".attn2.to_v." in name:
                    p.zero_()
            change = (net(x, t, ctx, fps) - net(x, t, other, fps)).abs().max()
        assert (change > 1e-3) == text_aware


def test_decoder_attention_maps_for_motion_guidance():
    unet, cfg = micro_unet()
    x, t, ctx, fps = inputs(cfg)
    x.requires_grad_(True)
    eps, maps = unet(x, t, ctx, fps, return_attn=True)
    # micro: latent 4x4, channel_mult [1, 2], 8-channel heads. Decoder order: two blocks at 2x2 with
    # 32 channels (4 heads), then two at 4x4 with 16 channels (2 heads).
    b, _, frames, h, w = x.shape
    expected = [b * 2 * 2 * 4, b * 2 * 2 * 4, b * 4 * 4 * 2, b * 4 * 4 * 2]
    assert unet.num_attn_maps == len(expected)
    assert [tuple(m.shape) for m in maps] == [(n, frames, frames) for n in expected]
    for amap in maps:
        torch.testing.assert_close(amap.sum(-1), torch.ones(amap.shape[:2]))
    energy = sum((m - m.detach().roll(1, dims=0)).pow(2).sum() for m in maps)
    (grad,) = torch.autograd.grad(energy, x)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0
    # The maps do not change eps: the same forward without them gives the same prediction.
    with torch.no_grad():
        torch.testing.assert_close(unet(x, t, ctx, fps), eps.detach(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("additions", [False, True], ids=["vc2-temporal", "with-frame-and-text-additions"])
def test_onnx_export_has_2d_convs_only_and_matches_pytorch(tmp_path: Path, additions: bool):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    unet, cfg = micro_unet(additions=additions)
    x, t, ctx, fps = inputs(cfg, batch=1)

    class WithMaps(nn.Module):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, sample, timestep, context, fps):
            eps, maps = self.net(sample, timestep, context, fps, return_attn=True)
            return (eps, *maps)

    path = tmp_path / "unet.onnx"
    # The TorchScript tracer (~10 s here) proves the forward has no data-dependent control flow; the
    # shipped graphs use the dynamo exporter, whose parity tests/test_export.py owns (~1 min).
    torch.onnx.export(
        WithMaps(unet).eval(),
        (x, t[:1], ctx, fps),
        str(path),
        dynamo=False,
        input_names=["sample", "timestep", "context", "fps"],
    )
    model = onnx.load(str(path))
    weights = {init.name: tuple(init.dims) for init in model.graph.initializer}
    for node in model.graph.node:
        assert node.op_type not in ("ConvTranspose",), node.op_type
        if node.op_type == "Conv" and node.input[1] in weights:
            assert len(weights[node.input[1]]) == 4, f"non-2D convolution {node.name}"
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {i.name: v.numpy() for i, v in zip(session.get_inputs(), (x, t[:1], ctx, fps), strict=True)}
    outs = session.run(None, feeds)
    with torch.no_grad():
        eps, maps = unet(x, t[:1], ctx, fps, return_attn=True)
    torch.testing.assert_close(torch.from_numpy(outs[0]), eps, rtol=1e-4, atol=1e-4)
    for got, want in zip(outs[1:], maps, strict=True):
        torch.testing.assert_close(torch.from_numpy(got), want, rtol=1e-4, atol=1e-5)


def test_v_prediction_head_returns_epsilon():
    """unet.prediction = "v": the same weights' raw output read as v, turned into epsilon in forward()."""
    import dataclasses

    from t2v_turbo.train.teacher import build_unet, noise_schedule

    plain, cfg = micro_unet()
    cfg_v = dataclasses.replace(cfg, unet=dataclasses.replace(cfg.unet, prediction="v"))
    v_unet = build_unet(cfg_v).eval()
    v_unet.load_state_dict(plain.state_dict())  # the table is a constant, not a weight
    x, _, ctx, fps = inputs(cfg)
    abar = noise_schedule(cfg).alphas_cumprod_torch()
    t = torch.tensor([999.0, 3.0])[: x.shape[0]]
    with torch.no_grad():
        raw, eps = plain(x, t, ctx, fps), v_unet(x, t, ctx, fps)
    a = abar[t.long()].view(-1, 1, 1, 1, 1)
    torch.testing.assert_close(eps, a.sqrt() * raw + (1 - a).sqrt() * x, rtol=1e-6, atol=1e-6)
    # x0 implied by that epsilon is sqrt(abar) z - sqrt(1 - abar) v: no 1/sqrt(abar) amplification.
    x0 = (x - (1 - a).sqrt() * eps) / a.sqrt()
    torch.testing.assert_close(x0, a.sqrt() * x - (1 - a).sqrt() * raw, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="needs the schedule"):
        UNet3D(cfg_v.unet)


def test_v_prediction_head_exports_to_onnx(tmp_path: Path):
    """The v-to-epsilon lookup is plain float ops (Abs, Less, Cast, MatMul; no int64 gather):
    onnxruntime agrees with PyTorch."""
    import numpy as np

    from t2v_turbo.export.graphs import UNetGraph
    from t2v_turbo.export.onnx_tools import export_onnx, run_onnx
    from t2v_turbo.train.teacher import build_unet

    cfg = resolve_config("micro", overrides=['unet.prediction="v"'])
    torch.manual_seed(0)
    unet = build_unet(cfg).eval()
    with torch.no_grad():
        for p in unet.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    graph = UNetGraph(unet, fps=8.0, with_attention=False)
    x, _, ctx, _ = inputs(cfg, batch=1)
    feeds = {"sample": x, "timestep": torch.tensor([749.0]), "context": ctx,
             "guidance": torch.tensor([7.5]), "motion": torch.tensor([0.5])}
    path = export_onnx(graph, tuple(feeds.values()), tmp_path / "unet.onnx", list(feeds), ["eps"])
    (eps,) = run_onnx(path, {k: v.numpy() for k, v in feeds.items()})
    with torch.no_grad():
        expected = graph(*feeds.values()).numpy()
    np.testing.assert_allclose(eps, expected, rtol=1e-5, atol=1e-5)
