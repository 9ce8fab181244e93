/**
 * What this browser's WebGPU can do, probed once. The engine picks graph variants from it; the
 * studio shows it so a user knows which backend runs and why.
 */

export interface GpuCapabilities {
  webgpu: boolean;
  /** Why WebGPU is unavailable, in words a user can act on. */
  reason?: string;
  vendor?: string;
  architecture?: string;
  description?: string;
  shaderF16: boolean;
  /** A software adapter (SwiftShader, or one the browser marks as fallback): far slower than WASM. */
  software: boolean;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

let probed: Promise<GpuCapabilities> | undefined;

export function probeGpu(gpu: GPU | undefined = globalThis.navigator?.gpu): Promise<GpuCapabilities> {
  probed ??= probe(gpu);
  return probed;
}

async function probe(gpu: GPU | undefined): Promise<GpuCapabilities> {
  const none = (reason: string): GpuCapabilities => ({
    webgpu: false,
    reason,
    shaderF16: false,
    software: false,
    maxBufferSize: 0,
    maxStorageBufferBindingSize: 0,
  });
  if (!gpu) return none('this browser has no navigator.gpu; use a recent Chrome or Edge');
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return none(`requestAdapter failed: ${(e as Error).message}`);
  }
  if (!adapter) return none('no WebGPU adapter was offered (GPU blocklisted or disabled)');
  const info = adapter.info;
  return Object.freeze({
    webgpu: true,
    vendor: info?.vendor,
    architecture: info?.architecture,
    description: info?.description,
    shaderF16: adapter.features.has('shader-f16'),
    software:
      (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter === true ||
      /swiftshader|llvmpipe|lavapipe|software/i.test(`${info?.architecture} ${info?.description} ${info?.vendor}`),
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
  });
}

/** A one-line account of the backend choice, e.g. "WebGPU on google swiftshader (fp32: no shader-f16)". */
export function describeBackend(c: GpuCapabilities): string {
  if (!c.webgpu) return `No WebGPU (${c.reason}) — using WASM on the CPU`;
  const name = [c.vendor, c.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const precision = c.shaderF16 ? 'fp16' : 'fp32: no shader-f16';
  return `WebGPU on ${name} (${c.software ? `software emulation, ${precision}` : precision})`;
}
