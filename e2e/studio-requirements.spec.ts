/**
 * The model panel says, before anything is downloaded, what a bundled package needs and whether this
 * browser has it — for the micro package (WASM or WebGPU) and for a large fp16-only package whose
 * manifest (served in place of the real one) needs shader-f16 and a 1 GB buffer, which this
 * SwiftShader adapter lacks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';

const micro = JSON.parse(readFileSync(join(import.meta.dirname, '../public/models/micro/manifest.json'), 'utf8'));

test('a bundled package shows its needs and that this device meets them', async ({ page }) => {
  await page.goto('/?model=micro');
  await page.getByRole('tab', { name: 'Model' }).click();
  const fit = page.getByRole('listitem').filter({ hasText: 'Micro test model' }).getByTestId('package-fit');
  await expect(fit).toContainText(
    /Needs WebGPU or WASM · a \S+ \S?B GPU buffer · about \S+ \S?B of GPU memory · \S+ \S?B download\./,
  );
  await expect(fit).toContainText(/Runs here on (WASM|WebGPU fp32)/);
});

test('a package this device cannot run says what is missing, before any download', async ({ page }) => {
  // The micro manifest made to look like the full-size fp16 package (the graphs' files are never fetched).
  const large = structuredClone(micro);
  for (const graph of Object.values(large.graphs) as { variants: Record<string, unknown>[] }[]) {
    for (const v of graph.variants)
      Object.assign(v, { precision: 'fp16', backends: ['webgpu'], requires: ['shader-f16'] });
  }
  large.requirements = { ...large.requirements, gpu_memory_bytes: 7_130_000_000, max_buffer_bytes: 1_048_576_000 };
  const weights: string[] = [];
  page.on('request', (r) => {
    if (/\.(onnx|bin)$/.test(new URL(r.url()).pathname)) weights.push(r.url());
  });
  await page.route('**/models/micro/manifest.json', (route) => route.fulfill({ json: large }));
  await page.goto('/?model=micro');
  await page.getByRole('tab', { name: 'Model' }).click();
  const fit = page.getByRole('listitem').filter({ hasText: 'Micro test model' }).getByTestId('package-fit');
  await expect(fit).toContainText('Needs WebGPU with shader-f16 · a 1.0 GB GPU buffer · about 7.1 GB of GPU memory');
  await expect(fit).toContainText('Cannot run here');
  await expect(fit).toContainText(/shader-f16/);
  expect(weights).toEqual([]);
});
