import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (plain Node) and `kernels` (every WGSL kernel against its TypeScript
 * reference on a real WebGPU adapter: Dawn's `webgpu` package over SwiftShader here, a GPU elsewhere).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['app/**/*.test.ts'],
          exclude: ['app/**/*.gpu.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'kernels',
          include: ['app/**/*.gpu.test.ts'],
          environment: 'node',
          setupFiles: ['app/engine/gpu/testing/dawn-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // One Dawn device for the whole run; SwiftShader is CPU-bound anyway.
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});
