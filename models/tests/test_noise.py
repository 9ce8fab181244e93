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
