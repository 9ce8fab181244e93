/**
 * Vitest setup for the `kernels` project: gives Node a real WebGPU implementation (Dawn, from the
 * `webgpu` package). Without a GPU, Dawn needs a Vulkan driver: Debian's chromium ships
 * SwiftShader's ICD, which scripts/test-all.mjs points VK_ICD_FILENAMES at.
 */
import { afterEach } from 'vitest';
import { create, globals } from 'webgpu';
import { takeGpuErrors } from './device';

Object.assign(globalThis, globals);
const gpu = create([]);
if (!('navigator' in globalThis) || !globalThis.navigator) {
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
} else if (!globalThis.navigator.gpu) {
  Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
}

// A WGSL compile error or an invalid binding does not throw in WebGPU; without this a broken
// kernel would only show up as wrong numbers.
afterEach(async () => {
  const errors = await takeGpuErrors();
  if (errors.length)
    throw new Error(`WebGPU reported ${errors.length} error(s) during this test:\n${errors.join('\n')}`);
});
