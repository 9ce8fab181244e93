import { expect, type Page, test } from '@playwright/test';
import { seedGallery, sweepClips } from './fixtures/gallery';
import { MODEL_LOAD_MS } from './fixtures/studio';

const VIEWS = ['Create', 'Compare', 'Gallery', 'Model'] as const;

/** Every visible form control in the open view has an accessible name. */
async function expectLabelled(page: Page) {
  const controls = page.locator('main [role="tabpanel"]:not([hidden])').locator('button, input, select, textarea');
  const n = await controls.count();
  expect(n).toBeGreaterThan(0);
  for (let i = 0; i < n; i++) {
    const c = controls.nth(i);
    if (!(await c.isVisible())) continue;
    await expect(c, `control ${i}: ${await c.evaluate((e) => e.outerHTML.slice(0, 120))}`).toHaveAccessibleName(/\S/);
  }
}

test('at 1280x720 the studio shows its main controls, labelled, without sideways scrolling', async ({ page }) => {
  await page.goto('/');
  await seedGallery(page, sweepClips(2));
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Turbo Studio' })).toBeVisible();
  for (const name of VIEWS) await expect(page.getByRole('tab', { name: new RegExp(`^${name}`) })).toBeVisible();
  // The create view's essentials are on screen without scrolling.
  for (const control of [
    page.getByRole('textbox', { name: 'Prompt' }),
    page.getByRole('button', { name: 'Generate' }),
    page.getByRole('button', { name: 'Cancel' }),
    page.getByRole('combobox', { name: 'Steps' }),
    page.getByRole('slider', { name: 'Guidance scale w' }),
  ])
    await expect(control).toBeInViewport();
  // Either a model is in use or the studio says plainly that none is.
  await expect(page.getByTestId('model-chip')).toHaveText(
    /Model not loaded|Loading model…|Model failed to load|· (WebGPU|WASM)$/,
  );

  // The views as a user sees them once the default model is in use (and cached, listed in Model).
  await expect(page.getByTestId('model-chip')).toHaveText(/· (WebGPU|WASM)$/, { timeout: MODEL_LOAD_MS });
  for (const name of VIEWS) {
    await page.getByRole('tab', { name: new RegExp(`^${name}`) }).click();
    await expect(page.getByRole('tabpanel', { name })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${name} view scrolls sideways`).toBeLessThanOrEqual(0);
    // Nor does anything stick out of its panel (clipped content would not show as page overflow).
    const clipped = await page.evaluate(() =>
      [...document.querySelectorAll('[role=tabpanel] .card')]
        .filter((c) => c.scrollWidth > c.clientWidth + 1 || c.getBoundingClientRect().right > window.innerWidth)
        .map((c) => c.textContent?.slice(0, 60)),
    );
    expect(clipped, `${name} view: panels wider than their column`).toEqual([]);
    await expectLabelled(page);
  }
});

test('the controls honour the model ranges and say what is in use', async ({ page }) => {
  await page.goto('/?model=micro');
  // The ranges are the model's once start-up has read its manifest (then it starts loading it).
  await expect(page.getByTestId('model-chip')).toHaveText(/^Loading model…$|· (WebGPU|WASM)$/);
  const w = page.getByRole('slider', { name: 'Guidance scale w' });
  const min = Number(await w.getAttribute('min'));
  const max = Number(await w.getAttribute('max'));
  expect(max).toBeGreaterThan(min);
  await w.focus();
  await page.keyboard.press('End');
  await expect(w).toHaveValue(String(max));
  await expect(page.locator('output[for="guidance"]')).toHaveText(String(max));
  // Steps: the recommended counts come first.
  const groups = page.getByRole('combobox', { name: 'Steps' }).locator('optgroup');
  await expect(groups.first()).toHaveAttribute('label', 'Recommended');
  // Backend: auto / WebGPU / WASM, with what is in use stated.
  await expect(page.getByRole('combobox', { name: 'Backend' }).locator('option')).toHaveText([
    'Auto (WebGPU when available)',
    'WebGPU (GPU)',
    'WASM (CPU)',
  ]);
  await expect(page.getByTestId('backend-in-use')).toHaveText(/^In use: /);
  // Seed: typing one locks it; unlocking says a new seed is drawn per run.
  await page.getByRole('spinbutton', { name: 'Seed' }).fill('1234');
  await expect(page.getByRole('checkbox', { name: 'Lock seed' })).toBeChecked();
  await page.getByRole('checkbox', { name: 'Lock seed' }).uncheck();
  await expect(page.getByText(/Unlocked: each run draws a new seed/)).toBeVisible();
});

test('keyboard: Tab reaches every main control with a visible focus ring; arrows switch views', async ({ page }) => {
  await page.goto('/?model=micro');
  const wanted = [
    'tab:Create',
    'textbox:Prompt',
    'button:Generate',
    'combobox:Steps',
    'slider:Guidance scale w',
    'slider:Motion strength',
    'spinbutton:Seed',
    'checkbox:Lock seed',
    'combobox:Backend',
    'button:Choose reference video',
  ];
  const reached = new Set<string>();
  for (let i = 0; i < 40 && reached.size < wanted.length; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return undefined;
      const role =
        el.getAttribute('role') ??
        ({ TEXTAREA: 'textbox', SELECT: 'combobox' } as Record<string, string>)[el.tagName] ??
        (el.tagName === 'INPUT'
          ? (
              { range: 'slider', number: 'spinbutton', checkbox: 'checkbox', text: 'textbox' } as Record<string, string>
            )[(el as HTMLInputElement).type]
          : el.tagName === 'BUTTON'
            ? 'button'
            : el.tagName);
      const name =
        el.getAttribute('aria-label') ??
        ((el as HTMLInputElement).labels?.[0]?.textContent ?? el.textContent ?? '').trim();
      const style = getComputedStyle(el);
      return { key: `${role}:${name}`, outline: style.outlineStyle, width: style.outlineWidth };
    });
    if (!focused) continue;
    const match = wanted.find((w) => focused.key.startsWith(w));
    if (match) {
      reached.add(match);
      expect(focused.outline, `${match} shows focus`).not.toBe('none');
    }
  }
  expect([...reached].sort()).toEqual([...wanted].sort());

  // The view tabs follow the arrow keys.
  await page.getByRole('tab', { name: 'Create' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: /^Compare/ })).toBeFocused();
  await expect(page.getByRole('tabpanel', { name: /Compare/ })).toBeVisible();
  await page.keyboard.press('End');
  await expect(page.getByRole('tabpanel', { name: 'Model' })).toBeVisible();
  await page.keyboard.press('Home');
  await expect(page.getByRole('tabpanel', { name: 'Create' })).toBeVisible();
});

test('Ctrl+Enter in the prompt asks to generate, and says why it cannot yet', async ({ page }) => {
  await page.goto('/?model=micro');
  const prompt = page.getByRole('textbox', { name: 'Prompt' });
  await prompt.focus();
  await page.keyboard.press('Control+Enter');
  // With no prompt (and, until the engine lands, no model) a notice explains instead of nothing happening.
  await expect(page.getByTestId('notice').last()).toHaveText(/Write a prompt first|Model|model/);
  await page.getByRole('button', { name: 'a red circle moving right' }).click();
  await expect(prompt).toHaveValue('a red circle moving right');
});
