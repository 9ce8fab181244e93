import { describe, expect, it } from 'vitest';
import { readFloats, testDevice, upload } from '../gpu/testing/device';
import type { KernelSet } from '../kernels/index';
import type { Ops } from './ops';
import { CpuOps } from './ops-cpu';
import { GpuOps, GpuTensor } from './ops-gpu';

describe('GpuOps.copyFrames', () => {
  it('equals the CPU copy (chunked VAE decoding on the GPU)', async () => {
    const device = await testDevice();
    const dims = [1, 3, 4, 5, 6];
    const values = Float32Array.from({ length: 3 * 4 * 5 * 6 }, (_, i) => i * 0.5 - 7);
    const gpu = new GpuOps(device, {} as KernelSet); // copyFrames needs no kernel
    const src = new GpuTensor(dims, upload(device, values, 'src'));
    const chunk = gpu.alloc([1, 3, 2, 5, 6], 'chunk');
    gpu.copyFrames(src, 1, chunk, 0, 2);
    const cpu: Ops = new CpuOps();
    const cpuChunk = cpu.alloc([1, 3, 2, 5, 6], 'chunk');
    cpu.copyFrames(cpu.fromHost(values, dims, 'src'), 1, cpuChunk, 0, 2);
    const got = await readFloats(device, (chunk as GpuTensor).buffer, chunk.size);
    expect(Array.from(got)).toEqual(Array.from(cpu.feed(cpuChunk).data as Float32Array));
    gpu.release();
    src.buffer.destroy();
  });
});
