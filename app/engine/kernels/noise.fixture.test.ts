/**
 * Cross-language check of the noise generator: models/tests/fixtures/noise.json holds values that
 * this TypeScript twin and the Python twin (t2v_turbo.diffusion.noise) must both reproduce exactly.
 * `UPDATE_FIXTURES=1` rewrites it from TypeScript.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { gaussianNoise, priorNoise } from './noise';

const file = join(import.meta.dirname, '../../../models/tests/fixtures/noise.json');
const streams = [
  { seed: 42, stream: 0, count: 33 },
  { seed: 0xdeadbeef, stream: 7, count: 33 },
  { seed: 4294967295, stream: 123456, count: 8 },
];

// Multiscale noise on small odd-sized latents (B = 1): the level grids' sizes and nearest-neighbour
// indices are exercised on axes that do not halve evenly.
const priors = [
  { seed: 42, stream: 0, channels: 2, frames: 3, height: 5, width: 6, discount: 0.8 },
  { seed: 7, stream: 2, channels: 1, frames: 4, height: 4, width: 8, discount: 0.5 },
];

it('reproduces the shared noise fixture bit for bit', () => {
  const generated = streams.map((s) => ({ ...s, values: Array.from(gaussianNoise(s.count, s.seed, s.stream)) }));
  const multiscale = priors.map((p) => ({
    ...p,
    values: Array.from(priorNoise(p.channels * p.frames * p.height * p.width, p.seed, p.stream, p)),
  }));
  if (process.env.UPDATE_FIXTURES) {
    writeFileSync(file, `${JSON.stringify({ streams: generated, multiscale }, null, 1)}\n`);
  }
  const fixture = JSON.parse(readFileSync(file, 'utf8')) as {
    streams: typeof generated;
    multiscale: typeof multiscale;
  };
  expect(generated).toEqual(fixture.streams);
  expect(multiscale).toEqual(fixture.multiscale);
});
