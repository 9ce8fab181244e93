import { describe, expect, it } from 'vitest';
import { alphasCumprod } from '../scheduler/lcm';
import { guidanceUpdate } from './guidance_update';
import { gaussianNoise } from './noise';

describe('guidanceUpdate twin', () => {
  it('is eps - lambda sqrt(1 - abar_t) grad (float64 reference, rel 1e-6)', () => {
    const abar = alphasCumprod({
      num_train_timesteps: 1000,
      beta_start: 0.00085,
      beta_end: 0.012,
      beta_schedule: 'scaled_linear',
    });
    const eps = gaussianNoise(1000, 1, 0);
    const grad = gaussianNoise(1000, 1, 1).map((g) => g * 1e-3);
    const lambda = 500;
    const factor = lambda * Math.sqrt(1 - abar[999]);
    const out = guidanceUpdate(eps, grad, factor);
    for (let i = 0; i < eps.length; i++) {
      const expected = eps[i] - lambda * Math.sqrt(1 - abar[999]) * grad[i];
      expect(Math.abs(out[i] - expected)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));
    }
  });

  it('works in place and leaves eps alone for a zero gradient', () => {
    const eps = gaussianNoise(64, 2, 0);
    const copy = Float32Array.from(eps);
    expect(guidanceUpdate(eps, new Float32Array(64), 500, eps)).toBe(eps);
    expect(eps).toEqual(copy);
    expect(() => guidanceUpdate(eps, new Float32Array(63), 1)).toThrow(/guidance_update: eps, grad and out differ/);
  });
});
