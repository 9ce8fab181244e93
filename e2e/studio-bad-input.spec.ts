/**
 * Bad input through the studio, on the real engine and the micro package: each case ends in a
 * clear, specific message, and the gallery loses nothing. (Reference videos: studio-reference;
 * URL settings: studio-url; storage full: studio-generate and offline.)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { CACHE_NAME } from '../app/engine/loader/cache';
import {
  engineTesting,
  exportShownClip,
  galleryCount,
  generateOnce,
  MODEL_LOAD_MS,
  openStudio,
  waitForModel,
  withSavedClips,
} from './fixtures/studio';

const ROOT = join(import.meta.dirname, '..');
const PYTHON = join(ROOT, 'models/.venv/bin/python');
const MICRO = join(ROOT, 'public/models/micro');

test.describe.configure({ timeout: 400_000 });

/** A copy of the micro package with one defect (e2e/fixtures/craft_package.py), made at test time. */
function craftedPackage(defect: 'unknown-op' | 'out-of-memory'): string {
  const out = join(ROOT, 'test-results/packages', `micro-${defect}`);
  execFileSync(PYTHON, [
    join(import.meta.dirname, 'fixtures/craft_package.py'),
    '--source',
    MICRO,
    '--out',
    out,
    '--defect',
    defect,
  ]);
  return out;
}

/** A notice by its message (the card also holds its buttons' text). */
const notice = (page: Page, text: string | RegExp) =>
  page.getByTestId('notice').filter({ has: page.locator('p', { hasText: text }) });

/** The two clips saved by `withSavedClips` are all still there. */
async function expectGalleryIntact(page: Page): Promise<void> {
  await page.getByRole('tab', { name: /Gallery/ }).click();
  await expect(page.getByTestId('gallery-item').filter({ hasText: 'a red square moving right' })).toHaveCount(2);
  await page.getByRole('tab', { name: 'Create' }).click();
}

test('prompts: empty, very long (cut, and the UI says so), unusual Unicode', async ({ page }) => {
  await withSavedClips(page);
  await openStudio(page);
  const prompt = page.getByRole('textbox', { name: 'Prompt' });
  const generateButton = page.getByRole('button', { name: 'Generate' });

  for (const empty of ['', '   \n\t  ']) {
    await prompt.fill(empty);
    await expect(page.getByTestId('run-why')).toHaveText('Write a prompt to generate.');
    await generateButton.click();
    await expect(
      notice(page, 'Write a prompt first: describe the clip you want, e.g. "a red circle moving right".'),
    ).toBeVisible();
    expect(await galleryCount(page)).toBe(2);
  }

  // The micro model reads 48 tokens; this prompt has about 180 words.
  await expect(page.getByText("Long prompts are cut to the model's 48-token limit.")).toBeVisible();
  const long = 'a red circle moving right over a blue gradient while a yellow star spins slowly, '.repeat(12);
  await generateOnce(page, long);
  await expect(
    notice(page, 'The prompt is longer than the model reads: only its first 48 tokens were used.'),
  ).toBeVisible();
  await expect(page.locator('.clip-facts').getByText('prompt cut to 48 tokens')).toBeVisible();

  // Accents, combining marks, CJK, right-to-left script, emoji and a zero-width space.
  const unusual = 'Ünïcödé café — 東京の夜 🚀✨ مرحبا עולם z̶a̶l̶g̶o̶\u200b';
  await generateOnce(page, unusual);
  await expect(page.locator('.clip-facts h2')).toHaveText(unusual);
  const download = await exportShownClip(page);
  expect(download.suggestedFilename()).toMatch(/^unicode-cafe-zalgo-s\d+\.mp4$/);
  await page.reload();
  await page.getByRole('tab', { name: /Gallery/ }).click();
  await expect(page.getByTestId('gallery-item').filter({ hasText: unusual })).toHaveCount(1);
  await expect(page.getByTestId('gallery-item').filter({ hasText: long.slice(0, 60) })).toContainText('prompt cut');
  await expectGalleryIntact(page);
});

test.describe('broken model packages', () => {
  // page.route must see the engine worker's requests, which the service worker would otherwise handle.
  test.use({ serviceWorkers: 'block' });

  test('a corrupted file, a missing file, a malformed manifest: the message names it, nothing saved is lost', async ({
    page,
  }) => {
    await withSavedClips(page);
    const chip = page.getByTestId('model-chip');
    const forget = () => page.evaluate((name) => caches.delete(name), CACHE_NAME); // each case downloads afresh

    // One byte flipped in the UNet: its sha256 check fails before it is used.
    await page.route('**/models/micro/unet.fp32.onnx', async (route) => {
      const body = await (await route.fetch()).body();
      body[body.length >> 1] ^= 0xff;
      await route.fulfill({ body, headers: { 'content-type': 'application/octet-stream' } });
    });
    await page.goto('/?model=micro');
    await expect(chip).toHaveText('Model failed to load', { timeout: MODEL_LOAD_MS });
    await expect(
      notice(
        page,
        /^Model file "unet\.fp32\.onnx" failed its integrity check \(sha256 [0-9a-f]{12}… instead of [0-9a-f]{12}…\)\. It was not used; download the package again\.$/,
      ),
    ).toBeVisible();
    await page.getByRole('textbox', { name: 'Prompt' }).fill('a red circle');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect(notice(page, 'Load a model first (Model panel).')).toBeVisible();
    await expectGalleryIntact(page);
    await page.unroute('**/models/micro/unet.fp32.onnx');

    // The VAE decoder is missing from the server.
    await forget();
    await page.route('**/models/micro/vae_decoder.fp32.onnx', (route) => route.fulfill({ status: 404, body: '' }));
    await page.reload();
    await expect(chip).toHaveText('Model failed to load', { timeout: MODEL_LOAD_MS });
    await expect(
      notice(
        page,
        'Model file "vae_decoder.fp32.onnx" could not be fetched (HTTP 404). The package is incomplete; re-export or re-download it.',
      ),
    ).toBeVisible();
    await expectGalleryIntact(page);
    await page.unroute('**/models/micro/vae_decoder.fp32.onnx');

    // A manifest whose default guidance lies outside its own range; and one that is not JSON.
    await forget();
    const manifest = JSON.parse(readFileSync(join(MICRO, 'manifest.json'), 'utf8'));
    manifest.sampler.guidance.default = 20;
    await page.route('**/models/micro/manifest.json', (route) => route.fulfill({ json: manifest }));
    await page.reload();
    const invalid = 'Model manifest is invalid: sampler.guidance.default must lie in [5, 15], got 20.';
    await expect(notice(page, `The bundled model "micro" is unusable: ${invalid}`)).toBeVisible();
    await page.getByRole('tab', { name: 'Model' }).click();
    // It is not offered among the bundled models (the studio falls back to the first usable one).
    await expect(page.getByRole('button', { name: 'Load Micro test model' })).toHaveCount(0);
    // The same manifest loaded by URL reaches the engine, which refuses it with the same words.
    await page.getByRole('textbox', { name: 'Model package URL' }).fill('/models/micro/');
    await page.getByRole('button', { name: 'Load URL' }).click();
    await expect(page.getByRole('alert').filter({ hasText: invalid })).toHaveCount(2); // the panel and a notice
    await page.unroute('**/models/micro/manifest.json');
    await page.route('**/models/micro/manifest.json', (route) =>
      route.fulfill({ body: '{"format": "t2v-turbo-web/1", ', contentType: 'application/json' }),
    );
    await page.reload();
    await expect(
      notice(page, /^The bundled model "micro" is unusable: its manifest\.json is not valid JSON \(/),
    ).toBeVisible();
    await expectGalleryIntact(page);
  });

  test('an operator onnxruntime cannot run: the typed unsupported-op error reaches the user', async ({ page }) => {
    const folder = craftedPackage('unknown-op');
    await withSavedClips(page);
    await openStudio(page);
    await page.getByRole('tab', { name: 'Model' }).click();
    await page.locator('input[webkitdirectory]').setInputFiles(folder);
    await expect(page.getByTestId('model-chip')).toHaveText('Model failed to load', { timeout: MODEL_LOAD_MS });
    const message =
      'The model uses an operator this backend cannot run (org.turbostudio.test:Frobnicate) while loading the unet graph. Try the other backend, or re-export the package with supported operators.';
    await expect(notice(page, message)).toBeVisible();
    await expect(page.getByRole('tabpanel', { name: 'Model' }).getByRole('alert')).toHaveText(message);
    await expectGalleryIntact(page);
    // The bundled model still loads afterwards.
    await page.getByRole('tab', { name: 'Model' }).click();
    await page.getByRole('button', { name: 'Load Micro test model' }).click();
    await waitForModel(page);
  });

  test('out of memory: a model too big for the WebAssembly heap fails with the remedy', async ({ page }) => {
    const folder = craftedPackage('out-of-memory');
    await withSavedClips(page);
    await openStudio(page);
    await page.getByRole('tab', { name: 'Model' }).click();
    await page.locator('input[webkitdirectory]').setInputFiles(folder);
    await expect(page.getByTestId('model-chip')).toHaveText('Model failed to load', { timeout: 2 * MODEL_LOAD_MS });
    await expect(
      notice(
        page,
        'Out of memory while running the vae_decoder graph: the model needs more than the 4 GB of WebAssembly memory a browser tab can have. Use a smaller model package, or the WebGPU backend on a machine with a GPU; closing other tabs does not raise this limit.',
      ),
    ).toBeVisible();
    await expectGalleryIntact(page);
  });
});

test('WebGPU device lost mid-generation: the engine restarts, and Try again makes the clip', async ({ page }) => {
  test.setTimeout(600_000);
  await withSavedClips(page);
  await openStudio(page);
  const adapter = await page.evaluate(async () => Boolean(await navigator.gpu?.requestAdapter()));
  test.skip(!adapter, 'this browser offers no WebGPU adapter');
  await page.getByRole('combobox', { name: 'Backend' }).selectOption('webgpu');
  await expect(page.getByTestId('model-chip')).toHaveText('Micro test model · WebGPU', { timeout: MODEL_LOAD_MS });

  await engineTesting(page, { stepDelayMs: 1000 });
  await page.getByRole('textbox', { name: 'Prompt' }).fill('a red circle moving right');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByText(/Denoising: step 1 of 4/)).toBeVisible({ timeout: MODEL_LOAD_MS });
  await engineTesting(page, { loseDevice: true });
  const lost = notice(
    page,
    /^The GPU device was lost \(.+\)\. This is often out of GPU memory; the engine will reload the model — try again/,
  );
  await expect(lost).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('progressbar', { name: 'Generation progress' })).toHaveCount(0);
  await expectGalleryIntact(page);
  expect(await galleryCount(page)).toBe(2);

  // The worker was replaced and the model reloaded on a fresh device; the retry waits for that.
  await lost.getByRole('button', { name: 'Try again' }).click();
  await expect.poll(() => galleryCount(page), { timeout: 2 * MODEL_LOAD_MS }).toBe(3);
  await expect(page.locator('.clip-facts')).toContainText('Micro test model on WebGPU');
  await expect(page.getByRole('img', { name: 'Clip: a red circle moving right' })).toBeVisible();
});
