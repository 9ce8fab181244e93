/**
 * The flows that need a generated clip: generate, cancel, sweep + compare, guided generation,
 * persistence across reload, export of a generated clip, a reload mid-run, storage full.
 *
 * They run once the engine is wired into main.tsx and a bundled package is listed in
 * /models/index.json; until then each test skips itself with the reason (it never passes vacuously).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { seedGallery, sweepClips } from './fixtures/gallery';
import { fixture } from './fixtures/videos';

const MODEL_LOAD_MS = 170_000;

/** Waits for the bundled model to be ready, or skips the test saying what is missing. */
async function readyStudio(page: Page): Promise<void> {
  await page.goto('/');
  const why = page.getByTestId('run-why');
  await expect(why).not.toHaveText('');
  test.skip(
    (await why.textContent())?.includes('engine is not part of this build') ?? false,
    'needs the engine wired in main.tsx',
  );
  await page.getByRole('tab', { name: 'Model' }).click();
  await expect(page.getByText(/Looking for bundled models/)).toHaveCount(0);
  test.skip((await page.getByTestId('no-bundled').count()) > 0, 'needs a bundled model package in /models/index.json');
  await expect(page.getByTestId('model-chip')).toHaveText(/· (WebGPU|WASM)$/, { timeout: MODEL_LOAD_MS });
  await page.getByRole('tab', { name: 'Create' }).click();
}

async function generateOnce(page: Page, prompt: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Prompt' }).fill(prompt);
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('button', { name: 'Generate' })).toBeEnabled({ timeout: MODEL_LOAD_MS });
}

test.describe.configure({ timeout: 400_000 });

test('generate: progress with steps, then a clip in the player and the gallery that survives a reload', async ({
  page,
}) => {
  await readyStudio(page);
  await page.getByRole('textbox', { name: 'Prompt' }).fill('a red circle moving right');
  await page.getByRole('spinbutton', { name: 'Seed' }).fill('42');
  await page.getByRole('button', { name: 'Generate' }).click();
  const bar = page.getByRole('progressbar', { name: 'Generation progress' });
  await expect(bar).toBeVisible();
  await expect(page.getByText(/Denoising: step \d+ of \d+/)).toBeVisible({ timeout: MODEL_LOAD_MS });
  await expect(page.getByText(/^Elapsed /)).toBeVisible();
  await expect(bar).toHaveCount(0, { timeout: MODEL_LOAD_MS });
  await expect(page.getByRole('img', { name: 'Clip: a red circle moving right' })).toBeVisible();
  await expect(page.locator('.clip-facts')).toContainText('seed 42');

  await page.reload();
  await page.getByRole('tab', { name: /Gallery/ }).click();
  const card = page.getByTestId('gallery-item').filter({ hasText: 'a red circle moving right' });
  await expect(card).toHaveCount(1);
  await expect(card).toContainText(/seed 42/);
});

test('cancel stops the run within a step and keeps the gallery as it was', async ({ page }) => {
  await readyStudio(page);
  await page.getByRole('tab', { name: /Gallery/ }).click();
  const before = await page.getByTestId('gallery-item').count();
  await page.getByRole('tab', { name: 'Create' }).click();
  await page.getByRole('textbox', { name: 'Prompt' }).fill('a blue square moving up');
  await page.getByRole('combobox', { name: 'Steps' }).selectOption({ index: 0 });
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('button', { name: 'Cancel' })).toBeEnabled();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('notice').filter({ hasText: 'Generation was cancelled.' })).toBeVisible({
    timeout: 60_000,
  });
  await page.getByRole('tab', { name: /Gallery/ }).click();
  await expect(page.getByTestId('gallery-item')).toHaveCount(before);
});

test('sweep w at a fixed seed: clips side by side with the model reward scores', async ({ page }) => {
  await readyStudio(page);
  await page.getByRole('textbox', { name: 'Prompt' }).fill('a yellow star spinning');
  await page.getByRole('tab', { name: /Compare/ }).click();
  await page.getByLabel('Vary').selectOption({ label: 'Guidance scale w' });
  await page.getByLabel('Clips').selectOption('2');
  await page.getByRole('button', { name: 'Run sweep' }).click();
  const cards = page.getByRole('article', { name: /^Compared clip/ });
  await expect(cards).toHaveCount(2, { timeout: 2 * MODEL_LOAD_MS });
  // Same seed, different w; every score labelled with a number.
  const seeds = await cards.evaluateAll((as) => as.map((a) => a.getAttribute('aria-label')?.match(/seed (\d+)/)?.[1]));
  expect(new Set(seeds).size).toBe(1);
  await expect(cards.first().locator('.settings-line strong')).toHaveText(/^w /);
  const labels = await cards.first().locator('.score-label').allTextContents();
  expect(labels.length).toBeGreaterThan(0);
  await expect(cards.first().locator('.bar-value').first()).toHaveText(/\d/);
});

test('a reference video guides the generation, and the clip is marked as guided', async ({ page }) => {
  await readyStudio(page);
  await page.locator('#reference-file').setInputFiles(fixture('good.mp4'));
  await expect(page.getByTestId('reference-ready')).toBeVisible();
  const motion = page.getByTestId('motion-picture');
  await expect(
    motion.getByRole('img', { name: 'Extracted motion heat map' }).or(motion.getByText(/no motion guidance/)),
  ).toBeVisible({
    timeout: MODEL_LOAD_MS,
  });
  test.skip((await motion.getByText(/no motion guidance/).count()) > 0, 'the bundled model has no motion guidance');
  await generateOnce(page, 'a green triangle bouncing');
  await expect(page.locator('.clip-facts')).toContainText('reference: good.mp4');
  await page.getByRole('tab', { name: /Gallery/ }).click();
  await expect(
    page
      .getByTestId('gallery-item')
      .filter({ hasText: 'a green triangle bouncing' })
      .getByText('reference', { exact: true }),
  ).toBeVisible();
});

test('export of a generated clip: frames and fps of the model, checked by ffprobe', async ({ page }) => {
  await readyStudio(page);
  await generateOnce(page, 'the word SALE zooming in');
  const facts = page.locator('.player-controls');
  const [, w, h, fps] = ((await facts.textContent()) ?? '').match(/(\d+)×(\d+) · ([\d.]+) fps/) ?? [];
  const frames = Number(((await page.getByText(/^\d+\/\d+$/).textContent()) ?? '').split('/')[1]);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page
      .locator('.clip-facts')
      .getByRole('button', { name: /^Export “/ })
      .click(),
  ]);
  const dir = join(import.meta.dirname, '../test-results/downloads');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `generated-${download.suggestedFilename()}`);
  await download.saveAs(file);
  const probe = JSON.parse(
    execFileSync('ffprobe', [
      '-v',
      'error',
      '-count_frames',
      '-show_entries',
      'stream=codec_name,nb_read_frames,r_frame_rate,width,height',
      '-of',
      'json',
      file,
    ]).toString(),
  );
  const s = probe.streams[0];
  expect(s.codec_name).toBe('h264');
  expect(Number(s.nb_read_frames)).toBe(frames);
  const [num, den] = String(s.r_frame_rate).split('/').map(Number);
  expect(num / den).toBeCloseTo(Number(fps), 3);
  expect(s.width % Number(w)).toBe(0);
  expect(s.height % Number(h)).toBe(0);
});

test('a reload mid-run loses only that run, and says so', async ({ page }) => {
  await readyStudio(page);
  await seedGallery(page, sweepClips(2));
  await page.reload();
  await expect(page.getByTestId('model-chip')).toHaveText(/· (WebGPU|WASM)$/, { timeout: MODEL_LOAD_MS });
  await page.getByRole('textbox', { name: 'Prompt' }).fill('a purple star moving left');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('progressbar', { name: 'Generation progress' })).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('notice').filter({ hasText: /was interrupted when the page closed/ })).toBeVisible();
  await page.getByRole('tab', { name: /Gallery/ }).click();
  await expect(page.getByTestId('gallery-item').filter({ hasText: 'a red square moving right' })).toHaveCount(2);
});

test('storage full: the new clip is kept on screen with a Save button, saved clips are untouched', async ({ page }) => {
  await readyStudio(page);
  await seedGallery(page, sweepClips(2));
  await page.reload();
  await expect(page.getByTestId('model-chip')).toHaveText(/· (WebGPU|WASM)$/, { timeout: MODEL_LOAD_MS });
  const cdp = await page.context().newCDPSession(page);
  const origin = new URL(page.url()).origin;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 1 });
  await generateOnce(page, 'a white circle moving down');
  await expect(page.getByTestId('notice').filter({ hasText: /Browser storage is full/ })).toBeVisible();
  await page.getByRole('tab', { name: /Gallery/ }).click();
  await expect(page.getByTestId('gallery-item').filter({ hasText: 'a white circle moving down' })).toContainText(
    'not saved',
  );
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  await page.reload();
  await page.getByRole('tab', { name: /Gallery/ }).click();
  await expect(page.getByTestId('gallery-item').filter({ hasText: 'a red square moving right' })).toHaveCount(2);
});
