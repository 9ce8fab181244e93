import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../engine/manifest/parse';
import { limitsFromManifest, STUDIO_DEFAULT_LIMITS, sliderStep, stepChoices } from './limits';

const valid = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../models/tests/fixtures/manifests/valid.json'), 'utf8'),
);

describe('limits', () => {
  it('come from the manifest: ranges, geometry, and lambda from motion guidance', () => {
    const l = limitsFromManifest(parseManifest(valid));
    expect(l.steps).toEqual({ min: 1, max: 16, default: 4, recommended: [4, 8] });
    expect(l.guidance).toEqual({ min: 5, max: 15, default: 7.5 });
    expect(l.frames).toBe(16);
    expect(l.fps).toBe(8);
    expect(l.lambda).toEqual({ min: 0, max: 2000, default: 500 });
  });

  it('have no lambda when the model has no motion guidance', () => {
    const { motion_guidance: _, ...rest } = valid;
    const graphs = { ...rest.graphs };
    delete graphs.motion_grad;
    expect(limitsFromManifest(parseManifest({ ...rest, graphs })).lambda).toBeUndefined();
  });

  it('give sliders about a hundred round steps', () => {
    expect(sliderStep({ min: 5, max: 15 })).toBeCloseTo(0.1);
    expect(sliderStep({ min: 0, max: 1 })).toBeCloseTo(0.01);
    expect(sliderStep({ min: 0, max: 2000 })).toBeCloseTo(10);
    expect(sliderStep({ min: 3, max: 3 })).toBe(1);
  });

  it('offer the recommended step band first, then the rest of the range', () => {
    expect(stepChoices({ min: 1, max: 16, default: 4, recommended: [8, 4] })).toEqual({
      recommended: [4, 5, 6, 7, 8],
      other: [1, 2, 3, 9, 10, 11, 12, 13, 14, 15, 16],
    });
    expect(stepChoices(STUDIO_DEFAULT_LIMITS.steps).recommended).toEqual([4, 5, 6, 7, 8]);
    // Recommendations outside the range are dropped; the default stands in.
    expect(stepChoices({ min: 1, max: 2, default: 2, recommended: [4] })).toEqual({ recommended: [2], other: [1] });
  });
});
