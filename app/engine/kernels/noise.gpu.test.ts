import { describe, expect, it } from 'vitest';
import { storageBuffer } from '../gpu/compute';
import { maxAbsDiff, readFloats, testDevice } from '../gpu/testing/device';
import { gaussianNoise, NoiseKernel } from './noise';

describe('noise.wgsl', () => {
  it('equals its TypeScript twin (same seed, same noise) to 2e-6', async () => {
    const device = await testDevice();
    const kernel = new NoiseKernel(device);
    // Odd count and several streams: the tail element and the stream word are exercised.
    for (const [count, seed, stream] of [
      [4 * 16 * 16 * 16 + 1, 42, 0],
      [1001, 0xdeadbeef, 7],
      [513, 5, 0xffff0000],
    ]) {
      const out = storageBuffer(device, count * 4, 'noise.out');
      const bound = kernel.bind({ out }).setParams({ count, seed, stream });
      const encoder = device.createCommandEncoder();
      bound.encode(encoder);
      device.queue.submit([encoder.finish()]);
      const gpu = await readFloats(device, out, count);
      const ref = gaussianNoise(count, seed, stream);
      const err = maxAbsDiff(gpu, ref);
      console.log(`noise: count=${count} max |gpu - ts| = ${err.toExponential(2)}`);
      expect(err).toBeLessThan(2e-6);
      out.destroy();
      bound.destroy();
    }
  });
});
