import { describe, expect, it } from 'vitest';
import { storageBuffer } from '../gpu/compute';
import { maxAbsDiff, readFloats, testDevice } from '../gpu/testing/device';
import { gaussianNoise, NoiseKernel, priorNoise } from './noise';

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

  it('writes multiscale noise equal to its TypeScript twin to 2e-6', async () => {
    const device = await testDevice();
    const kernel = new NoiseKernel(device);
    // The demo latent (4 levels) and an uneven one (40 x 64 like VideoCrafter2's, 6 levels).
    for (const prior of [
      { discount: 0.8, frames: 16, height: 16, width: 16, channels: 4, stream: 3 },
      { discount: 0.5, frames: 2, height: 40, width: 64, channels: 2, stream: 0xffff0000 },
    ]) {
      const count = prior.channels * prior.frames * prior.height * prior.width;
      const out = storageBuffer(device, count * 4, 'noise.out');
      const bound = kernel.bind({ out }).setParams({ count, seed: 9, stream: prior.stream, prior });
      const encoder = device.createCommandEncoder();
      bound.encode(encoder);
      device.queue.submit([encoder.finish()]);
      const gpu = await readFloats(device, out, count);
      const err = maxAbsDiff(gpu, priorNoise(count, 9, prior.stream, prior));
      console.log(
        `noise (multiscale ${prior.frames}x${prior.height}x${prior.width}): max |gpu - ts| = ${err.toExponential(2)}`,
      );
      expect(err).toBeLessThan(2e-6);
      out.destroy();
      bound.destroy();
    }
  });
});
