/**
 * The lcm_step twin, checked end to end against the Python sampler: the toy sample of
 * models/tests/fixtures/scheduler.json (eps = 0.5 z + 0.1 (step + 1)) run through the scheduler
 * twin, the noise twin and lcmStep must land on the fixture's `final` (rtol 1e-5).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alphasCumprod, forwardNoiseParams, inferenceTimesteps, lcmStepParams, renoiseStream } from '../scheduler/lcm';
import { lcmStep } from './lcm_step';
import { gaussianNoise } from './noise';

const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../../models/tests/fixtures/scheduler.json'), 'utf8'),
);
const toy = fixture.toy_sample as {
  shape: number[];
  seed: number;
  timesteps: number[];
  latents_before_each_step: number[][];
  final: number[];
  initial_noise: number[];
};
const schedule = {
  alphasCumprod: alphasCumprod(fixture.schedule),
  timestepScaling: fixture.timestep_scaling as number,
  sigmaData: fixture.sigma_data as number,
};

function expectClose(actual: ArrayLike<number>, expected: readonly number[], rtol: number, atol: number) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i]), `element ${i}`).toBeLessThanOrEqual(atol + rtol * Math.abs(expected[i]));
  }
}

describe('lcmStep twin', () => {
  it('reproduces the Python toy sample (rtol 1e-5)', () => {
    const count = toy.shape.reduce((a, b) => a * b, 1);
    const timesteps = inferenceTimesteps(1000, fixture.grid.num_steps, toy.timesteps.length);
    expect(timesteps).toEqual(toy.timesteps);
    const z = gaussianNoise(count, toy.seed, 0);
    expectClose(z, toy.initial_noise, 0, 0);
    for (let i = 0; i < timesteps.length; i++) {
      expectClose(z, toy.latents_before_each_step[i], 1e-5, 1e-6);
      const eps = z.map((v) => 0.5 * v + 0.1 * (i + 1));
      const s = lcmStepParams(schedule, timesteps, i);
      const noise = s.next ? gaussianNoise(count, toy.seed, renoiseStream(i)) : undefined;
      lcmStep(z, eps, noise, s, z);
    }
    expectClose(z, toy.final, 1e-5, 1e-6);
  });

  it('is exact on a point-mass model: x0 is recovered after one step at t = 999', () => {
    // Data = one point x0 and the exact eps: x̂0 = x0, d = c_skip z + c_out x0.
    const x0 = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
    const n = gaussianNoise(64, 3, 0);
    const t = 999;
    const a = schedule.alphasCumprod[t];
    const z = x0.map((x, i) => Math.sqrt(a) * x + Math.sqrt(1 - a) * n[i]);
    const s = lcmStepParams(schedule, [t], 0);
    const out = lcmStep(z, n, undefined, s);
    for (let i = 0; i < 64; i++) {
      const expected = s.cSkip * z[i] + s.cOut * x0[i];
      expect(Math.abs(out[i] - expected)).toBeLessThan(2e-5);
    }
  });

  it('with forwardNoiseParams is the forward process sqrt(abar) x0 + sqrt(1 - abar) noise', () => {
    const x0 = Float32Array.from({ length: 32 }, (_, i) => i / 8 - 2);
    const noise = gaussianNoise(32, 9, 0xffff0000);
    const s = forwardNoiseParams(schedule, 499);
    const out = lcmStep(x0, noise, noise, s);
    const a = schedule.alphasCumprod[499];
    for (let i = 0; i < 32; i++) {
      expect(Math.abs(out[i] - (Math.sqrt(a) * x0[i] + Math.sqrt(1 - a) * noise[i]))).toBeLessThan(1e-6);
    }
  });

  it('rejects mismatched sizes and a missing noise before the last step', () => {
    const s = lcmStepParams(schedule, [999, 499], 0);
    const z = new Float32Array(8);
    expect(() => lcmStep(z, new Float32Array(7), z, s)).toThrow(/lcm_step: eps has 7 elements, z has 8/);
    expect(() => lcmStep(z, z, undefined, s)).toThrow(/noise has 0 elements, z has 8 \(needed before the last step\)/);
  });
});
