/**
 * Gallery, player, compare and export on clips stored the way the studio stores them (seeded into
 * IndexedDB: no model package can make clips on this machine yet). Encoding, decoding, storage and
 * the browser are all real; the downloaded files are checked with ffprobe.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { seedGallery, sweepClips } from './fixtures/gallery';

const OUT = join(import.meta.dirname, '../test-results/downloads');

async function openGallery(page: Page) {
  await page.getByRole('tab', { name: /Gallery/ }).click();
  await expect(page.getByRole('tabpanel', { name: /Gallery/ })).toBeVisible();
}

test.beforeEach(async ({ page }) => {
  await page.goto('/?model=micro');
  await seedGallery(page, sweepClips(3));
  await page.reload();
});

test('saved clips survive reloads, show what made them, and can be deleted', async ({ page }) => {
  await openGallery(page);
  const cards = page.getByTestId('gallery-item');
  await expect(cards).toHaveCount(3);
  // Newest first, with prompt, settings, model, backend, scores and time taken.
  await expect(cards.first()).toContainText('a red square moving right');
  await expect(cards.first()).toContainText('4 steps · w 10 · motion 0.5 · seed 42');
  await expect(cards.first()).toContainText(/Fixture model · WASM · 1\.4 s/);
  await expect(cards.first()).toContainText('Text-video alignment 0.4');
  await expect(cards.nth(1).getByText('reference', { exact: true })).toBeVisible();
  // Posters are the clips' first frames.
  const poster = cards.first().locator('img.poster');
  await expect(poster).toHaveJSProperty('naturalWidth', 64);

  page.once('dialog', (d) => d.accept());
  await cards
    .nth(2)
    .getByRole('button', { name: /^Delete/ })
    .click();
  await expect(cards).toHaveCount(2);
  await page.reload();
  await openGallery(page);
  await expect(page.getByTestId('gallery-item')).toHaveCount(2);
});

test('the player loops at the clip fps, pauses, scrubs, and scales crisply', async ({ page }) => {
  await openGallery(page);
  await page
    .getByRole('button', { name: /Open “a red square moving right” in the player/ })
    .first()
    .click();
  const player = page.getByRole('tabpanel', { name: 'Create' });
  const canvas = player.getByRole('img', { name: 'Clip: a red square moving right' });
  await expect(canvas).toBeVisible();
  // Native 64x64 pixels shown at a whole-number scale with no smoothing.
  const look = await canvas.evaluate((c: HTMLCanvasElement) => ({
    w: c.width,
    css: c.getBoundingClientRect().width,
    rendering: getComputedStyle(c).imageRendering,
  }));
  expect(look.w).toBe(64);
  expect(look.css % 64).toBe(0);
  expect(look.css / 64).toBeGreaterThanOrEqual(4);
  expect(look.rendering).toBe('pixelated');

  // It plays at 8 frames per second. The clock is wall time, so a busy machine makes the page show
  // fewer frames but never slower ones. Sampled in the page: between the first and the last frame
  // change seen, the frames advanced (mod 16) must match 8 x the time between those changes, each
  // change known to within the gap between two samples (a stall widens the bounds, never breaks them).
  const scrubber = player.getByRole('slider', { name: 'Frame' });
  const readFrame = async () => Number(await scrubber.inputValue());
  const run = await scrubber.evaluate(async (el: HTMLInputElement) => {
    const samples: [number, number][] = [];
    const t0 = performance.now();
    while (performance.now() - t0 < 2000) {
      samples.push([performance.now(), Number(el.value)]);
      await new Promise((r) => setTimeout(r, 20));
    }
    const changes = samples.map((_, i) => i).filter((i) => i > 0 && samples[i][1] !== samples[i - 1][1]);
    const [a, b] = [changes[0], changes[changes.length - 1]];
    let advanced = 0;
    let longestGapMs = 0;
    for (let i = 1; i < samples.length; i++) {
      longestGapMs = Math.max(longestGapMs, samples[i][0] - samples[i - 1][0]);
      if (i > a && i <= b) advanced += (samples[i][1] - samples[i - 1][1] + 16) % 16;
    }
    const fastest = (8 * (samples[b][0] - samples[a - 1][0])) / 1000 + 1;
    const slowest = (8 * (samples[b - 1][0] - samples[a][0])) / 1000 - 1;
    return { changes: changes.length, advanced, slowest, fastest, longestGapMs };
  });
  expect(run.longestGapMs, 'a gap of 2 s (a whole loop) would hide how far the clip went').toBeLessThan(1900);
  expect(run.changes, JSON.stringify(run)).toBeGreaterThanOrEqual(3);
  expect(run.advanced, JSON.stringify(run)).toBeGreaterThanOrEqual(run.slowest);
  expect(run.advanced, JSON.stringify(run)).toBeLessThanOrEqual(run.fastest);

  await player.getByRole('button', { name: 'Pause' }).click();
  const paused = await readFrame();
  await page.waitForTimeout(400);
  expect(await readFrame()).toBe(paused);

  await scrubber.fill('10');
  await expect(player.getByText('11/16')).toBeVisible();
  // Frame 10 shows the square 30 pixels right of where frame 0 has it.
  const red = await canvas.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 32, 64, 1).data;
    for (let x = 0; x < 64; x++) if (d[x * 4] === 230) return x;
    return -1;
  });
  expect(red).toBe(34);
  await expect(player.getByRole('button', { name: 'Play' })).toBeVisible();
});

test('compare: picked clips side by side with labelled, ranked, explained scores', async ({ page }) => {
  await openGallery(page);
  for (const w of ['w 5', 'w 7.5', 'w 10']) {
    const card = page.getByTestId('gallery-item').filter({ hasText: `4 steps · ${w} ·` });
    await card.getByRole('button', { name: /^Add to compare/ }).click();
  }
  await page.getByRole('tab', { name: /Compare/ }).click();
  const cards = page.getByRole('article', { name: /^Compared clip/ });
  await expect(cards).toHaveCount(3);
  // All three play in step: the same frame in each.
  await expect(page.getByRole('img', { name: 'Clip: a red square moving right' })).toHaveCount(3);
  // Every score is labelled, with its number; the best per score is starred.
  const first = cards.first();
  for (const label of ['Text-video alignment', 'Visual quality', 'Flicker'])
    await expect(first.getByRole('button', { name: new RegExp(`^${label}`) })).toBeVisible();
  // Seeded values: alignment rises with w, quality falls with w, flicker (lower is better) is
  // 0.03, 0.04, 0.02; so w 5 is best on quality, w 10 on alignment and flicker, w 7.5 on none.
  const bestOf = (i: number) => cards.nth(i).locator('.score-bar.best .score-label');
  await expect(bestOf(0)).toHaveText(['Visual quality↑']);
  await expect(bestOf(1)).toHaveCount(0);
  await expect(bestOf(2)).toHaveText(['Text-video alignment↑', 'Flicker↓']);
  await expect(cards.nth(2).locator('.score-bar.best .bar-value').first()).toContainText('0.4');

  // Explanation on focus, for keyboard users.
  const label = first.getByRole('button', { name: /^Flicker/ });
  await label.focus();
  const tip = first.getByRole('tooltip').filter({ hasText: 'jitter between frames' });
  await expect(tip).toBeVisible();
  await expect(tip).toContainText('Lower is better.');

  // Sorting by a score puts its best clip first.
  await page.getByLabel('Sort by').selectOption({ label: 'Visual quality' });
  await expect(cards.first()).toContainText('w 5');
  await page.getByLabel('Sort by').selectOption({ label: 'Text-video alignment' });
  await expect(cards.first()).toContainText('w 10');
  // The setting that differs is highlighted; the clip made with a reference says so.
  await expect(cards.first().locator('strong')).toHaveText('w 10');
  await expect(page.getByRole('article', { name: /^Compared clip/ }).filter({ hasText: 'w 7.5' })).toContainText(
    'reference',
  );
});

for (const format of ['mp4', 'webm'] as const) {
  test(`export ${format.toUpperCase()}: a valid file at the clip fps, upscaled, named from the prompt`, async ({
    page,
  }) => {
    await openGallery(page);
    const card = page.getByTestId('gallery-item').filter({ hasText: 'w 10 ·' });
    await card.getByRole('combobox', { name: /^Export size/ }).selectOption('4');
    await card.getByRole('combobox', { name: /^Export format/ }).selectOption(format);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      card.getByRole('button', { name: /^Export “/ }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`a-red-square-moving-right-s42.${format}`);
    mkdirSync(OUT, { recursive: true });
    const file = join(OUT, download.suggestedFilename());
    await download.saveAs(file);
    const probe = JSON.parse(
      execFileSync('ffprobe', [
        '-v',
        'error',
        '-count_frames',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=codec_name,width,height,avg_frame_rate,r_frame_rate,nb_read_frames:format=duration,format_name',
        '-of',
        'json',
        file,
      ]).toString(),
    );
    const stream = probe.streams[0];
    expect(stream.codec_name).toBe(format === 'mp4' ? 'h264' : 'vp9');
    expect(stream.width).toBe(256);
    expect(stream.height).toBe(256);
    expect(Number(stream.nb_read_frames)).toBe(16);
    expect(stream.r_frame_rate).toBe('8/1');
    expect(Number(probe.format.duration)).toBeCloseTo(2, 2);
    if (format === 'mp4') {
      // Fast start: the moov index precedes the media data.
      const head = execFileSync('head', ['-c', '4096', file]).toString('latin1');
      expect(head.indexOf('moov')).toBeGreaterThan(-1);
      expect(head.indexOf('moov')).toBeLessThan(Math.max(head.indexOf('mdat'), 4096));
    }
    await expect(
      page.getByTestId('notice').filter({ hasText: `Exported ${download.suggestedFilename()}` }),
    ).toBeVisible();
  });
}
