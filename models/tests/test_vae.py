"""The per-frame KL autoencoder: VC2 checkpoint names/shapes, video interface, objective terms."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from t2v_turbo.config import resolve_config
from t2v_turbo.nets.vae import AutoencoderKL
from t2v_turbo.train.vae import sobel_magnitude, vae_losses


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Micro-sized ops gain nothing from a second thread and stall on a busy shared CPU."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


REFERENCE = Path("/work/shared/reference/vc2-vae-and-text-encoder.tsv")


@pytest.mark.skipif(not REFERENCE.exists(), reason="reference TSV not present")
def test_vc2_preset_matches_first_stage_model_names_and_shapes():
    cfg = resolve_config("vc2")
    with torch.device("meta"):
        vae = AutoencoderKL(cfg.vae, resolution=cfg.geometry.height)
    ours = {f"first_stage_model.{k}": tuple(v.shape) for k, v in vae.state_dict().items()}
    ref = {}
    for line in REFERENCE.read_text().splitlines()[1:]:
        name, shape = line.split("\t")
        if name.startswith("first_stage_model."):
            ref[name] = tuple(int(d) for d in shape.split("x")) if shape else ()
    assert len(ref) == 248
    assert sorted(set(ref) ^ set(ours)) == []
    assert {k: v for k, v in ours.items() if ref[k] != v} == {}
    assert sum(torch.Size(s).numel() for s in ours.values()) == 83_653_863  # the reference's 83.7 M
    assert vae.downsample == 8


@pytest.mark.parametrize("preset, latent", [("demo", (4, 16, 16, 16)), ("micro", (4, 4, 4, 4))])
def test_video_interface_shapes(preset, latent):
    cfg = resolve_config(preset)
    assert cfg.latent_shape == latent
    torch.manual_seed(0)
    vae = AutoencoderKL(cfg.vae, resolution=cfg.geometry.height).eval()
    g = cfg.geometry
    video = torch.rand(2, 3, g.frames, g.height, g.width) * 2 - 1
    with torch.no_grad():
        z = vae.encode(video)
        assert tuple(z.shape) == (2, *latent)
        out = vae.decode(z)
    assert out.shape == video.shape


def test_video_encode_is_per_frame():
    cfg = resolve_config("micro")
    torch.manual_seed(0)
    vae = AutoencoderKL(cfg.vae, resolution=cfg.geometry.height).eval()
    video = torch.rand(2, 3, 4, 16, 16) * 2 - 1  # (B, 3, T, H, W)
    with torch.no_grad():
        z = vae.encode(video)
        for b in range(2):
            for t in range(4):
                mean, _ = vae.encode_frames(video[b, :, t][None])
                torch.testing.assert_close(z[b, :, t], mean[0], rtol=1e-4, atol=1e-5)
        frames = vae.decode(z)
        torch.testing.assert_close(
            frames[1, :, 2], vae.decode_frames(z[1, :, 2][None])[0], rtol=1e-4, atol=1e-5
        )


def test_objective_terms():
    cfg = resolve_config("micro")
    torch.manual_seed(0)
    vae = AutoencoderKL(cfg.vae, resolution=16)
    frames = torch.rand(4, 3, 16, 16) * 2 - 1
    terms = vae_losses(vae, frames, torch.Generator().manual_seed(0), cfg)
    assert set(terms) == {"loss", "l1", "mse", "edge", "kl"}
    assert all(torch.isfinite(v) for v in terms.values())
    assert terms["kl"] >= 0
    t = cfg.vae_training
    expected = (
        terms["l1"] + t.mse_weight * terms["mse"] + t.edge_weight * terms["edge"] + t.kl_weight * terms["kl"]
    )
    torch.testing.assert_close(terms["loss"], expected)


def test_sobel_weights_edges_not_flat_regions():
    flat = torch.zeros(1, 3, 8, 8)
    assert sobel_magnitude(flat).max() < 1e-5
    step = flat.clone()
    step[..., 4:] = 1.0  # a vertical edge between columns 3 and 4
    mag = sobel_magnitude(step)[0, 0]
    assert mag[:, 3:5].min() > 1.0 and mag[:, :2].max() < 1e-5 and mag[:, 6:].max() < 1e-5
