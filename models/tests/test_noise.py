"""The noise generator shared with the browser: known answers, exact agreement, statistics."""

import json
from pathlib import Path

import numpy as np

from t2v_turbo.diffusion.noise import cos_sin_turn, gaussian_noise, ln_f32, philox4x32


def test_philox_known_answers():
    # Random123's published known-answer vectors for philox4x32, 10 rounds.
    def run(ctr, key):
        return [f"{x:08x}" for x in philox4x32(np.array([ctr], dtype=np.uint32), key)[0]]

    assert run([0, 0, 0, 0], (0, 0)) == ["6627e8d5", "e169c58d", "bc57ac4c", "9b00dbd8"]
    f = 0xFFFFFFFF
    assert run([f, f, f, f], (f, f)) == ["408f276d", "41c83b0e", "a20bc7c6", "6d5451fd"]
    assert run([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], (0xA4093822, 0x299F31D0)) == [
        "d16cfe09", "94fdcceb", "5001e420", "24126ea1",
    ]


def test_same_values_as_the_browser_engine():
    fixture = json.loads((Path(__file__).parent / "fixtures" / "noise.json").read_text())
    for s in fixture["streams"]:
        ours = gaussian_noise(s["count"], s["seed"], s["stream"])
        np.testing.assert_array_equal(ours, np.array(s["values"], dtype=np.float32))
    # Multiscale noise: the browser's twin (and kernel) and the Python sampler start from the same latent.
    from t2v_turbo.diffusion.noise import multiscale_gaussian_like

    assert len(fixture["multiscale"]) == 2
    for p in fixture["multiscale"]:
        shape = (1, p["channels"], p["frames"], p["height"], p["width"])
        ours = multiscale_gaussian_like(shape, p["seed"], p["stream"], p["discount"]).ravel()
        np.testing.assert_array_equal(ours, np.array(p["values"], dtype=np.float32))


def test_polynomials_track_numpy():
    u = ((np.arange(20000) + 0.5) / 20000).astype(np.float32)
    assert np.max(np.abs(ln_f32(u) - np.log(u.astype(np.float64))) / np.maximum(1, np.abs(np.log(u)))) < 1e-6
    c, s = cos_sin_turn(u)
    assert np.max(np.abs(c - np.cos(2 * np.pi * u.astype(np.float64)))) < 1e-6
    assert np.max(np.abs(s - np.sin(2 * np.pi * u.astype(np.float64)))) < 1e-6


def test_standard_normal_statistics():
    z = gaussian_noise(400_001, seed=7, stream=3)
    assert z.dtype == np.float32 and z.shape == (400_001,)
    assert abs(z.mean()) < 0.01 and abs(z.var() - 1) < 0.01


def test_multiscale_training_noise_keeps_unit_variance_and_hides_coarse_layout():
    import pytest
    import torch

    from t2v_turbo.diffusion.multiscale_noise import multiscale_noise

    shape = (64, 4, 16, 16, 16)  # the demo teacher's latent clips
    # discount 0 is plain torch.randn, stream included: earlier runs resume bit-identically.
    white = multiscale_noise(shape, torch.Generator().manual_seed(3), 0.0)
    assert torch.equal(white, torch.randn(shape, generator=torch.Generator().manual_seed(3)))

    def block_means(n):  # (B, C, 4, 4): 4x4-latent blocks averaged over all 16 frames, an object's scale
        return n.unfold(3, 4, 4).unfold(4, 4, 4).mean(dim=(2, -1, -2))

    coarse = multiscale_noise(shape, torch.Generator().manual_seed(3), 0.8)
    assert abs(coarse.var().item() - 1.0) < 0.02  # each element is still N(0, 1): the schedule holds
    assert abs(coarse.mean().item()) < 0.1
    # White noise averages out over 256 elements (variance 1/256); the coarse levels do not, which is
    # what masks the layout that abar_999 = 0.0047 would otherwise leak (signal variance ~0.005).
    assert block_means(white).var().item() < 0.006
    assert block_means(coarse).var().item() > 0.1
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        multiscale_noise(shape, torch.Generator(), 1.0)


def test_seeded_multiscale_noise_matches_the_training_noise_in_distribution():
    """What a sampler starts from must be what the model was trained on: the seeded (philox) multiscale
    noise and the training one (torch) agree in per-element, coarse-block and frame-to-frame variance."""
    import torch

    from t2v_turbo.diffusion.multiscale_noise import multiscale_noise
    from t2v_turbo.diffusion.noise import gaussian_like, multiscale_gaussian_like

    shape = (1, 4, 16, 16, 16)
    np.testing.assert_array_equal(multiscale_gaussian_like(shape, 7, 3, 0.0), gaussian_like(shape, 7, 3))
    seeded = torch.from_numpy(np.concatenate([multiscale_gaussian_like(shape, s, 0, 0.8) for s in range(48)]))
    trained = multiscale_noise((48, *shape[1:]), torch.Generator().manual_seed(0), 0.8)

    def stats(n):  # per element; 4x4 blocks over all frames; clip means; frame-to-frame differences
        blocks = n.unfold(3, 4, 4).unfold(4, 4, 4).mean(dim=(2, -1, -2))
        return [n.var(), blocks.var(), n.mean(dim=(2, 3, 4)).var(), (n[:, :, 1:] - n[:, :, :-1]).var()]

    for ours, theirs in zip(stats(seeded), stats(trained), strict=True):
        assert abs(float(ours) / float(theirs) - 1.0) < 0.25, (stats(seeded), stats(trained))
    # Different levels are independent draws: level 1 is not level 0 reshaped.
    assert not np.allclose(gaussian_like((1, 4, 8, 8, 8), 7, 0, level=1), gaussian_like((1, 4, 8, 8, 8), 7, 0))
