import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors';
import { noisePrior } from '../pipeline/runtime';
import { parseManifest } from './parse';

// The same fixtures drive models/tests/test_manifest.py: one contract, checked on both sides.
const dir = join(import.meta.dirname, '../../../models/tests/fixtures/manifests');
const valid = JSON.parse(readFileSync(join(dir, 'valid.json'), 'utf8'));
const { cases } = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8')) as {
  cases: { name: string; set?: Record<string, unknown>; delete?: string[]; path: string }[];
};

/** Sets or deletes a dotted path (array indices as numbers) in a deep copy. */
function mutate(base: unknown, c: (typeof cases)[number]): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  const walk = (path: string, fn: (parent: Record<string, unknown>, key: string) => void) => {
    const keys = path.split('.');
    let node = copy as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
    fn(node, keys[keys.length - 1]);
  };
  for (const [path, value] of Object.entries(c.set ?? {})) walk(path, (p, k) => (p[k] = value));
  for (const path of c.delete ?? []) walk(path, (p, k) => delete p[k]);
  return copy;
}

describe('parseManifest', () => {
  it('accepts the valid fixture and fills defaults', () => {
    const m = parseManifest(valid);
    expect(m.id).toBe('fixture-64');
    expect(m.graphs.unet?.variants[0].requires).toEqual([]);
    expect(m.graphs.unet?.variants[0].external_data).toEqual([]);
  });

  it('maps schedule.multiscale_noise to the noise prior every sampler draw uses', () => {
    expect(noisePrior(parseManifest(valid))).toBeUndefined(); // absent: white noise
    const m = parseManifest(mutate(valid, { name: '', path: '', set: { 'schedule.multiscale_noise': 0.8 } }));
    expect(noisePrior(m)).toEqual({
      discount: 0.8,
      frames: m.latent.frames,
      height: m.latent.height,
      width: m.latent.width,
    });
  });

  for (const c of cases) {
    it(`rejects: ${c.name} (names ${c.path})`, () => {
      let error: unknown;
      try {
        parseManifest(mutate(valid, c));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EngineError);
      const e = error as EngineError;
      expect(e.kind).toBe('manifest');
      expect(e.detail.path).toBe(c.path);
      expect(e.message).toContain(c.path);
    });
  }
});
