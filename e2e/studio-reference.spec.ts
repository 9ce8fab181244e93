import { readFileSync } from 'node:fs';
import { expect, type Page, test } from '@playwright/test';
import { seedGallery, sweepClips } from './fixtures/gallery';
import { waitForModel } from './fixtures/studio';
import { type FixtureName, fixture } from './fixtures/videos';

/**
 * The micro package (4 frames at 8 fps) sets the panel's limits, so the default window is 0.5 s:
 * what a reference must hold depends on the model, and pinning it keeps these tests exact.
 */
const STUDIO = '/?model=micro';

/** Picks a file in the reference panel the way the "Choose reference video" button does. */
async function pick(page: Page, name: FixtureName) {
  await page.locator('#reference-file').setInputFiles(fixture(name));
}

/** Holds every request matching `url` until `release()`, which first waits until one of them was made. */
async function hold(page: Page, url: string): Promise<{ release(): Promise<void> }> {
  let open: () => void = () => {};
  const released = new Promise<void>((r) => {
    open = r;
  });
  let seen: () => void = () => {};
  const requested = new Promise<void>((r) => {
    seen = r;
  });
  await page.route(url, async (route) => {
    seen();
    await released;
    await route.continue();
  });
  return {
    release: async () => {
      await requested;
      open();
    },
  };
}

const BAD_FILES: [FixtureName, RegExp][] = [
  ['empty.mp4', /^empty\.mp4: This file is empty \(0 bytes\)\. Choose a video file\.$/],
  ['too-large.mp4', /This file is 201 MB; reference videos can be at most 200 MB\./],
  ['not-a-video.mp4', /This is not a video file the browser can read\. Choose an MP4, WebM or MOV video\./],
  ['truncated.mp4', /This video file is damaged or truncated: its header could not be read\./],
  [
    'truncated-faststart.mp4',
    /The video (could not be decoded at [\d.]+ s|ended after \d+ of \d+ frames): the file is truncated or damaged/,
  ],
  [
    'prores.mov',
    /uses the .* codec, which this browser cannot decode\. Re-encode it as H\.264 \(MP4\) or VP9 \(WebM\)\./,
  ],
  ['too-long.mp4', /This video is 61\.0 s long; reference videos can be at most 60 s\./],
  ['too-big-frames.mp4', /This video is 4096×2304; reference videos can be at most 3840×2160\./],
  ['too-short.mp4', /This video has only 3 frames; the model needs at least \d+\./],
];

/** Moves the window's end to the end of the video, as a keyboard user would. */
async function reachEnd(page: Page) {
  await expect(page.getByTestId('reference-ready')).toBeVisible();
  await page.getByLabel('Window end (s)').focus();
  await page.keyboard.press('End');
}

test.describe('reference video', () => {
  test('each bad file gets its own clear message and the gallery stays intact', async ({ page }) => {
    await page.goto(STUDIO);
    await seedGallery(page, sweepClips(2));
    await page.reload();
    await expect(page.getByRole('tab', { name: /Gallery/ })).toContainText('2');

    for (const [name, message] of BAD_FILES) {
      await test.step(name, async () => {
        await pick(page, name);
        // Its first 0.5 s are intact: the damage shows once the window reaches the missing part.
        if (name === 'truncated-faststart.mp4') await reachEnd(page);
        const error = page.getByTestId('reference-error');
        await expect(error).toBeVisible();
        await expect(error).toHaveText(message);
        await expect(error).toContainText(name);
        await expect(page.getByTestId('reference-ready')).toHaveCount(0);
      });
    }

    // Nothing saved was touched, in this session or after a reload.
    await page.getByRole('tab', { name: /Gallery/ }).click();
    await expect(page.getByTestId('gallery-item')).toHaveCount(2);
    await page.reload();
    await page.getByRole('tab', { name: /Gallery/ }).click();
    await expect(page.getByTestId('gallery-item')).toHaveCount(2);
  });

  for (const name of ['good.mp4', 'good.webm'] as const) {
    test(`a good ${name.split('.')[1].toUpperCase()} decodes, previews, and can be removed`, async ({ page }) => {
      await page.goto(STUDIO);
      await pick(page, name);
      const ready = page.getByTestId('reference-ready');
      await expect(ready).toBeVisible();
      await expect(ready).toContainText(name);
      await expect(ready).toContainText(/320×240 · 2\.0 s · 24 fps/);
      // The preview shows the frames the model would get, and they move.
      const preview = page.getByTestId('reference-preview').getByRole('img');
      await expect(preview).toBeVisible();
      // By default the window spans the clip's own duration (4 frames at 8 fps).
      const windowText = page.getByTestId('reference-window-text');
      await expect(windowText).toHaveText(/^4 frames from 0\.00 s to 0\.50 s$/);
      // Moving the end lengthens the window; frames are decoded again from the new span.
      await reachEnd(page);
      await expect(windowText).toHaveText(/^4 frames from 0\.00 s to 2\.00 s$/);
      await expect(ready).toBeVisible();
      const frames = await page.evaluate(async () => {
        const canvas = document.querySelector('[data-testid="reference-preview"] canvas') as HTMLCanvasElement;
        const grab = () => canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data.join(',');
        const seen = new Set<string | undefined>();
        for (let i = 0; i < 8; i++) {
          seen.add(grab());
          await new Promise((r) => setTimeout(r, 90));
        }
        return { distinct: seen.size, w: canvas.width, h: canvas.height };
      });
      expect(frames.w).toBe(256); // decoded at 256 px on the long side
      expect(frames.h).toBe(192);
      expect(frames.distinct).toBeGreaterThan(1);

      // The motion picture needs the engine; until then the panel says why it is missing.
      await expect(page.getByTestId('motion-picture')).toContainText(/Extracted motion/);

      await page.getByRole('button', { name: 'Remove reference' }).click();
      await expect(ready).toHaveCount(0);
      await expect(page.getByRole('button', { name: 'Choose reference video' })).toBeVisible();
    });
  }

  test.describe('before the model has loaded', () => {
    // page.route must see the engine worker's requests, which the service worker would otherwise handle.
    test.use({ serviceWorkers: 'block' });

    test('a reference picked before the model is known follows its manifest at once, then extracts once it loads', async ({
      page,
    }) => {
      // The micro manifest is held back, so the pick sees the defaults (16 frames: a 2 s window), as on a
      // slow connection; its UNet is held too, so the model is still loading when the manifest (4 frames,
      // a 0.5 s window) arrives. The panel must follow the manifest then, not once the model has loaded.
      const manifest = await hold(page, '**/models/micro/manifest.json');
      const unet = await hold(page, '**/models/micro/unet.fp32.onnx');
      await page.goto(STUDIO);
      await pick(page, 'good.mp4');
      const windowText = page.getByTestId('reference-window-text');
      await expect(windowText).toHaveText(/^16 frames from 0\.00 s to 2\.00 s$/);
      await manifest.release();
      await expect(windowText).toHaveText(/^4 frames from 0\.00 s to 0\.50 s$/);
      await expect(page.getByTestId('motion-picture')).toContainText('Shown once a model is loaded.');
      await expect(page.getByTestId('model-chip')).toHaveText('Loading model…');
      await unet.release();
      await waitForModel(page);
      await expect(page.getByTestId('reference-ready')).toBeVisible();
      await expect(page.getByTestId('motion-picture').getByLabel('Extracted motion heat map')).toBeVisible();
      await expect(windowText).toHaveText(/^4 frames from 0\.00 s to 0\.50 s$/);
    });
  });

  test('a video dropped on the panel is taken like a chosen one', async ({ page }) => {
    await page.goto(STUDIO);
    const bytes = [...readFileSync(fixture('good.mp4'))];
    const drop = await page.evaluateHandle((data) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], 'dropped.mp4', { type: 'video/mp4' }));
      return dt;
    }, bytes);
    const zone = page.getByTestId('reference-drop');
    await zone.dispatchEvent('dragover', { dataTransfer: drop });
    await expect(zone).toHaveClass(/dragging/);
    await zone.dispatchEvent('drop', { dataTransfer: drop });
    await expect(page.getByTestId('reference-ready')).toContainText('dropped.mp4');
  });
});
