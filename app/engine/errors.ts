/**
 * Every failure the engine reports, one class per kind, each with a message that says what to do.
 * Errors cross the worker boundary as `{kind, message, detail}` and are rebuilt by `fromWire`.
 */

export type EngineErrorKind =
  | 'manifest'
  | 'missing-file'
  | 'integrity'
  | 'unsupported-op'
  | 'no-webgpu'
  | 'missing-feature'
  | 'device-lost'
  | 'out-of-memory'
  | 'bad-input'
  | 'cancelled'
  | 'not-loaded'
  | 'internal';

export class EngineError extends Error {
  readonly kind: EngineErrorKind;
  /** Machine-readable context: the manifest field, the file, the feature, … */
  readonly detail: Record<string, unknown>;
  constructor(kind: EngineErrorKind, message: string, detail: Record<string, unknown> = {}) {
    super(message);
    this.name = 'EngineError';
    this.kind = kind;
    this.detail = detail;
  }
}

export interface WireError {
  kind: EngineErrorKind;
  message: string;
  detail: Record<string, unknown>;
}

export const manifestError = (path: string, problem: string) =>
  new EngineError('manifest', `Model manifest is invalid: ${path} ${problem}.`, { path });

export const missingFileError = (file: string, status: number | string) =>
  new EngineError(
    'missing-file',
    `Model file "${file}" could not be fetched (${status}). The package is incomplete; re-export or re-download it.`,
    { file, status },
  );

export const integrityError = (file: string, expected: string, actual: string) =>
  new EngineError(
    'integrity',
    `Model file "${file}" failed its integrity check (sha256 ${actual.slice(0, 12)}… instead of ${expected.slice(0, 12)}…). It was not used; download the package again.`,
    { file, expected, actual },
  );

export const noWebGpuError = (why: string) =>
  new EngineError('no-webgpu', `WebGPU is not available (${why}). Use the WASM backend instead.`, { why });

export const missingFeatureError = (feature: string, graph: string) =>
  new EngineError(
    'missing-feature',
    `This GPU lacks the WebGPU feature "${feature}" that the ${graph} graph needs. Choose its fp32 variant or the WASM backend.`,
    { feature, graph },
  );

export const deviceLostError = (reason: string) =>
  new EngineError(
    'device-lost',
    `The GPU device was lost (${reason}). This is often out of GPU memory; the engine will reload the model — try again, perhaps with fewer steps or frames.`,
    { reason },
  );

/** `memory`: the GPU's (WebGPU buffers), or the CPU-side WebAssembly heap onnxruntime runs in (4 GB at most). */
export const outOfMemoryError = (where: string, memory: 'gpu' | 'wasm' = 'gpu') =>
  memory === 'gpu'
    ? new EngineError(
        'out-of-memory',
        `Out of memory during ${where}. Lower the number of frames or steps, close other GPU-heavy tabs, or switch to the WASM backend.`,
        { where, memory },
      )
    : new EngineError(
        'out-of-memory',
        `Out of memory while ${where}: the model needs more than the 4 GB of WebAssembly memory a browser tab can have. Use a smaller model package, or the WebGPU backend on a machine with a GPU; closing other tabs does not raise this limit.`,
        { where, memory },
      );

export const cancelledError = () => new EngineError('cancelled', 'Generation was cancelled.');

export const badInputError = (field: string, problem: string) =>
  new EngineError('bad-input', `${field}: ${problem}`, { field });

export function toWire(e: unknown): WireError {
  if (e instanceof EngineError) return { kind: e.kind, message: e.message, detail: e.detail };
  const message = e instanceof Error ? e.message : String(e);
  return { kind: 'internal', message, detail: {} };
}

export function fromWire(w: WireError): EngineError {
  return new EngineError(w.kind, w.message, w.detail);
}
