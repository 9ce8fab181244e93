/**
 * The only module that imports onnxruntime-web. It configures the runtime once (wasm files served
 * by the app at /ort/, threads when the page is cross-origin isolated), creates sessions on the
 * requested execution provider, and wraps tensors: CPU typed arrays on the WASM path, GPU buffers
 * on the WebGPU path (so the latent never leaves the GPU between network calls).
 */
import * as ort from 'onnxruntime-web/webgpu';
import { EngineError, outOfMemoryError } from '../errors';
import type { BackendName } from '../protocol';

export type OrtSession = ort.InferenceSession;
export type OrtTensor = ort.Tensor;

export interface RuntimeOptions {
  /** Prefix the runtime's .wasm/.mjs files are served under (default `/ort/`). */
  wasmPaths?: string;
  /** WASM threads; 0 = as many as cross-origin isolation allows (capped at 4). */
  threads?: number;
}

let configured = false;

export function configureRuntime(options: RuntimeOptions = {}): void {
  if (configured) return;
  configured = true;
  ort.env.wasm.wasmPaths = options.wasmPaths ?? new URL('/ort/', globalThis.location?.href ?? 'http://localhost/').href;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  ort.env.wasm.numThreads = isolated ? options.threads || Math.min(4, cores) : 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
}

export function wasmThreads(): number {
  return ort.env.wasm.numThreads ?? 1;
}

export interface SessionSpec {
  /** For messages: which graph this is. */
  name: string;
  model: Uint8Array;
  externalData?: { path: string; data: Uint8Array }[];
  backend: BackendName;
  /** Outputs to keep on the GPU (WebGPU only); the rest come back to the CPU. */
  gpuOutputs?: readonly string[];
}

export async function createSession(spec: SessionSpec): Promise<OrtSession> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [spec.backend === 'webgpu' ? { name: 'webgpu' } : { name: 'wasm' }],
    graphOptimizationLevel: 'all',
    externalData: spec.externalData,
  };
  if (spec.backend === 'webgpu' && spec.gpuOutputs?.length) {
    options.preferredOutputLocation = Object.fromEntries(spec.gpuOutputs.map((n) => [n, 'gpu-buffer' as const]));
  }
  try {
    return await ort.InferenceSession.create(spec.model, options);
  } catch (e) {
    throw classifyOrtError(e, `loading the ${spec.name} graph`);
  }
}

/** The GPUDevice ORT created for its WebGPU sessions; our kernels must run on this one. */
export async function ortDevice(): Promise<GPUDevice> {
  return (await ort.env.webgpu.device) as GPUDevice;
}

export function cpuTensor(data: Float32Array | BigInt64Array, dims: readonly number[]): OrtTensor {
  return data instanceof Float32Array ? new ort.Tensor('float32', data, dims) : new ort.Tensor('int64', data, dims);
}

export function gpuTensor(buffer: GPUBuffer, dims: readonly number[]): OrtTensor {
  return ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims });
}

/** Runs a session, mapping ORT's failures to typed engine errors. */
export async function runSession(
  session: OrtSession,
  name: string,
  feeds: Record<string, OrtTensor>,
  /** Output names to fetch, or pre-allocated output tensors by name (GPU buffers stay ours). */
  fetches?: readonly string[] | Record<string, OrtTensor>,
): Promise<Record<string, OrtTensor>> {
  try {
    const results = fetches ? session.run(feeds, fetches as ort.InferenceSession.FetchesType) : session.run(feeds);
    return (await results) as Record<string, OrtTensor>;
  } catch (e) {
    throw classifyOrtError(e, `running the ${name} graph`);
  }
}

/** ORT reports everything as plain Errors; sort out the ones a user can act on. */
export function classifyOrtError(e: unknown, where: string): EngineError {
  if (e instanceof EngineError) return e;
  const message = e instanceof Error ? e.message : String(e);
  // ORT's own failures here are CPU-side: its WebAssembly heap (std::bad_alloc) or a JS buffer.
  if (
    /out of memory|OOM|Failed to allocate|bad_alloc|RangeError: (Array buffer|WebAssembly\.Memory)|allocation failed/i.test(
      message,
    )
  ) {
    return outOfMemoryError(where, 'wasm');
  }
  const op =
    // "Fatal error: org.example:Frobnicate(-1) is not a registered function/op" (an unknown domain or op)
    message.match(/([\w.]+:\w+|\w+)\(-?\d+\) is not a registered function\/op/) ??
    message.match(/(?:Could not find an implementation for|not supported|Unsupported op(?:erator)?)\W+(\w+)/i);
  if (op) {
    return new EngineError(
      'unsupported-op',
      `The model uses an operator this backend cannot run (${op[1]}) while ${where}. Try the other backend, or re-export the package with supported operators.`,
      { op: op[1], where },
    );
  }
  return new EngineError('internal', `onnxruntime failed while ${where}: ${message}`, { where });
}
