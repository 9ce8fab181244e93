import { describe, expect, it } from 'vitest';
import { storageBuffer } from '../gpu/compute';
import { maxAbsDiff, readFloats, testDevice, upload } from '../gpu/testing/device';
import { gaussianNoise } from './noise';
import { ScaleKernel, scale } from './scale';

describe('scale.wgsl', () => {
  it('equals its TypeScript twin exactly (one correctly rounded multiply)', async () => {
    const device = await testDevice();
    const count = 4 * 16 * 16 * 16 + 7;
    const latent = gaussianNoise(count, 8, 0);
    const input = upload(device, latent, 'latent');
    const output = storageBuffer(device, count * 4, 'unscaled');
    const bound = new ScaleKernel(device).bind({ input, output }).setParams({ count, factor: 1 / 0.18215 });
    const encoder = device.createCommandEncoder();
    bound.encode(encoder);
    device.queue.submit([encoder.finish()]);
    const err = maxAbsDiff(await readFloats(device, output, count), scale(latent, 1 / 0.18215));
    console.log(`scale: count=${count} max |gpu - ts| = ${err.toExponential(2)}`);
    expect(err).toBe(0);
    expect(() => bound.setParams({ count, factor: Number.POSITIVE_INFINITY })).toThrow(
      /scale.factor must be a finite number, got Infinity/,
    );
    for (const b of [input, output]) b.destroy();
    bound.destroy();
  });
});
