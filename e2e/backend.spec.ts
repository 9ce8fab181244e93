import { expect, test } from '@playwright/test';

test('the studio opens and says which backend runs', async ({ page }) => {
  await page.goto('/?model=micro');
  await expect(page.getByRole('heading', { name: 'Turbo Studio' })).toBeVisible();
  const notice = page.getByTestId('backend-notice');
  await expect(notice).not.toHaveText('Checking WebGPU…');
  const hasAdapter = await page.evaluate(async () => Boolean(await navigator.gpu?.requestAdapter()));
  // The notice must agree with what the browser really offers.
  await expect(notice).toHaveText(hasAdapter ? /^WebGPU on / : /^No WebGPU .* using WASM/);
  const isolated = await page.evaluate(() => crossOriginIsolated);
  expect(isolated, 'COOP/COEP headers make the page cross-origin isolated (wasm threads)').toBe(true);
});
