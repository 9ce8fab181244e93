/**
 * Offline use and privacy, in the production build with its service worker (vite-plugin-pwa):
 * - after one visit the studio loads and generates with the network off (Playwright offline mode
 *   and a reload): app shell and onnxruntime from the service worker's precache, the model files
 *   from the engine's own Cache Storage, checked against the manifest's sha256 before use;
 * - it is installable (a web app manifest, an active service worker controlling the page);
 * - a whole session (load, generate, reference upload, export) sends no request to another origin,
 *   and the Content-Security-Policy would refuse one.
 */
import { expect, type Request, test } from '@playwright/test';
import { CACHE_NAME } from '../app/engine/loader/cache';
import { exportShownClip, generateOnce, MODEL_LOAD_MS, openStudio, waitForModel } from './fixtures/studio';
import { fixture } from './fixtures/videos';

test.describe.configure({ timeout: 400_000 });

test('after one visit the studio is installable, and loads and generates with the network off', async ({
  page,
  context,
}) => {
  await openStudio(page);
  // The service worker is active and controls this first visit (clientsClaim), with its precache in place.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller?.state)).toBe('activated');
  const manifestHref = await page.locator('link[rel="manifest"]').getAttribute('href');
  expect(manifestHref).toBe('/manifest.webmanifest');
  const webManifest = await page.evaluate(async (href) => (await fetch(href)).json(), manifestHref as string);
  expect(webManifest).toMatchObject({ name: 'Turbo Studio', display: 'standalone', start_url: '/' });
  expect(webManifest.icons.length).toBeGreaterThan(0);

  // The engine stored the model itself: every file as sha256-keyed chunks, plus the manifest.
  const cached = await page.evaluate(
    async (name) => (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname + new URL(r.url).hash),
    CACHE_NAME,
  );
  expect(cached).toContain('/models/micro/manifest.json#cached');
  expect(cached.some((k) => /^\/models\/micro\/unet\.fp32\.onnx#sha256=[0-9a-f]{64}&chunk=0$/.test(k))).toBe(true);
  // Storage is shown with its quota, and persistence was asked for (the browser decides; the panel says which).
  await page.getByRole('tab', { name: 'Model' }).click();
  await expect(page.getByTestId('storage-usage')).toHaveText(/^Using \S+ \S+ of \S+ [kMGT]?B/);
  const persisted = await page.evaluate(() => navigator.storage.persisted());
  await expect(page.getByText(persisted ? /^Storage is persistent/ : /^Storage is not persistent yet/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Remove Micro test model from cache' })).toBeVisible();

  await context.setOffline(true);
  expect(
    await page.evaluate(() =>
      fetch('/models/micro/unet.fp32.onnx').then(
        () => 'reached the network',
        () => 'offline',
      ),
    ),
  ).toBe('offline');
  await page.reload();
  await waitForModel(page);
  await page.getByRole('tab', { name: 'Create' }).click();
  await generateOnce(page, 'a red circle moving right');
  await expect(page.getByRole('img', { name: 'Clip: a red circle moving right' })).toBeVisible();
  await expect(page.getByTestId('notice').filter({ hasText: /could not|failed|unusable/ })).toHaveCount(0);
});

test('a full session sends nothing to another origin, and the CSP forbids it', async ({ page, context }) => {
  // Every request of the page, its workers (the engine's, onnxruntime's threads) and the service worker.
  const requests: { url: string; from: string }[] = [];
  context.on('request', (r: Request) =>
    requests.push({ url: r.url(), from: r.serviceWorker() ? 'service worker' : 'page' }),
  );

  // Load, generate (with scores), a reference upload with motion extraction, a guided run, an export.
  await openStudio(page);
  await page.locator('#reference-file').setInputFiles(fixture('good.mp4'));
  await expect(page.getByTestId('motion-picture').getByRole('img', { name: 'Extracted motion heat map' })).toBeVisible({
    timeout: MODEL_LOAD_MS,
  });
  await generateOnce(page, 'a green triangle bouncing');
  await expect(page.locator('.clip-facts')).toContainText('reference: good.mp4');
  const download = await exportShownClip(page);
  expect(download.suggestedFilename()).toMatch(/\.mp4$/);
  // A second load is part of a session. The address bar now carries the prompt (shareable
  // settings), but the service worker answers that navigation itself: it never reaches a server.
  const reload = await page.reload();
  expect(reload?.fromServiceWorker()).toBe(true);
  await waitForModel(page);

  const origin = new URL(page.url()).origin;
  expect(
    requests.some((r) => r.url === `${origin}/models/micro/unet.fp32.onnx`),
    'model files were fetched',
  ).toBe(true);
  expect(
    requests.some((r) => r.from === 'service worker'),
    'the service worker precached the app',
  ).toBe(true);
  const foreign = requests.filter(
    (r) => !['blob:', 'data:'].includes(new URL(r.url).protocol) && new URL(r.url).origin !== origin,
  );
  expect(foreign, `requests to other origins: ${foreign.map((r) => `${r.from} ${r.url}`).join(', ')}`).toEqual([]);
  // Nothing the user made travelled in a URL, except in that locally answered navigation.
  const carrying = requests.filter((r) => /triangle|good\.mp4/.test(decodeURIComponent(r.url)));
  expect(carrying.map((r) => r.url)).toEqual([reload?.url()]);

  // The policy itself: another origin is refused by the browser before any byte leaves.
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(csp).toContain("connect-src 'self'");
  expect(csp).toContain("default-src 'self'");
  const violation = await page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        document.addEventListener('securitypolicyviolation', (e) => resolve(e.violatedDirective), { once: true });
        fetch('https://example.com/collect', { method: 'POST', body: 'prompt' }).catch(() => undefined);
      }),
  );
  expect(violation).toBe('connect-src');
});

test('storage full while caching the model: it still loads, and says it is not kept for offline use', async ({
  page,
  baseURL,
}) => {
  const cdp = await page.context().newCDPSession(page);
  // Full before the first visit (Chromium applies a quota override to storage opened after it).
  const origin = new URL(baseURL as string).origin;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 1 });
  await openStudio(page);
  await expect(
    page.getByTestId('notice').filter({
      hasText: /^Browser storage is full, so \d+ files? of Micro test model could not be kept for offline use/,
    }),
  ).toBeVisible();
  await page.getByRole('tab', { name: 'Model' }).click();
  await expect(page.getByText('No model is cached for offline use yet.')).toBeVisible();
  await generateOnce(page, 'a red circle moving right');
  await expect(
    page.getByTestId('notice').filter({ hasText: /^Browser storage is full, so this clip was not saved/ }),
  ).toBeVisible();
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
});

test.describe('model download', () => {
  // page.route must see the engine worker's file requests.
  test.use({ serviceWorkers: 'block' });

  test('shows progress per file, and an interrupted download resumes without fetching stored files again', async ({
    page,
  }) => {
    const fetched: string[] = [];
    page.context().on('request', (r) => {
      const m = new URL(r.url()).pathname.match(/^\/models\/micro\/(.+)$/);
      if (m) fetched.push(m[1]);
    });
    // The connection drops at the VAE decoder (after a pause), so the other files are stored first.
    await page.route('**/models/micro/vae_decoder.fp32.onnx', async (route) => {
      await new Promise((r) => setTimeout(r, 3000));
      await route.abort('connectionreset');
    });
    await page.goto('/?model=micro');
    await page.getByRole('tab', { name: 'Model' }).click();
    // Graphs are fetched and compiled one by one; record each download line the panel shows.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { progressSeen: string[] }).progressSeen = seen;
      new MutationObserver(() => {
        const status = document.querySelector('[data-testid="model-status"]');
        const line = status?.querySelector('progress') ? (status.textContent ?? '') : '';
        if (line.includes('download: ') && seen.at(-1) !== line) seen.push(line);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await expect(
      page.getByTestId('notice').filter({ hasText: /^Model file "vae_decoder\.fp32\.onnx" could not be fetched/ }),
    ).toBeVisible({ timeout: MODEL_LOAD_MS });
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
    expect(seen.length, 'download progress was shown').toBeGreaterThan(0);
    for (const line of seen) expect(line).toMatch(/download: [\w.]+ — [\d.]+ k?M?B of [\d.]+ k?M?B$/);
    const before = [...fetched];
    expect(before).toContain('unet.fp32.onnx');

    // Connection back: the files stored before the drop come from Cache Storage (checked by sha256 again).
    await page.unroute('**/models/micro/vae_decoder.fp32.onnx');
    fetched.length = 0;
    await page.reload();
    await waitForModel(page);
    const stored = before.filter((f) => f !== 'manifest.json' && f !== 'vae_decoder.fp32.onnx');
    expect(stored.length).toBeGreaterThanOrEqual(3); // vocabulary, text encoder, UNet, shared weights, …
    expect(fetched.filter((f) => stored.includes(f))).toEqual([]);
    expect(fetched).toContain('vae_decoder.fp32.onnx');
  });
});
