import { describe, expect, it } from 'vitest';
import { storageBuffer } from '../gpu/compute';
import { readBack, testDevice, upload } from '../gpu/testing/device';
import { FramesToRgbaKernel, framesToRgba } from './frames_to_rgba';
import { gaussianNoise } from './noise';
import { roundingEdgeValues } from './testing/rounding';

describe('frames_to_rgba.wgsl', () => {
  it('equals its TypeScript twin byte for byte (0 differing bytes), rounding edges included', async () => {
    const device = await testDevice();
    const shape = { frames: 4, height: 48, width: 40 };
    const plane = shape.frames * shape.height * shape.width;
    // Smooth values slightly beyond [-1, 1] (clamping), with every rounding edge planted in each channel.
    const video = gaussianNoise(3 * plane, 21, 0).map((v) => Math.tanh(v) * 1.05);
    const edges = roundingEdgeValues();
    for (let c = 0; c < 3; c++) video.set(edges, c * plane + c * 17);
    const input = upload(device, video, 'video');
    const rgba = storageBuffer(device, plane * 4, 'rgba');
    const bound = new FramesToRgbaKernel(device).bind({ video: input, rgba }).setParams(shape);
    const encoder = device.createCommandEncoder();
    bound.encode(encoder);
    device.queue.submit([encoder.finish()]);
    const gpu = new Uint8Array(await readBack(device, rgba, plane * 4));
    const twin = new Uint8Array(framesToRgba(video, shape).buffer);
    let differing = 0;
    for (let i = 0; i < gpu.length; i++) differing += Number(gpu[i] !== twin[i]);
    console.log(
      `frames_to_rgba: ${plane} pixels (${edges.length} rounding edges per channel), ${differing} differing bytes`,
    );
    expect(differing).toBe(0);
    for (const b of [input, rgba]) b.destroy();
    bound.destroy();
  });
});
