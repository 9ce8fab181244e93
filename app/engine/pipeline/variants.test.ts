import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors';
import type { GpuCapabilities } from '../gpu/probe';
import { parseManifest } from '../manifest/parse';
import { planLoad } from './variants';

const manifest = parseManifest(
  JSON.parse(readFileSync(join(import.meta.dirname, '../../../models/tests/fixtures/manifests/valid.json'), 'utf8')),
);
const gpu = (shaderF16: boolean): GpuCapabilities => ({
  webgpu: true,
  vendor: 'test',
  architecture: 'gpu',
  shaderF16,
  software: false,
  maxBufferSize: 2 ** 30,
  maxStorageBufferBindingSize: 2 ** 30,
});
const noGpu: GpuCapabilities = {
  webgpu: false,
  reason: 'no adapter',
  shaderF16: false,
  software: false,
  maxBufferSize: 0,
  maxStorageBufferBindingSize: 0,
};

describe('planLoad', () => {
  it('uses fp16 on a GPU with shader-f16 and keeps the int8 text encoder on WASM', () => {
    const plan = planLoad(manifest, 'auto', 'auto', gpu(true));
    expect(plan.backend).toBe('webgpu');
    expect(plan.precision).toBe('fp16');
    expect(plan.graphs.unet?.variant.precision).toBe('fp16');
    expect(plan.graphs.text_encoder).toMatchObject({ backend: 'wasm', variant: { precision: 'int8' } });
  });

  it('falls back to fp32 without shader-f16 and says why', () => {
    const plan = planLoad(manifest, 'auto', 'auto', gpu(false));
    expect(plan.graphs.unet?.variant.precision).toBe('fp32');
    expect(plan.reason).toMatch(/no shader-f16/);
  });

  it('uses WASM without WebGPU, and refuses an explicit WebGPU choice with a typed error', () => {
    expect(planLoad(manifest, 'auto', 'auto', noGpu)).toMatchObject({ backend: 'wasm', precision: 'fp32' });
    expect(() => planLoad(manifest, 'webgpu', 'auto', noGpu)).toThrow(EngineError);
    try {
      planLoad(manifest, 'webgpu', 'auto', noGpu);
    } catch (e) {
      expect((e as EngineError).kind).toBe('no-webgpu');
    }
  });

  it('refuses fp16 on a GPU without shader-f16 (missing feature)', () => {
    try {
      planLoad(manifest, 'webgpu', 'fp16', gpu(false));
      expect.unreachable();
    } catch (e) {
      expect((e as EngineError).kind).toBe('missing-feature');
      expect((e as EngineError).message).toContain('shader-f16');
    }
  });

  it('prefers WASM over a software-emulated WebGPU on auto, but honours an explicit WebGPU choice', () => {
    const swiftshader = { ...gpu(false), software: true, architecture: 'swiftshader' };
    const auto = planLoad(manifest, 'auto', 'auto', swiftshader);
    expect(auto.backend).toBe('wasm');
    expect(auto.reason).toMatch(/software emulation \(swiftshader\)/);
    expect(planLoad(manifest, 'webgpu', 'auto', swiftshader).backend).toBe('webgpu');
  });

  it('takes WebGPU on auto for a package without WASM variants, and names the missing feature', () => {
    const gpuOnly = parseManifest({
      ...structuredClone(manifest),
      graphs: Object.fromEntries(
        Object.entries(manifest.graphs).map(([role, g]) => [
          role,
          {
            ...g,
            variants: [{ ...g!.variants[0], precision: 'fp16', backends: ['webgpu'], requires: ['shader-f16'] }],
          },
        ]),
      ),
    });
    const swiftshader = { ...gpu(false), software: true, architecture: 'swiftshader' };
    expect(() => planLoad(gpuOnly, 'auto', 'auto', swiftshader)).toThrow(/lacks the WebGPU feature "shader-f16"/);
    const plan = planLoad(gpuOnly, 'auto', 'auto', { ...swiftshader, shaderF16: true });
    expect(plan).toMatchObject({ backend: 'webgpu', precision: 'fp16' });
    expect(plan.reason).toMatch(/has no WASM variant/);
  });

  it('honours an explicit WASM choice even with a GPU', () => {
    const plan = planLoad(manifest, 'wasm', 'auto', gpu(true));
    expect(plan.backend).toBe('wasm');
    expect(Object.values(plan.graphs).every((g) => g?.backend === 'wasm')).toBe(true);
  });
});
