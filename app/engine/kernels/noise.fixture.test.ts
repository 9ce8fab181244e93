/**
 * Cross-language check of the noise generator: models/tests/fixtures/noise.json holds values that
 * this TypeScript twin and the Python twin (t2v_turbo.diffusion.noise) must both reproduce exactly.
 * `UPDATE_FIXTURES=1` rewrites it from TypeScript.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { gaussianNoise } from './noise';

const file = join(import.meta.dirname, '../../../models/tests/fixtures/noise.json');
const streams = [
  { seed: 42, stream: 0, count: 33 },
  { seed: 0xdeadbeef, stream: 7, count: 33 },
  { seed: 4294967295, stream: 123456, count: 8 },
];

it('reproduces the shared noise fixture bit for bit', () => {
  const generated = streams.map((s) => ({ ...s, values: Array.from(gaussianNoise(s.count, s.seed, s.stream)) }));
  if (process.env.UPDATE_FIXTURES) writeFileSync(file, `${JSON.stringify({ streams: generated }, null, 1)}\n`);
  const fixture = JSON.parse(readFileSync(file, 'utf8')) as { streams: typeof generated };
  expect(generated).toEqual(fixture.streams);
});
