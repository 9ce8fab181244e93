/**
 * Whether this device can run a package, decided from its manifest before a byte of weights is
 * downloaded: the download itself, the WebGPU features and the largest GPU buffer the chosen
 * variants need, and what is known about memory (browsers do not report GPU memory, so that one is
 * stated, not checked; the WASM heap is 32-bit, so that one is). Pure: unit-tested without a browser.
 */
import { EngineError, missingFeatureError } from '../errors';
import type { GpuCapabilities } from '../gpu/probe';
import type { FileRef, Manifest } from '../manifest/schema';
import type { LoadPlan } from './variants';

/** onnxruntime-web's WASM heap is 32-bit: weights and activations share 4 GiB. */
export const WASM_HEAP_BYTES = 2 ** 32;

export interface RequirementCheck {
  what: string;
  need: string;
  have: string;
  /** undefined: the browser does not tell (GPU memory). */
  ok: boolean | undefined;
}

export interface Fit {
  ok: boolean;
  checks: RequirementCheck[];
  /** Bytes the chosen variants download (each shared shard once), vocabulary included. */
  downloadBytes: number;
}

/** "2.8 GB": sizes for messages (decimal units, as download sizes are usually given). */
export function bytesText(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e8 ? 0 : 1)} MB`;
  return `${Math.max(1, Math.round(n / 1e3))} kB`;
}

/** The files a plan loads, each once (graphs may share weight shards). */
export function planFiles(manifest: Manifest, plan: LoadPlan): FileRef[] {
  const files = new Map<string, FileRef>([[manifest.text.tokenizer.vocab.path, manifest.text.tokenizer.vocab]]);
  for (const g of Object.values(plan.graphs)) {
    if (!g) continue;
    for (const f of [g.variant.file, ...g.variant.external_data]) files.set(f.path, f);
  }
  return [...files.values()];
}

export function assessFit(manifest: Manifest, plan: LoadPlan, caps: GpuCapabilities): Fit {
  const files = planFiles(manifest, plan);
  const downloadBytes = files.reduce((a, f) => a + f.bytes, 0);
  const checks: RequirementCheck[] = [
    { what: 'download', need: bytesText(downloadBytes), have: 'cached after the first load', ok: true },
  ];
  const req = manifest.requirements;
  const onGpu = Object.values(plan.graphs).filter((g) => g?.backend === 'webgpu');
  if (onGpu.length > 0) {
    const features = [...new Set(onGpu.flatMap((g) => g?.variant.requires ?? []))];
    for (const f of features) {
      const has = f === 'shader-f16' ? caps.shaderF16 : false;
      checks.push({ what: `WebGPU feature ${f}`, need: 'yes', have: has ? 'yes' : 'no', ok: has });
    }
    if (req.max_buffer_bytes !== undefined) {
      const limit = Math.min(caps.maxStorageBufferBindingSize, caps.maxBufferSize);
      checks.push({
        what: 'largest GPU buffer',
        need: bytesText(req.max_buffer_bytes),
        have: `${bytesText(limit)} (this adapter's limit)`,
        ok: req.max_buffer_bytes <= limit,
      });
    }
    checks.push({
      what: 'GPU memory',
      need: `about ${bytesText(req.gpu_memory_bytes)}`,
      have: 'not reported by browsers',
      ok: undefined,
    });
  }
  const onWasm = Object.values(plan.graphs).filter((g) => g?.backend === 'wasm');
  if (onWasm.length > 0) {
    const wasmFiles = new Map<string, number>();
    for (const g of onWasm)
      for (const f of [g!.variant.file, ...g!.variant.external_data]) wasmFiles.set(f.path, f.bytes);
    const weights = [...wasmFiles.values()].reduce((a, b) => a + b, 0);
    checks.push({
      what: 'WASM memory (weights)',
      need: bytesText(weights),
      have: `${bytesText(WASM_HEAP_BYTES)} heap, activations included`,
      ok: weights < WASM_HEAP_BYTES,
    });
  }
  return { ok: checks.every((c) => c.ok !== false), checks, downloadBytes };
}

/** Throws before anything is downloaded when a check fails, naming what is missing. */
export function requireFit(manifest: Manifest, plan: LoadPlan, caps: GpuCapabilities): Fit {
  const fit = assessFit(manifest, plan, caps);
  const failed = fit.checks.find((c) => c.ok === false);
  if (!failed) return fit;
  if (failed.what.startsWith('WebGPU feature')) throw missingFeatureError(failed.what.slice(15), 'unet');
  const advice =
    failed.what === 'largest GPU buffer'
      ? 'This GPU cannot hold the model’s largest tensor in one buffer; use a GPU with larger buffer limits.'
      : 'The model is too large for the WASM backend; use a WebGPU device.';
  throw new EngineError(
    failed.what === 'largest GPU buffer' ? 'missing-feature' : 'out-of-memory',
    `${manifest.name} needs ${failed.need} for its ${failed.what}; this device has ${failed.have}. ${advice} Nothing was downloaded.`,
    { requirement: failed.what, need: failed.need, have: failed.have },
  );
}
