import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors';
import type { GpuCapabilities } from '../gpu/probe';
import { parseManifest } from '../manifest/parse';
import { assessFit, planFiles, requireFit } from './requirements';
import { planLoad } from './variants';

const valid = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../../models/tests/fixtures/manifests/valid.json'), 'utf8'),
);
const GiB = 2 ** 30;
const manifest = parseManifest({
  ...valid,
  requirements: { ...valid.requirements, gpu_memory_bytes: 5e9, max_buffer_bytes: 1.5 * GiB },
});
const gpu = (shaderF16: boolean, limit: number): GpuCapabilities => ({
  webgpu: true,
  vendor: 'test',
  architecture: 'gpu',
  shaderF16,
  software: false,
  maxBufferSize: limit,
  maxStorageBufferBindingSize: limit,
});

describe('assessFit', () => {
  it('passes on a GPU with the feature and large enough buffers, and states GPU memory as unknown', () => {
    const plan = planLoad(manifest, 'webgpu', 'auto', gpu(true, 2 * GiB));
    const fit = assessFit(manifest, plan, gpu(true, 2 * GiB));
    expect(fit.ok).toBe(true);
    expect(fit.checks.find((c) => c.what === 'GPU memory')).toMatchObject({ need: 'about 5.0 GB', ok: undefined });
    expect(fit.checks.find((c) => c.what === 'WebGPU feature shader-f16')?.ok).toBe(true);
    expect(fit.downloadBytes).toBe(planFiles(manifest, plan).reduce((a, f) => a + f.bytes, 0));
  });

  it('fails before any download when the largest tensor exceeds the buffer limit, naming both sizes', () => {
    const caps = gpu(true, GiB);
    const plan = planLoad(manifest, 'webgpu', 'auto', caps);
    expect(assessFit(manifest, plan, caps).ok).toBe(false);
    try {
      requireFit(manifest, plan, caps);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EngineError);
      expect((e as EngineError).kind).toBe('missing-feature');
      expect((e as EngineError).message).toMatch(/needs 1\.6 GB for its largest GPU buffer; this device has 1\.1 GB/);
      expect((e as EngineError).message).toMatch(/Nothing was downloaded/);
    }
  });

  it('counts a shard shared by two graphs once', () => {
    const plan = planLoad(manifest, 'wasm', 'auto', gpu(false, GiB));
    const paths = planFiles(manifest, plan).map((f) => f.path);
    expect(new Set(paths).size).toBe(paths.length);
    expect(assessFit(manifest, plan, gpu(false, GiB)).checks.some((c) => c.what.startsWith('WASM'))).toBe(true);
  });
});
