/**
 * The converter's output in the real engine: synthetic checkpoints with the real VideoCrafter2 /
 * T2V-Turbo-v2 key names (the vc2 preset's full structure at reduced widths, random weights) go
 * through `python -m t2v_turbo convert`, and the package it writes — OpenCLIP text tower with the
 * clip-bpe tokenizer, full-depth UNet, sharded weights — runs in Chromium on WASM and gives the same
 * frames as the companion's onnxruntime reference sampler (itself checked against PyTorch in
 * models/tests/test_convert.py). The package is built at test time (a few minutes of export) and
 * served from a temporary folder, with HTTP Range like any static server.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { byteDiff } from './fixtures/byte-diff';
import { referenceFrames } from './fixtures/reference-sampler';

const ROOT = join(import.meta.dirname, '..');
const PYTHON = join(ROOT, 'models/.venv/bin/python');
const request = {
  prompt: 'A corgi surfing a wave at sunset, cinematic',
  steps: 4,
  guidance: 7.5,
  motion: 0.5,
  seed: 11,
};

test('a converted reduced-width T2V-Turbo-v2 package runs in the engine and matches the reference sampler', async ({
  page,
}) => {
  test.setTimeout(1_500_000);
  const dir = mkdtempSync(join(tmpdir(), 'vc2-'));
  const pkg = join(dir, 'models', 'vc2-tiny');
  execFileSync(PYTHON, [join(ROOT, 'models/tests/vc2_fixtures.py'), join(dir, 'ckpt'), '--package', pkg], {
    stdio: 'inherit',
    timeout: 1_200_000,
  });
  const manifest = JSON.parse(readFileSync(join(pkg, 'manifest.json'), 'utf8'));
  expect(manifest.text.tokenizer.kind).toBe('clip-bpe');

  await page.route('**/models/vc2-tiny/**', async (route) => {
    const name = decodeURIComponent(new URL(route.request().url()).pathname.split('/models/vc2-tiny/')[1]);
    const body = readFileSync(join(pkg, name));
    const range = /bytes=(\d+)-(\d+)/.exec(route.request().headers().range ?? '');
    if (!range) return route.fulfill({ body, headers: { 'content-type': 'application/octet-stream' } });
    const [start, end] = [Number(range[1]), Math.min(Number(range[2]), body.length - 1)];
    return route.fulfill({
      status: 206,
      body: body.subarray(start, end + 1),
      headers: { 'content-range': `bytes ${start}-${end}/${body.length}`, 'content-type': 'application/octet-stream' },
    });
  });
  await page.goto('/e2e/harness/engine.html');
  await page.locator('body[data-ready=true]').waitFor();
  const loaded = await page.evaluate(() => window.harness.load('/models/vc2-tiny/', 'wasm'));
  expect(loaded).toMatchObject({ backend: 'wasm' });
  const out = await page.evaluate((r) => window.harness.generate(r), request);
  if ('error' in out) throw new Error(`${out.error.kind}: ${out.error.message}`);

  const reference = referenceFrames(pkg, request);
  const { max } = byteDiff(out.frames, reference);
  console.log(`converted package, WASM vs reference sampler: max |Δbyte| ${max} over ${reference.length} bytes`);
  // Same graphs, same tokenizer ids, same noise: float32 rounding may move a byte by one at most.
  expect(max).toBeLessThanOrEqual(1);
  expect(out.frameCount).toBe(4);
});
