/**
 * The scheduler twin against models/tests/fixtures/scheduler.json, which the Python sampler
 * (t2v_turbo.diffusion) writes: ᾱ to 1e-12, timesteps exactly, boundary scalings to 1e-12.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  alphasCumprod,
  boundaryScalings,
  distillationGrid,
  forwardNoiseParams,
  guidanceFactor,
  guidedSteps,
  inferenceTimesteps,
  type LcmSchedule,
  lcmStepParams,
} from './lcm';

const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../../models/tests/fixtures/scheduler.json'), 'utf8'),
) as {
  schedule: Parameters<typeof alphasCumprod>[0];
  grid: { num_steps: number };
  timestep_scaling: number;
  sigma_data: number;
  alphas_cumprod: Record<string, number>;
  terminal_abar: { value: number; alphas_cumprod: Record<string, number> };
  inference_timesteps: Record<string, number[]>;
  boundary_scalings: Record<string, [number, number]>;
};
const T = fixture.schedule.num_train_timesteps;
const N = fixture.grid.num_steps;
const abar = alphasCumprod(fixture.schedule);
const schedule: LcmSchedule = {
  alphasCumprod: abar,
  timestepScaling: fixture.timestep_scaling,
  sigmaData: fixture.sigma_data,
};

describe('alphasCumprod', () => {
  it('matches the Python schedule to 1e-12', () => {
    expect(abar.length).toBe(T);
    for (const [t, v] of Object.entries(fixture.alphas_cumprod)) {
      expect(Math.abs(abar[Number(t)] - v), `t=${t}`).toBeLessThan(1e-12);
    }
  });

  it('follows the closed form: sqrt(beta) linear from sqrt(beta_start) to sqrt(beta_end)', () => {
    // Independent of the implementation's linspace: beta_t recovered from consecutive ᾱ.
    const betas = Array.from(abar, (a, t) => 1 - (t === 0 ? a : a / abar[t - 1]));
    expect(betas[0]).toBeCloseTo(0.00085, 15);
    expect(Math.abs(betas[T - 1] - 0.012)).toBeLessThan(1e-12);
    const root = betas.map(Math.sqrt);
    const step = (root[T - 1] - root[0]) / (T - 1);
    for (let t = 1; t < T; t++) expect(Math.abs(root[t] - root[t - 1] - step)).toBeLessThan(1e-10);
  });

  it('rescales the tail to terminal_abar as the Python schedule does (1e-12)', () => {
    const rescaled = alphasCumprod({ ...fixture.schedule, terminal_abar: fixture.terminal_abar.value });
    expect(rescaled[0]).toBe(abar[0]);
    expect(Math.abs(rescaled[T - 1] - 1e-6)).toBeLessThan(1e-18);
    for (const [t, v] of Object.entries(fixture.terminal_abar.alphas_cumprod)) {
      expect(Math.abs(rescaled[Number(t)] - v), `t=${t}`).toBeLessThan(1e-12);
    }
    expect(() => alphasCumprod({ ...fixture.schedule, terminal_abar: 0.01 })).toThrow(
      /schedule.terminal_abar: must be 0 \(off\) or lie in \(0, 0.00466\)/,
    );
  });

  it('supports the linear schedule', () => {
    const lin = alphasCumprod({ ...fixture.schedule, beta_schedule: 'linear' });
    expect(lin[0]).toBeCloseTo(1 - 0.00085, 15);
    expect(lin[1]).toBeCloseTo((1 - 0.00085) * (1 - (0.00085 + (0.012 - 0.00085) / (T - 1))), 15);
  });
});

describe('timesteps', () => {
  it('has the distillation grid 4, 9, …, 999', () => {
    const grid = distillationGrid(T, N);
    expect(grid.length).toBe(200);
    expect([grid[0], grid[1], grid[199]]).toEqual([4, 9, 999]);
    expect(() => distillationGrid(1000, 300)).toThrow(/sampler.grid.num_steps: must be a positive divisor of 1000/);
  });

  it('matches every inference schedule of the fixture exactly (1..16 steps)', () => {
    for (const [steps, expected] of Object.entries(fixture.inference_timesteps)) {
      expect(inferenceTimesteps(T, N, Number(steps)), `S=${steps}`).toEqual(expected);
    }
    expect(() => inferenceTimesteps(T, N, 0)).toThrow(/steps: must be an integer in \[1, 200\], got 0/);
    expect(() => inferenceTimesteps(T, N, 2.5)).toThrow(/got 2.5/);
  });
});

describe('boundaryScalings', () => {
  it('matches the Python scalings to 1e-12', () => {
    for (const [t, [cSkip, cOut]] of Object.entries(fixture.boundary_scalings)) {
      const [s, o] = boundaryScalings(Number(t), fixture.timestep_scaling, fixture.sigma_data);
      expect(Math.abs(s - cSkip), `c_skip t=${t}`).toBeLessThan(1e-12);
      expect(Math.abs(o - cOut), `c_out t=${t}`).toBeLessThan(1e-12);
    }
  });

  it('keeps the boundary condition f(z, 0) = z', () => {
    expect(boundaryScalings(0)).toEqual([1, 0]);
  });
});

describe('lcmStepParams', () => {
  const timesteps = inferenceTimesteps(T, N, 4);

  it('gives the step scalars and re-noises to the next timestep until the last step', () => {
    const p = lcmStepParams(schedule, timesteps, 1);
    expect(p.sqrtAbar).toBe(Math.sqrt(abar[749]));
    expect(p.sqrtOneMinusAbar).toBe(Math.sqrt(1 - abar[749]));
    expect([p.cSkip, p.cOut]).toEqual(boundaryScalings(749));
    expect(p.next).toEqual({ sqrtAbar: Math.sqrt(abar[499]), sqrtOneMinusAbar: Math.sqrt(1 - abar[499]) });
    expect(lcmStepParams(schedule, timesteps, 3).next).toBeUndefined();
    expect(() => lcmStepParams(schedule, timesteps, 4)).toThrow(/step: must be an integer in \[0, 3\], got 4/);
    expect(() => lcmStepParams(schedule, [1000], 0)).toThrow(/timestep: must be an integer in \[0, 999\], got 1000/);
  });

  it('turns into the forward process for the reference latent', () => {
    const p = forwardNoiseParams(schedule, 499);
    expect([p.sqrtAbar, p.sqrtOneMinusAbar, p.cSkip, p.cOut]).toEqual([1, 0, 1, 0]);
    expect(p.next?.sqrtAbar).toBe(Math.sqrt(abar[499]));
  });

  it('gives the motion-guidance factor lambda * sqrt(1 - abar_t)', () => {
    expect(guidanceFactor(schedule, 999, 500)).toBeCloseTo(500 * Math.sqrt(1 - fixture.alphas_cumprod['999']), 10);
    expect(() => guidanceFactor(schedule, 999, Number.NaN)).toThrow(/reference.strength/);
  });
});

describe('guidedSteps', () => {
  it('is ceil(tau * S), robust to rounding in the product', () => {
    expect(guidedSteps(4, 0.5)).toBe(2);
    expect(guidedSteps(5, 0.5)).toBe(3);
    expect(guidedSteps(10, 0.3)).toBe(3); // 0.3 * 10 = 3.0000000000000004 in float64
    expect(guidedSteps(7, 0.3)).toBe(3); // 2.1 -> 3
    expect(guidedSteps(8, 0)).toBe(0);
    expect(guidedSteps(8, 1)).toBe(8);
    expect(() => guidedSteps(8, 1.5)).toThrow(/reference.tau: must lie in \[0, 1\], got 1.5/);
  });
});
