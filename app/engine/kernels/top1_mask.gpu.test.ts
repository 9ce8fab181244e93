import { describe, expect, it } from 'vitest';
import { storageBuffer } from '../gpu/compute';
import { readFloats, testDevice, upload } from '../gpu/testing/device';
import { gaussianNoise } from './noise';
import { Top1MaskKernel, top1Mask } from './top1_mask';

describe('top1_mask.wgsl', () => {
  it('equals its TypeScript twin exactly, ties included', async () => {
    const device = await testDevice();
    const cols = 16;
    const rows = 2 * 8 * 8 * 4 * cols + 3; // B * h * w * heads * T, plus a ragged tail
    // Quantised values so that many rows hold ties.
    const attn = gaussianNoise(rows * cols, 4, 0).map((v) => Math.round(v * 2) / 2);
    const input = upload(device, attn, 'attn');
    const mask = storageBuffer(device, 4 * rows * cols, 'mask');
    const bound = new Top1MaskKernel(device).bind({ attn: input, mask }).setParams({ rows, cols });
    const encoder = device.createCommandEncoder();
    bound.encode(encoder);
    device.queue.submit([encoder.finish()]);
    const gpu = await readFloats(device, mask, rows * cols);
    const twin = top1Mask(attn, { rows, cols });
    let differing = 0;
    for (let i = 0; i < gpu.length; i++) differing += Number(gpu[i] !== twin[i]);
    console.log(`top1_mask: ${rows} rows x ${cols}, ${differing} differing entries`);
    expect(differing).toBe(0);
    for (const b of [input, mask]) b.destroy();
    bound.destroy();
  });
});
