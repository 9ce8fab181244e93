import { describe, expect, it } from 'vitest';
import { storageBuffer } from '../gpu/compute';
import { maxAbsDiff, readFloats, testDevice, upload, write } from '../gpu/testing/device';
import { alphasCumprod, inferenceTimesteps, lcmStepParams } from '../scheduler/lcm';
import { LcmStepKernel, lcmStep } from './lcm_step';
import { gaussianNoise } from './noise';

const schedule = {
  alphasCumprod: alphasCumprod({
    num_train_timesteps: 1000,
    beta_start: 0.00085,
    beta_end: 0.012,
    beta_schedule: 'scaled_linear',
  }),
  timestepScaling: 10,
  sigmaData: 0.5,
};

describe('lcm_step.wgsl', () => {
  it('equals its TypeScript twin on every step of a 4-step sample (|err| <= 1e-6 * max(1, |z|))', async () => {
    const device = await testDevice();
    const kernel = new LcmStepKernel(device);
    const count = 4 * 4 * 16 * 16 + 3; // a latent-like size with a ragged tail
    const z0 = gaussianNoise(count, 11, 0);
    const zBuf = upload(device, z0, 'z');
    const epsBuf = storageBuffer(device, count * 4, 'eps');
    const noiseBuf = storageBuffer(device, count * 4, 'noise');
    const step = kernel.bind({ z: zBuf, eps: epsBuf, noise: noiseBuf });
    const timesteps = inferenceTimesteps(1000, 200, 4);
    const twin = Float32Array.from(z0);
    for (let i = 0; i < timesteps.length; i++) {
      const eps = gaussianNoise(count, 12, 100 + i);
      const noise = gaussianNoise(count, 11, i + 1);
      write(device, epsBuf, eps);
      write(device, noiseBuf, noise);
      const s = lcmStepParams(schedule, timesteps, i);
      step.setParams({ count, ...s });
      const encoder = device.createCommandEncoder();
      step.encode(encoder);
      device.queue.submit([encoder.finish()]);
      lcmStep(twin, eps, s.next ? noise : undefined, s, twin);
      const gpu = await readFloats(device, zBuf, count);
      const scale = Math.max(1, ...Array.from(twin, Math.abs));
      const err = maxAbsDiff(gpu, twin);
      console.log(
        `lcm_step: step ${i} (t=${timesteps[i]}) max |gpu - ts| = ${err.toExponential(2)} (max |z| ${scale.toFixed(2)})`,
      );
      expect(err).toBeLessThanOrEqual(1e-6 * scale);
      twin.set(gpu); // each step starts from the same input on both sides
    }
    expect(() => step.setParams({ count: count + 16, ...lcmStepParams(schedule, timesteps, 0) })).toThrow(
      /buffer "z" holds \d+ bytes but these params need \d+/,
    );
    for (const b of [zBuf, epsBuf, noiseBuf]) b.destroy();
    step.destroy();
  });
});
