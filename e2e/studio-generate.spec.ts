/**
 * The flows that need a generated clip, on the real engine with the micro package (`?model=micro`):
 * generate, cancel, sweep + compare, guided generation, persistence across reload, export of a
 * generated clip, a reload mid-run, storage full. The micro model makes a clip in well under a
 * second on WASM, so the runs a test must catch in flight (cancel, reload) are slowed with the
 * engine's test hook (a pause before each denoising step); the engine itself runs unchanged.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import {
  engineTesting,
  exportShownClip,
  galleryCount,
  generateOnce,
  MODEL_LOAD_MS,
  openStudio,
  waitForIndexedDbQuota,
  waitForModel,
  withSavedClips,
} from './fixtures/studio';
import { fixture } from './fixtures/videos';

test.describe.configure({ timeout: 400_000 });

test('generate: progress with steps, then a clip in the player and the gallery that survives a reload', async ({
  page,
}) => {
  await openStudio(page);
  await page.getByRole('textbox', { name: 'Prompt' }).fill('a red circle moving right');
  await page.getByRole('spinbutton', { name: 'Seed' }).fill('42');
  // 42 is also the starting seed, so filling it changes nothing; locking is what keeps it.
  await page.getByRole('checkbox', { name: 'Lock seed' }).check();
  await engineTesting(page, { stepDelayMs: 300 }); // long enough to see the progress bar count steps
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
  await expect(card).toContainText(/Micro test model · WASM/);
  // The stored frames come back: the poster is the clip's first frame at the model's size.
  await expect(card.locator('img.poster')).toHaveJSProperty('naturalWidth', 16);
});

test('cancel stops the run within a step and keeps the gallery as it was', async ({ page }) => {
  await openStudio(page);
  await page.getByRole('tab', { name: /Gallery/ }).click();
  const before = await page.getByTestId('gallery-item').count();
  await page.getByRole('tab', { name: 'Create' }).click();
  await page.getByRole('textbox', { name: 'Prompt' }).fill('a blue square moving up');
  await page.getByRole('combobox', { name: 'Steps' }).selectOption('8');
  await engineTesting(page, { stepDelayMs: 1500 }); // 8 steps: at least 12 s in flight
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByText(/Denoising: step 1 of 8/)).toBeVisible({ timeout: MODEL_LOAD_MS });
  await page.getByRole('button', { name: 'Cancel' }).click();
  const cancelledAt = Date.now();
  await expect(page.getByTestId('notice').filter({ hasText: 'Generation was cancelled.' })).toBeVisible({
    timeout: 60_000,
  });
  // Within one step (1.5 s of pause plus the step itself), not at the end of the run.
  expect(Date.now() - cancelledAt).toBeLessThan(8_000);
  await expect(page.getByRole('progressbar', { name: 'Generation progress' })).toHaveCount(0);
  await page.getByRole('tab', { name: /Gallery/ }).click();
  await expect(page.getByTestId('gallery-item')).toHaveCount(before);
});

test('sweep w at a fixed seed: clips side by side with the model reward scores', async ({ page }) => {
  await openStudio(page);
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
  await openStudio(page);
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

test('export of a clip from the shipped demo model: codec, frames, fps and duration, checked by ffprobe', async ({
  page,
}) => {
  await openStudio(page, 'demo'); // what a user gets from `npm start`
  // Ctrl+Enter from the prompt box generates, like the button.
  await page.getByRole('textbox', { name: 'Prompt' }).fill('the word SALE zooming in');
  await page.getByRole('textbox', { name: 'Prompt' }).press('Control+Enter');
  await expect.poll(() => galleryCount(page), { timeout: MODEL_LOAD_MS }).toBe(1);
  await expect(page.getByRole('img', { name: 'Clip: the word SALE zooming in' })).toBeVisible();
  const size = page.locator('.player-controls').getByTitle(/^Display scale/);
  const [, w, h, fps] = ((await size.textContent()) ?? '').match(/^(\d+)×(\d+) · ([\d.]+) fps/) ?? [];
  const frames = Number(((await page.getByText(/^\d+\/\d+$/).textContent()) ?? '').split('/')[1]);
  expect([Number(w), Number(h), Number(fps), frames]).toEqual([64, 64, 8, 16]); // the demo model's clip
  const download = await exportShownClip(page);
  expect(download.suggestedFilename()).toMatch(/^the-word-sale-zooming-in-s\d+\.mp4$/);
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
      'stream=codec_name,nb_read_frames,r_frame_rate,width,height:format=duration',
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
  expect(Number(probe.format.duration)).toBeCloseTo(frames / Number(fps), 2);
  // An integer upscale of the model's frames (the default export size), even for H.264.
  expect(s.width % Number(w)).toBe(0);
  expect(s.height % Number(h)).toBe(0);
  expect(s.width / Number(w)).toBeGreaterThan(1);
  expect(s.width % 2).toBe(0);
});

test('a reload mid-run loses only that run, and says so', async ({ page }) => {
  await withSavedClips(page);
  await openStudio(page);
  await engineTesting(page, { stepDelayMs: 2000 });
  await page.getByRole('textbox', { name: 'Prompt' }).fill('a purple star moving left');
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('progressbar', { name: 'Generation progress' })).toBeVisible();
  await page.reload();
  const notice = page.getByTestId('notice').filter({ hasText: /was interrupted when the page closed/ });
  await expect(notice).toContainText('"a purple star moving left"');
  await page.getByRole('tab', { name: /Gallery/ }).click();
  await expect(page.getByTestId('gallery-item').filter({ hasText: 'a red square moving right' })).toHaveCount(2);
  await expect(page.getByTestId('gallery-item').filter({ hasText: 'a purple star moving left' })).toHaveCount(0);
  // "Run it again" re-makes the interrupted clip with its settings.
  await waitForModel(page);
  await notice.getByRole('button', { name: 'Run it again' }).click();
  await expect(page.getByTestId('gallery-item').filter({ hasText: 'a purple star moving left' })).toHaveCount(1, {
    timeout: MODEL_LOAD_MS,
  });
});

test('storage full: the new clip is kept on screen with a Save button, saved clips are untouched', async ({ page }) => {
  await withSavedClips(page);
  await openStudio(page);
  const cdp = await page.context().newCDPSession(page);
  const origin = new URL(page.url()).origin;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 1 });
  await waitForIndexedDbQuota(page, true);
  await generateOnce(page, 'a white circle moving down');
  await expect(page.getByTestId('notice').filter({ hasText: /^Browser storage is full, so this clip/ })).toBeVisible();
  await page.getByRole('tab', { name: /Gallery/ }).click();
  const fresh = page.getByTestId('gallery-item').filter({ hasText: 'a white circle moving down' });
  await expect(fresh).toContainText('not saved');
  await expect(page.getByTestId('gallery-item').filter({ hasText: 'a red square moving right' })).toHaveCount(2);

  // Space again (as after deleting clips): Save stores the clip, and everything survives a reload.
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  await waitForIndexedDbQuota(page, false);
  await fresh.getByRole('button', { name: /^Save “/ }).click();
  await expect(fresh).not.toContainText('not saved');
  await page.reload();
  await page.getByRole('tab', { name: /Gallery/ }).click();
  await expect(page.getByTestId('gallery-item').filter({ hasText: 'a red square moving right' })).toHaveCount(2);
  await expect(page.getByTestId('gallery-item').filter({ hasText: 'a white circle moving down' })).toHaveCount(1);
});
