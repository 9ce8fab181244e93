import { describe, expect, it } from 'vitest';
import { storageBuffer } from '../gpu/compute';
import { maxAbsDiff, readFloats, testDevice, upload } from '../gpu/testing/device';
import {
  ResizeCropNormalizeKernel,
  type ResizeCropNormalizeParams,
  resizeCropNormalize,
} from './resize_crop_normalize';

function randomFrames(count: number, seed: number): Uint32Array {
  let s = seed;
  return Uint32Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  });
}

describe('resize_crop_normalize.wgsl', () => {
  it('equals its TypeScript twin to 1e-5 (downscale with crop, upscale; both layouts)', async () => {
    const device = await testDevice();
    const kernel = new ResizeCropNormalizeKernel(device);
    const cases: ResizeCropNormalizeParams[] = [
      {
        input: { frames: 3, height: 90, width: 160 },
        height: 24,
        width: 24,
        frameIndices: [2, 0, 1, 2],
        mean: [0.5, 0.5, 0.5],
        std: [0.5, 0.5, 0.5],
        layout: 'video',
      },
      {
        input: { frames: 2, height: 20, width: 12 },
        height: 40,
        width: 32,
        frameIndices: [1],
        mean: [0.48145466, 0.4578275, 0.40821073],
        std: [0.26862954, 0.26130258, 0.27577711],
        layout: 'frames',
      },
    ];
    for (const p of cases) {
      const source = randomFrames(p.input.frames * p.input.height * p.input.width, 99);
      const count = 3 * p.frameIndices.length * p.height * p.width;
      const frames = upload(device, source, 'frames');
      const indices = storageBuffer(device, 4 * p.frameIndices.length, 'indices');
      const output = storageBuffer(device, 4 * count, 'pixels');
      const bound = kernel.bind({ frames, indices, output }).setParams(p);
      const encoder = device.createCommandEncoder();
      bound.encode(encoder);
      device.queue.submit([encoder.finish()]);
      const err = maxAbsDiff(await readFloats(device, output, count), resizeCropNormalize(source, p));
      const geometry = `${p.input.height}x${p.input.width} -> ${p.height}x${p.width}`;
      console.log(`resize_crop_normalize: ${geometry} (${p.layout}) max |gpu - ts| = ${err.toExponential(2)}`);
      expect(err).toBeLessThan(1e-5);
      expect(() => bound.setParams({ ...p, frameIndices: [p.input.frames] })).toThrow(/is not a frame of the/);
      for (const b of [frames, indices, output]) b.destroy();
      bound.destroy();
    }
  });
});
