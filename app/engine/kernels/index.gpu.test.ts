import { describe, expect, it } from 'vitest';
import { ComputeKernel, compileChecked } from '../gpu/compute';
import { testDevice } from '../gpu/testing/device';
import { KernelSet } from './index';

describe('KernelSet', () => {
  it('compiles every kernel on the device without a validation error', async () => {
    const device = await testDevice();
    const t0 = performance.now();
    const kernels = await KernelSet.create(device);
    console.log(`KernelSet: 9 pipelines in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(kernels.device).toBe(device);
    expect(kernels.lcmStep.compute.pipeline).toBeDefined();
  });

  it('turns a kernel that does not compile into an error carrying the compiler message', async () => {
    const device = await testDevice();
    const broken = '@compute @workgroup_size(WG) fn main() { let active = 1; }';
    await expect(
      compileChecked(device, 'The test kernel', () => new ComputeKernel(device, broken, 'broken')),
    ).rejects.toThrow(/The test kernel failed to compile on this GPU: .*active/s);
  });
});
