/**
 * The README's pictures of the studio at 1280x720, made from the real app and engine with the
 * first bundled package (the demo once it ships, else micro). Not part of the regular run:
 *   UPDATE_SCREENSHOTS=1 npx playwright test e2e/studio-screenshots.spec.ts
 * writes docs/images/studio-*.png (each kept under 300 kB).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import { generateOnce, MODEL_LOAD_MS } from './fixtures/studio';
import { fixture } from './fixtures/videos';

const OUT = join(import.meta.dirname, '../docs/images');
const MAX_BYTES = 300_000;

test.skip(!process.env.UPDATE_SCREENSHOTS, 'refreshes docs/images; run with UPDATE_SCREENSHOTS=1');
test.describe.configure({ timeout: 900_000 });

async function shoot(page: Page, name: string): Promise<void> {
  // Notices are transient; they would cover the view.
  for (const dismiss of await page.getByRole('button', { name: 'Dismiss notice' }).all()) await dismiss.click();
  await page.mouse.move(0, 719);
  const file = join(OUT, `studio-${name}.png`);
  await page.screenshot({ path: file, animations: 'disabled' });
  expect(statSync(file).size, `${file} size`).toBeLessThan(MAX_BYTES);
}

test('screenshots: create, compare, reference, gallery, model', async ({ page }) => {
  await page.goto('/');
  const index = await page.evaluate(async () => (await fetch('/models/index.json')).json());
  const model: string = index.packages[0];
  await page.goto(`/?model=${model}&seed=42`);
  await expect(page.getByTestId('model-chip')).toHaveText(/ · (WebGPU|WASM)$/, { timeout: MODEL_LOAD_MS });

  // Compare: a sweep of the guidance scale w at one seed, with the reward scores.
  await page.getByRole('textbox', { name: 'Prompt' }).fill('a yellow star spinning on a blue gradient');
  await page.getByRole('tab', { name: /Compare/ }).click();
  await page.getByLabel('Vary').selectOption({ label: 'Guidance scale w' });
  await page.getByLabel('Clips').selectOption('3');
  await page.getByRole('button', { name: 'Run sweep' }).click();
  await expect(page.getByRole('article', { name: /^Compared clip/ })).toHaveCount(3, { timeout: 3 * MODEL_LOAD_MS });

  // Create: the latest clip in the player.
  await generateOnce(page, 'a red circle moving right');
  await generateOnce(page, 'the word SALE zooming in, white on purple');
  await page.getByRole('tab', { name: /Compare/ }).click();
  await shoot(page, 'compare');

  // Reference: a video, its window and the extracted motion, next to the clip.
  await page.getByRole('tab', { name: 'Create' }).click();
  await page.locator('#reference-file').setInputFiles(fixture('good.mp4'));
  const motion = page.getByTestId('motion-picture').getByRole('img', { name: 'Extracted motion heat map' });
  await expect(motion).toBeVisible({ timeout: MODEL_LOAD_MS });
  await shoot(page, 'create');
  await motion.scrollIntoViewIfNeeded();
  await shoot(page, 'reference');

  await page.getByRole('tab', { name: /Gallery/ }).click();
  await shoot(page, 'gallery');
  await page.getByRole('tab', { name: 'Model' }).click();
  await expect(page.getByRole('button', { name: /^Remove .* from cache$/ })).toBeVisible();
  await shoot(page, 'model');
});
