import { describe, expect, it } from 'vitest';
import { maxAbsDiff, readFloats, testDevice, upload } from '../gpu/testing/device';
import { GuidanceUpdateKernel, guidanceUpdate } from './guidance_update';
import { gaussianNoise } from './noise';

describe('guidance_update.wgsl', () => {
  it('equals its TypeScript twin to 2e-6 (in place on eps)', async () => {
    const device = await testDevice();
    const count = 4 * 8 * 16 * 16 + 5;
    const eps = gaussianNoise(count, 5, 0);
    const grad = gaussianNoise(count, 5, 1).map((g) => g * 1e-3);
    const factor = 500 * 0.9976673; // lambda * sqrt(1 - abar_999)
    const epsBuf = upload(device, eps, 'eps');
    const gradBuf = upload(device, grad, 'grad');
    const bound = new GuidanceUpdateKernel(device).bind({ eps: epsBuf, grad: gradBuf }).setParams({ count, factor });
    const encoder = device.createCommandEncoder();
    bound.encode(encoder);
    device.queue.submit([encoder.finish()]);
    const gpu = await readFloats(device, epsBuf, count);
    const err = maxAbsDiff(gpu, guidanceUpdate(eps, grad, factor));
    console.log(`guidance_update: count=${count} max |gpu - ts| = ${err.toExponential(2)}`);
    expect(err).toBeLessThan(2e-6);
    for (const b of [epsBuf, gradBuf]) b.destroy();
    bound.destroy();
  });
});
