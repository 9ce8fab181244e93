import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { CACHE_NAME, chunkKey, manifestKey } from '../app/engine/loader/cache';

const DIR = join(import.meta.dirname, '../test-results/folders');

test.beforeEach(async ({ page }) => {
  await page.goto('/?model=micro');
  await page.getByRole('tab', { name: 'Model' }).click();
});

test('storage use and quota are shown, and cached models can be listed and removed', async ({ page }) => {
  await expect(page.getByTestId('storage-usage')).toHaveText(/^Using \S+ \S+ of \S+ [kMGT]?B/);
  // A cached package as the engine's loader stores it: its manifest, and its files as chunks.
  const origin = new URL(page.url()).origin;
  const base = `${origin}/models/sample/`; // no bundled package has this id
  await page.evaluate(
    async ({ cacheName, manifest, chunk }) => {
      const cache = await caches.open(cacheName);
      await cache.put(manifest, new Response(JSON.stringify({ id: 'sample', name: 'Sample model' })));
      const bytes = new Uint8Array(150_000);
      await cache.put(chunk, new Response(bytes, { headers: { 'Content-Length': String(bytes.length) } }));
    },
    { cacheName: CACHE_NAME, manifest: manifestKey(base), chunk: chunkKey(`${base}unet.onnx`, 'ab'.repeat(32), 0) },
  );
  await page.getByRole('button', { name: 'Refresh' }).click();
  const entry = page.getByRole('listitem').filter({ hasText: 'Sample model' });
  await expect(entry).toContainText('sample · 150 kB · /models/sample/');
  await entry.getByRole('button', { name: 'Remove Sample model from cache' }).click();
  await expect(entry).toHaveCount(0);
  await expect(
    page.getByTestId('notice').filter({ hasText: 'Removed the cached model "Sample model" (150 kB freed).' }),
  ).toBeVisible();
  // Only that package's entries went; the studio's own model (micro, cached while it loaded) stays.
  const left = await page.evaluate(
    async (cacheName) => (await (await caches.open(cacheName)).keys()).map((r) => new URL(r.url).pathname),
    CACHE_NAME,
  );
  expect(left.filter((p) => p.startsWith('/models/sample/'))).toEqual([]);
});

test('a URL on another origin is refused with the reason', async ({ page }) => {
  await page.getByRole('textbox', { name: 'Model package URL' }).fill('https://example.com/models/demo/');
  await page.getByRole('button', { name: 'Load URL' }).click();
  await expect(page.getByTestId('notice').last().locator('p')).toHaveText(
    /^Only packages on this site \(http:\/\/localhost:\d+\) can be loaded; "https:\/\/example\.com" is another origin\./,
  );
});

test('a picked folder without manifest.json is refused with what to choose instead', async ({ page }) => {
  const folder = join(DIR, 'not-a-package');
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'unet.onnx'), 'not really');
  await page.locator('input[webkitdirectory]').setInputFiles(folder);
  await expect(page.getByTestId('notice').last().locator('p')).toHaveText(
    'The chosen folder has no manifest.json. Choose a model package folder (the one holding manifest.json).',
  );
});
