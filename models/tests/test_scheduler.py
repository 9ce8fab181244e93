"""Sampler maths: closed forms, boundary conditions, and the fixture the browser's twin must match.

`UPDATE_FIXTURES=1 pytest tests/test_scheduler.py` rewrites fixtures/scheduler.json from this code;
app/engine/scheduler/lcm.test.ts checks the TypeScript twin against the same file.
"""

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from t2v_turbo.diffusion.ddim import cfg, ddim_step, sample_ddim
from t2v_turbo.diffusion.lcm import (
    boundary_scalings,
    consistency_output,
    distillation_grid,
    inference_timesteps,
    sample_lcm,
)
from t2v_turbo.diffusion.noise import gaussian_like
from t2v_turbo.diffusion.schedule import NoiseSchedule, predicted_x0

FIXTURE = Path(__file__).parent / "fixtures" / "scheduler.json"
SCHEDULE = NoiseSchedule()


def test_schedule_matches_videocrafter_closed_form():
    betas = SCHEDULE.betas()
    assert betas[0] == 0.00085 and abs(betas[-1] - 0.012) < 1e-15
    assert np.allclose(np.sqrt(betas), np.linspace(np.sqrt(0.00085), np.sqrt(0.012), 1000))
    abar = SCHEDULE.alphas_cumprod()
    assert np.all(np.diff(abar) < 0) and 0.99 < abar[0] < 1 and abar[-1] < 0.01


def test_terminal_abar_rescales_the_tail_and_keeps_x0_recoverable_from_a_v_head():
    rescaled = NoiseSchedule(terminal_abar=1e-6)
    abar, plain = rescaled.alphas_cumprod(), SCHEDULE.alphas_cumprod()
    # sqrt(abar) is an affine map of the plain one: abar_0 kept, abar_999 = 1e-6, still decreasing.
    assert abar[0] == plain[0] and abs(abar[-1] - 1e-6) < 1e-18 and np.all(np.diff(abar) < 0)
    slope = np.diff(np.sqrt(abar)) / np.diff(np.sqrt(plain))
    assert np.allclose(slope, slope[0], rtol=1e-9)
    assert NoiseSchedule.from_dict(rescaled.to_manifest()) == rescaled
    assert "terminal_abar" not in SCHEDULE.to_manifest()  # older manifests stay byte-identical
    for bad in (-1e-6, 0.01):
        with pytest.raises(ValueError, match="terminal_abar must be 0"):
            NoiseSchedule(terminal_abar=bad).alphas_cumprod()
    # A v-head UNet returns eps = sqrt(abar) v + sqrt(1 - abar) z in float32; the x0 a sampler takes
    # from it, (z - sqrt(1 - abar) eps) / sqrt(abar) at abar = 1e-6, is sqrt(abar) z - sqrt(1 - abar) v to 1e-3.
    g = torch.Generator().manual_seed(0)
    z, v = torch.randn(4096, generator=g), torch.randn(4096, generator=g)
    a = torch.tensor(abar[-1], dtype=torch.float32)
    eps = a.sqrt() * v + (1 - a).sqrt() * z
    torch.testing.assert_close(predicted_x0(z, eps, a), a.sqrt() * z - (1 - a).sqrt() * v, rtol=0, atol=1e-3)


def test_grid_and_inference_timesteps():
    grid = distillation_grid(1000, 200)
    assert grid[0] == 4 and grid[-1] == 999 and len(grid) == 200
    assert inference_timesteps(1000, 200, 4).tolist() == [999, 749, 499, 249]
    assert inference_timesteps(1000, 200, 1).tolist() == [999]
    assert len(inference_timesteps(1000, 200, 16)) == 16


def test_consistency_boundary_condition_holds():
    z = torch.randn(2, 4, 3, 5, 5)
    eps = torch.randn_like(z)
    out = consistency_output(z, eps, 0.0, torch.tensor(SCHEDULE.alphas_cumprod()[0]).float())
    torch.testing.assert_close(out, z, rtol=0, atol=0)
    c_skip, c_out = boundary_scalings(999.0)
    assert c_skip < 1e-6 and abs(c_out - 1) < 1e-6


def test_ddim_step_matches_closed_form_on_a_point_mass_toy():
    # Data = one point x0: the exact eps is (z_t - sqrt(abar_t) x0) / sqrt(1 - abar_t), and the
    # ODE solution keeps that eps, so DDIM must land exactly on sqrt(abar_prev) x0 + sqrt(1 - abar_prev) eps.
    abar = torch.from_numpy(SCHEDULE.alphas_cumprod())
    x0, noise = torch.randn(64, dtype=torch.float64), torch.randn(64, dtype=torch.float64)
    for t, prev in [(999, 749), (900, 5), (249, 0)]:
        z = abar[t].sqrt() * x0 + (1 - abar[t]).sqrt() * noise
        out = ddim_step(z, noise, abar[t], abar[prev])
        torch.testing.assert_close(out, abar[prev].sqrt() * x0 + (1 - abar[prev]).sqrt() * noise, rtol=1e-12, atol=1e-12)


def test_ddim_sampler_recovers_the_point_mass():
    abar_np = SCHEDULE.alphas_cumprod()
    abar = torch.from_numpy(abar_np)
    x0 = torch.randn(256, dtype=torch.float64)

    def eps_fn(z, t):
        return (z - abar[t].sqrt() * x0) / (1 - abar[t]).sqrt()

    out = sample_ddim(eps_fn, torch.randn(256, dtype=torch.float64), abar_np, steps=50)
    torch.testing.assert_close(out, x0, rtol=1e-6, atol=1e-6)
    # From a clip noised to t = 900 (SDEdit), only the grid's timesteps <= 900 run, and it lands on x0.
    seen = []
    z_900 = abar[900].sqrt() * x0 + (1 - abar[900]).sqrt() * torch.randn(256, dtype=torch.float64)
    out = sample_ddim(lambda z, t: seen.append(t) or eps_fn(z, t), z_900, abar_np, steps=50, start=900)
    assert seen[0] == 881 and seen[-1] == 1 and len(seen) == 45
    torch.testing.assert_close(out, x0, rtol=1e-6, atol=1e-6)


def test_cfg_convention():
    c, u = torch.tensor([1.0]), torch.tensor([0.5])
    assert cfg(c, u, 7.5).item() == 1.0 + 7.5 * 0.5


def _fixture() -> dict:
    abar = SCHEDULE.alphas_cumprod()
    probe_t = [0, 1, 4, 249, 499, 749, 999]
    shape = (1, 2, 2, 2, 2)
    timesteps = inference_timesteps(1000, 200, 4)
    trace = []

    def eps_fn(z, t, i):
        # A fixed, non-trivial "network": eps = 0.5 z + 0.1 (i + 1).
        return 0.5 * z + 0.1 * (i + 1)

    def recording(z, t, i):
        trace.append(z.flatten().tolist())
        return eps_fn(z, t, i)

    final = sample_lcm(recording, shape, abar, timesteps, seed=7)
    return {
        "schedule": SCHEDULE.to_manifest(),
        "grid": {"num_steps": 200},
        "timestep_scaling": 10.0,
        "sigma_data": 0.5,
        "alphas_cumprod": {str(t): float(abar[t]) for t in probe_t},
        "terminal_abar": {
            "value": 1e-6,
            "alphas_cumprod": {str(t): float(v) for t, v in zip(probe_t, NoiseSchedule(terminal_abar=1e-6).alphas_cumprod()[probe_t])},
        },
        "inference_timesteps": {str(s): inference_timesteps(1000, 200, s).tolist() for s in range(1, 17)},
        "boundary_scalings": {str(t): list(boundary_scalings(float(t))) for t in probe_t},
        "toy_sample": {
            "shape": list(shape),
            "seed": 7,
            "eps": "0.5 * z + 0.1 * (step + 1)",
            "timesteps": timesteps.tolist(),
            "latents_before_each_step": trace,
            "final": final.flatten().tolist(),
            "initial_noise": gaussian_like(shape, 7, 0).flatten().tolist(),
        },
    }


def test_fixture_for_the_browser_twin_is_current():
    fixture = _fixture()
    if os.environ.get("UPDATE_FIXTURES"):
        FIXTURE.write_text(json.dumps(fixture, indent=1) + "\n")
    committed = json.loads(FIXTURE.read_text())
    assert committed["inference_timesteps"] == fixture["inference_timesteps"]
    np.testing.assert_allclose(committed["toy_sample"]["final"], fixture["toy_sample"]["final"], rtol=1e-6)
    for t, v in fixture["alphas_cumprod"].items():
        assert abs(committed["alphas_cumprod"][t] - v) < 1e-15
    assert committed["terminal_abar"] == fixture["terminal_abar"]
