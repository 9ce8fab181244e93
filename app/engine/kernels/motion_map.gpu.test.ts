import { describe, expect, it } from 'vitest';
import { storageBuffer } from '../gpu/compute';
import { readBack, testDevice, upload } from '../gpu/testing/device';
import { MotionMapKernel, motionMap } from './motion_map';

describe('motion_map.wgsl', () => {
  it('equals its TypeScript twin to within 1 per colour byte', async () => {
    const device = await testDevice();
    const input = { frames: 4, height: 90, width: 160 };
    const params = { input, height: 18, width: 32, gain: 3 };
    // A smooth moving pattern plus noise: every level of the ramp appears.
    let s = 3;
    const frames = new Uint32Array(input.frames * input.height * input.width);
    for (let t = 0; t < input.frames; t++) {
      for (let y = 0; y < input.height; y++) {
        for (let x = 0; x < input.width; x++) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          const v = Math.round(127 + 120 * Math.sin((x + 6 * t * (y / 30)) / 9) * Math.cos(y / 13)) & 0xff;
          frames[(t * input.height + y) * input.width + x] = (v | ((s >>> 24) << 8) | (v << 16) | (255 << 24)) >>> 0;
        }
      }
    }
    const source = upload(device, frames, 'frames');
    const words = (input.frames - 1) * params.height * params.width;
    const map = storageBuffer(device, 4 * words, 'map');
    const bound = new MotionMapKernel(device).bind({ frames: source, map }).setParams(params);
    const encoder = device.createCommandEncoder();
    bound.encode(encoder);
    device.queue.submit([encoder.finish()]);
    const gpu = new Uint8Array(await readBack(device, map, 4 * words));
    const twin = new Uint8Array(motionMap(frames, params).buffer);
    let worst = 0;
    let differing = 0;
    for (let i = 0; i < gpu.length; i++) {
      worst = Math.max(worst, Math.abs(gpu[i] - twin[i]));
      differing += Number(gpu[i] !== twin[i]);
    }
    const distinct = new Set(new Uint32Array(twin.buffer)).size;
    console.log(
      `motion_map: ${words} cells, ${distinct} distinct colours, ${differing} bytes differ, max |gpu - ts| = ${worst}`,
    );
    expect(worst).toBeLessThanOrEqual(1);
    expect(differing).toBeLessThan(gpu.length / 100);
    expect(distinct).toBeGreaterThan(50);
    for (const b of [source, map]) b.destroy();
    bound.destroy();
  });
});
