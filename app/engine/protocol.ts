/**
 * The engine's one interface, and the messages that carry it across the worker boundary.
 *
 * Two hosts implement `Engine`: `LocalEngine` (in-thread; tests, benchmarks) and `WorkerEngine`
 * (a proxy to `engine.worker.ts`; the app). UI code cannot tell which one it holds.
 * Frames travel as transferable RGBA8 buffers; nothing here refers to React or the store.
 */
import type { WireError } from './errors';
import type { Manifest } from './manifest/schema';

export type BackendChoice = 'auto' | 'webgpu' | 'wasm';
export type BackendName = 'webgpu' | 'wasm';
export type PrecisionChoice = 'auto' | 'fp32' | 'fp16';

/** Where a model package comes from: a folder URL on this origin, or files the user picked. */
export type PackageSource = { kind: 'url'; baseUrl: string } | { kind: 'files'; files: Record<string, Blob> };

export interface LoadRequest {
  source: PackageSource;
  backend: BackendChoice;
  precision?: PrecisionChoice;
}

export interface LoadResult {
  manifest: Manifest;
  backend: BackendName;
  /** Precision of the UNet variant in use. */
  precision: 'fp32' | 'fp16';
  /** Why this backend: e.g. "WebGPU on google swiftshader (fp32: no shader-f16)". */
  reason: string;
  /** Milliseconds: fetch+verify, session creation, warm-up. */
  timings: Record<string, number>;
  /** Package files Cache Storage refused (quota full): the model runs now but needs the network next time. */
  uncachedFiles?: string[];
}

export interface ReferenceGuidance {
  /** From `extractMotion`; the engine keeps the reference attention maps and masks. */
  referenceId: string;
  /** lambda in eps <- eps - lambda * sqrt(1 - abar_t) * grad G. */
  strength: number;
  /** Fraction of the sampling steps that are guided (the first ones). */
  tau?: number;
}

export interface GenerateRequest {
  prompt: string;
  steps: number;
  /** Guidance scale w the student is conditioned on. */
  guidance: number;
  /** Motion strength the student is conditioned on. */
  motion: number;
  /** 32-bit unsigned seed: the same seed gives the same clip on every backend. */
  seed: number;
  /** Playback rate; the model's own fps when absent. */
  fps?: number;
  reference?: ReferenceGuidance;
}

export interface Clip {
  /** T x H x W x 4 RGBA8, frame after frame. */
  frames: Uint8ClampedArray;
  frameCount: number;
  width: number;
  height: number;
  fps: number;
}

export interface TokenInfo {
  count: number;
  max: number;
  /** True when the prompt was cut to the tokenizer's max length. */
  truncated: boolean;
}

export interface GenerateResult extends Clip {
  seed: number;
  tokens: TokenInfo;
  /** Milliseconds per stage: tokenize, text, unet[i], motion_grad[i], decode, … and total. */
  timings: Record<string, number>;
  /** GPU-to-CPU copies made during the run (the frames at the end count as one). */
  readbacks: number;
  backend: BackendName;
}

export interface Score {
  id: string;
  label: string;
  description: string;
  value: number;
  higherIsBetter: boolean;
  kind: 'reward' | 'metric';
}

export interface ScoreRequest {
  prompt: string;
  clip: Clip;
}

export interface ScoreResult {
  scores: Score[];
  timings: Record<string, number>;
}

export interface ExtractMotionRequest {
  /** Decoded reference frames (any size; the engine resizes and crops). */
  clip: Clip;
  seed?: number;
}

export interface ExtractMotionResult {
  referenceId: string;
  /** A picture of the extracted motion: one small RGBA heat map per frame. */
  motionMap: Clip;
  timings: Record<string, number>;
}

export type Stage =
  | 'download'
  | 'verify'
  | 'compile'
  | 'warmup'
  | 'tokenize'
  | 'text'
  | 'denoise'
  | 'decode'
  | 'score'
  | 'extract';

export interface Progress {
  stage: Stage;
  /** Denoising step (1-based) and total, or bytes loaded and total for downloads. */
  done?: number;
  total?: number;
  file?: string;
  elapsedMs: number;
  /** Estimated milliseconds left, once there is a basis for it. */
  etaMs?: number;
}

export interface CallOptions {
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

export interface Engine {
  load(request: LoadRequest, options?: CallOptions): Promise<LoadResult>;
  generate(request: GenerateRequest, options?: CallOptions): Promise<GenerateResult>;
  score(request: ScoreRequest, options?: CallOptions): Promise<ScoreResult>;
  extractMotion(request: ExtractMotionRequest, options?: CallOptions): Promise<ExtractMotionResult>;
  /** Cancels whatever is running; it rejects with EngineError('cancelled') within one step. */
  cancel(): void;
  dispose(): Promise<void>;
}

/**
 * Test builds only (`vite build --mode test`): E2E tests reach the worker's engine through these
 * hooks; a production worker refuses them.
 */
export interface TestingHooks {
  /** Milliseconds to wait before each denoising step (0: off), so a test can act while a run is in flight. */
  stepDelayMs?: number;
  /** Destroys the engine's GPUDevice now, exactly what a driver reset or GPU out-of-memory does to it. */
  loseDevice?: boolean;
}

// ── Wire format (worker boundary) ──────────────────────────────────────────────────────────────

interface RequestContents {
  load: LoadRequest;
  generate: GenerateRequest;
  score: ScoreRequest;
  extractMotion: ExtractMotionRequest;
  cancel: Record<string, never>;
  dispose: Record<string, never>;
  testing: TestingHooks;
}

export type RequestKind = keyof RequestContents;

export type WorkerRequest = {
  [K in RequestKind]: { kind: K; id: number; content: RequestContents[K] };
}[RequestKind];

export type WorkerResponse =
  | { kind: 'return'; id: number; content: unknown }
  | { kind: 'throw'; id: number; error: WireError }
  | { kind: 'progress'; id: number; content: Progress };
