import { describe, expect, it } from 'vitest';
import { storageBuffer } from '../gpu/compute';
import { readBack, testDevice, upload } from '../gpu/testing/device';
import { VideoMetricsKernel, videoMetrics, videoMetricsFromPartials, videoMetricsPartialWords } from './video_metrics';

describe('video_metrics.wgsl', () => {
  it('gives exactly the twin metrics (integer sums; several chunks per pair, ragged last chunk)', async () => {
    const device = await testDevice();
    const shape = { frames: 5, height: 72, width: 80 }; // 5760 pixels: 2 chunks of 4096 per pair
    let s = 17;
    const frames = Uint32Array.from({ length: shape.frames * shape.height * shape.width }, (_, i) => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      // Saturated values (255, 0) in places: the largest per-pixel sums are exercised.
      return i % 97 === 0 ? 0xffffffff : i % 89 === 0 ? 0xff000000 : s;
    });
    const input = upload(device, frames, 'frames');
    const words = videoMetricsPartialWords(shape);
    const partials = storageBuffer(device, 4 * words, 'partials');
    const bound = new VideoMetricsKernel(device).bind({ frames: input, partials }).setParams(shape);
    const encoder = device.createCommandEncoder();
    bound.encode(encoder);
    device.queue.submit([encoder.finish()]);
    const gpu = videoMetricsFromPartials(new Uint32Array(await readBack(device, partials, 4 * words)), shape);
    const twin = videoMetrics(frames, shape);
    console.log(
      `video_metrics: ${shape.frames}x${shape.height}x${shape.width} motion ${gpu.motion.toFixed(6)} flicker ${gpu.flicker.toFixed(6)} consistency ${gpu.consistency.toFixed(6)} (twin identical: ${JSON.stringify(gpu) === JSON.stringify(twin)})`,
    );
    expect(gpu).toEqual(twin);
    for (const b of [input, partials]) b.destroy();
    bound.destroy();
  });
});
