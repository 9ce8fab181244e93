import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { MODEL_CACHE_PREFIX } from '../app/storage/model-cache';

const DIR = join(import.meta.dirname, '../test-results/folders');

test.beforeEach(async ({ page }) => {
  await page.goto('/');
  await page.getByRole('tab', { name: 'Model' }).click();
});

test('storage use and quota are shown, and cached models can be listed and removed', async ({ page }) => {
  await expect(page.getByTestId('storage-usage')).toHaveText(/^Using \S+ \S+ of \S+ [kMGT]?B/);
  // A cached package as the engine stores it: one Cache Storage entry per file.
  await page.evaluate(async (prefix) => {
    const cache = await caches.open(`${prefix}demo`);
    await cache.put('/models/demo/manifest.json', new Response('{"x":1}', { headers: { 'Content-Length': '7' } }));
    await cache.put('/models/demo/unet.onnx', new Response(new Uint8Array(150_000)));
  }, MODEL_CACHE_PREFIX);
  await page.getByRole('button', { name: 'Refresh' }).click();
  const entry = page.getByRole('listitem').filter({ hasText: 'demo' });
  await expect(entry).toContainText('2 files · 150 kB');
  await entry.getByRole('button', { name: 'Remove demo from cache' }).click();
  await expect(page.getByText('No model is cached for offline use yet.')).toBeVisible();
  await expect(
    page.getByTestId('notice').filter({ hasText: 'Removed the cached model "demo" (150 kB).' }),
  ).toBeVisible();
  expect(await page.evaluate(() => caches.keys())).not.toContain(`${MODEL_CACHE_PREFIX}demo`);
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
