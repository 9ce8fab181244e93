import { expect, test } from '@playwright/test';

test('settings in the URL are applied, clamped or ignored with a notice, never a crash', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/?model=micro&prompt=a%20yellow%20star%20spinning&seed=77&w=400&motion=abc&steps=-3&colour=red');

  await expect(page.getByRole('textbox', { name: 'Prompt' })).toHaveValue('a yellow star spinning');
  await expect(page.getByRole('spinbutton', { name: 'Seed' })).toHaveValue('77');
  await expect(page.getByRole('checkbox', { name: 'Lock seed' })).toBeChecked();

  // w=400 is clamped to the slider's maximum, whatever the model's range is.
  const w = page.getByRole('slider', { name: 'Guidance scale w' });
  const wMax = await w.getAttribute('max');
  await expect(w).toHaveValue(String(wMax));
  const notices = page.getByTestId('notice');
  await expect(notices.filter({ hasText: `guidance scale w 400 is outside` })).toContainText(`using ${wMax}`);

  // steps=-3 is clamped to the minimum.
  const steps = page.getByRole('combobox', { name: 'Steps' });
  const minStep = await steps
    .locator('option')
    .evaluateAll((os) => Math.min(...os.map((o) => Number((o as HTMLOptionElement).value))));
  await expect(steps).toHaveValue(String(minStep));
  await expect(notices.filter({ hasText: 'steps -3 is outside' })).toContainText(`using ${minStep}`);

  // motion=abc is ignored: the default stays, and the notice says what a valid value is.
  const motion = page.getByRole('slider', { name: 'Motion strength' });
  await expect(motion).toHaveValue(/^[\d.]+$/);
  await expect(notices.filter({ hasText: `Ignored the URL's motion strength "abc"` })).toBeVisible();
  await expect(notices.filter({ hasText: 'Ignored the unknown URL setting "colour".' })).toBeVisible();

  // The address bar now carries the clean settings, so it can be shared as is.
  await expect.poll(() => new URL(page.url()).searchParams.get('w')).toBe(wMax);
  const url = new URL(page.url());
  expect(url.searchParams.get('seed')).toBe('77');
  expect(url.searchParams.get('motion')).toMatch(/^[\d.]+$/);
  expect(url.searchParams.has('colour')).toBe(false);

  // Reloading the shared URL reproduces the settings without any notice.
  await page.reload();
  await expect(page.getByRole('spinbutton', { name: 'Seed' })).toHaveValue('77');
  await expect(page.getByRole('slider', { name: 'Guidance scale w' })).toHaveValue(String(wMax));
  await expect(page.getByTestId('notice').filter({ hasText: /URL/ })).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('hostile URL values do not break the page', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const long = 'x'.repeat(5000);
  await page.goto(`/?model=micro&prompt=${long}&seed=1e99&w=%00&motion=Infinity&steps=8.5&w=3`);
  await expect(page.getByRole('textbox', { name: 'Prompt' })).toHaveValue('x'.repeat(1000));
  await expect(page.getByTestId('notice').filter({ hasText: 'cut to 1000 characters' })).toBeVisible();
  await expect(page.getByTestId('notice').filter({ hasText: /seed "1e99"/ })).toBeVisible();
  await expect(page.getByTestId('notice').filter({ hasText: /more than once/ })).toBeVisible();
  expect(errors).toEqual([]);
});

test('?model= picks the bundled package; an unknown one falls back to the first with a notice', async ({ page }) => {
  await page.goto('/?model=micro&steps=8');
  await expect(page.getByTestId('model-chip')).toHaveText(/^(Loading model…|Micro test model · (WebGPU|WASM))$/);
  await page.getByRole('tab', { name: 'Model' }).click();
  await expect(page.getByTestId('model-status')).toContainText('Micro test model');
  await expect.poll(() => new URL(page.url()).searchParams.get('model')).toBe('micro');
  expect(new URL(page.url()).searchParams.get('steps')).toBe('8');

  await page.goto('/?model=..%2Fsecret&w=9');
  await expect(
    page
      .getByTestId('notice')
      .locator('p')
      .filter({
        hasText:
          /^Ignored the URL's model "\.\.\/secret": this build bundles [a-z0-9., -]*\bmicro\b[a-z0-9., -]*\. Loading [a-z0-9._-]+ instead\.$/,
      }),
  ).toBeVisible();
  // The address bar now names the package that is really loading, so the link can be shared as is.
  await expect.poll(() => new URL(page.url()).searchParams.get('model')).toMatch(/^[a-z0-9][a-z0-9._-]*$/);
  expect(new URL(page.url()).searchParams.get('w')).toBe('9');
});
