/**
 * Every kernel's TypeScript uniform layout mirrors its WGSL `struct Params` field for field, and
 * every .wgsl file in this folder belongs to a kernel with such a layout.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { UniformLayout } from '../gpu/uniform';
import { FRAMES_TO_RGBA_PARAMS } from './frames_to_rgba';
import { GUIDANCE_UPDATE_PARAMS } from './guidance_update';
import { LCM_STEP_PARAMS } from './lcm_step';
import { MOTION_MAP_PARAMS } from './motion_map';
import { NOISE_PARAMS } from './noise';
import { RESIZE_CROP_NORMALIZE_PARAMS } from './resize_crop_normalize';
import { SCALE_PARAMS } from './scale';
import { TOP1_MASK_PARAMS } from './top1_mask';
import { VIDEO_METRICS_PARAMS } from './video_metrics';

const layouts: Record<string, UniformLayout<string>> = {
  frames_to_rgba: FRAMES_TO_RGBA_PARAMS,
  guidance_update: GUIDANCE_UPDATE_PARAMS,
  lcm_step: LCM_STEP_PARAMS,
  motion_map: MOTION_MAP_PARAMS,
  noise: NOISE_PARAMS,
  resize_crop_normalize: RESIZE_CROP_NORMALIZE_PARAMS,
  scale: SCALE_PARAMS,
  top1_mask: TOP1_MASK_PARAMS,
  video_metrics: VIDEO_METRICS_PARAMS,
};

/** [name, type] of each field of `struct Params` in WGSL source (comments stripped). */
function wgslParams(source: string): [string, string][] {
  const body = source.replace(/\/\/.*$/gm, '').match(/struct\s+Params\s*\{([^}]*)\}/)?.[1];
  if (!body) throw new Error('no struct Params');
  return body
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean)
    .map((f) => f.split(':').map((s) => s.trim()) as [string, string]);
}

describe('uniform layouts', () => {
  const files = readdirSync(import.meta.dirname).filter((f) => f.endsWith('.wgsl'));

  it('cover every .wgsl kernel', () => {
    expect(files.map((f) => f.replace('.wgsl', '')).sort()).toEqual(Object.keys(layouts).sort());
  });

  it.each(files)('%s: struct Params matches the TypeScript layout', (file) => {
    const layout = layouts[file.replace('.wgsl', '')];
    const source = readFileSync(join(import.meta.dirname, file), 'utf8');
    expect(layout.fields.map(([n, t]) => [n, t])).toEqual(wgslParams(source));
    expect(layout.bytes % 16).toBe(0);
    // One kernel per file, with the shared workgroup-size override.
    expect(source.match(/@compute/g)).toHaveLength(1);
    expect(source).toMatch(/override WG: u32/);
  });

  it('pack rejects values the WGSL type cannot hold', () => {
    expect(() => SCALE_PARAMS.pack({ count: -1, factor: 1 })).toThrow(
      /Kernel scale: scale.count must be an integer in \[0, 4294967295\], got -1/,
    );
    expect(() => SCALE_PARAMS.pack({ count: 1.5, factor: 1 })).toThrow(/got 1.5/);
    const view = new DataView(
      LCM_STEP_PARAMS.pack({
        count: 7,
        last: 1,
        sqrt_abar: 0.5,
        sqrt_one_minus_abar: 0.25,
        c_skip: 0,
        c_out: 1,
        next_sqrt_abar: 0,
        next_sqrt_one_minus_abar: 0,
      }),
    );
    expect([
      view.getUint32(0, true),
      view.getUint32(4, true),
      view.getFloat32(8, true),
      view.getFloat32(12, true),
    ]).toEqual([7, 1, 0.5, 0.25]);
  });
});
