/**
 * The work between network calls, behind one interface with two implementations: `GpuOps` (WGSL
 * kernels on ORT's GPUDevice; tensors stay in GPU buffers) and `CpuOps` (the kernels' TypeScript
 * twins on Float32Arrays, for the WASM backend). The sampling loop (generate.ts), the reference
 * pass (reference.ts) and scoring (score.ts) are written once against it, so both backends follow
 * the same maths by construction.
 */
import type { OrtSession, OrtTensor } from '../backend/ort';
import type { FrameGeometry } from '../kernels/geometry';
import type { NoisePrior } from '../kernels/noise';
import type { ResizeCropNormalizeParams } from '../kernels/resize_crop_normalize';
import type { VideoMetrics } from '../kernels/video_metrics';
import type { LcmStepScalars } from '../scheduler/lcm';

/** A float32 tensor owned by the ops: a GPU buffer, or a Float32Array. */
export interface Tensor {
  readonly dims: readonly number[];
  readonly size: number;
}

/** RGBA8 frames packed one pixel per u32 (r | g << 8 | b << 16 | a << 24), resident where the ops compute. */
export interface FramesTensor {
  readonly geometry: FrameGeometry;
}

export type Feed = Tensor | OrtTensor;

export interface Ops {
  readonly kind: 'gpu' | 'cpu';
  /** Scratch tensor of these dims (contents undefined until written). */
  alloc(dims: readonly number[], label: string): Tensor;
  /** Uploads host data (text context, masks) — a CPU-to-GPU copy, never a readback. */
  fromHost(data: Float32Array, dims: readonly number[], label: string): Tensor;
  framesFromHost(rgba: Uint8ClampedArray, geometry: FrameGeometry): FramesTensor;
  /** A tensor as an ORT input (wraps, no copy). */
  feed(t: Tensor): OrtTensor;
  /** Runs a session; each named output is written into the given tensor. */
  run(session: OrtSession, name: string, feeds: Record<string, Feed>, outputs: Record<string, Tensor>): Promise<void>;
  /** out <- seeded noise of (seed, stream), white or of the model's multiscale prior. */
  noise(out: Tensor, seed: number, stream: number, prior?: NoisePrior): void;
  /** z <- one multistep-consistency step (in place). */
  lcmStep(z: Tensor, eps: Tensor, noise: Tensor, s: LcmStepScalars): void;
  /** eps <- eps - factor * grad (in place). */
  guide(eps: Tensor, grad: Tensor, factor: number): void;
  scale(input: Tensor, out: Tensor, factor: number): void;
  /**
   * dst[:, :, dstFrame + i] <- src[:, :, srcFrame + i] for i < frames, on (N, C, T, H, W) tensors of
   * equal N, C, H, W (a copy where the tensors live; chunked VAE decoding uses it).
   */
  copyFrames(src: Tensor, srcFrame: number, dst: Tensor, dstFrame: number, frames: number): void;
  top1Mask(attn: Tensor, out: Tensor, rows: number, cols: number): void;
  resizeCropNormalize(frames: FramesTensor, p: Omit<ResizeCropNormalizeParams, 'input'>, out: Tensor): void;
  /** Motion heat maps of consecutive frames (T − 1 maps of height x width), read back for display. */
  motionMap(frames: FramesTensor, height: number, width: number, gain: number): Promise<Uint8ClampedArray>;
  /** (1, 3, T, H, W) in [-1, 1] -> RGBA8 frames: the one readback of a generation. */
  toFrames(video: Tensor, geometry: FrameGeometry): Promise<Uint8ClampedArray>;
  /** Reads a small tensor back (scores). */
  read(t: Tensor): Promise<Float32Array>;
  /** Video metrics of RGBA frames (one small readback on the GPU). */
  videoMetrics(frames: FramesTensor): Promise<VideoMetrics>;
  /** GPU-to-CPU copies made so far (the residency test asserts it). */
  readonly readbacks: number;
  /** Frees everything this object allocated (one Ops per generation, or per kept reference). */
  release(): void;
}

export const elements = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** The contiguous runs copyFrames moves: one per (n, c) plane, as element offsets and a length. */
export function frameRuns(
  src: readonly number[],
  srcFrame: number,
  dst: readonly number[],
  dstFrame: number,
  frames: number,
): { from: number; to: number; length: number }[] {
  const [n, c, ts, h, w] = src;
  const td = dst[2];
  if (src.length !== 5 || dst.length !== 5 || dst[0] !== n || dst[1] !== c || dst[3] !== h || dst[4] !== w)
    throw new Error(`copyFrames needs (N, C, T, H, W) tensors that differ only in T: ${src} vs ${dst}`);
  if (srcFrame < 0 || dstFrame < 0 || srcFrame + frames > ts || dstFrame + frames > td)
    throw new Error(
      `copyFrames: frames [${srcFrame}, ${srcFrame + frames}) -> [${dstFrame}, ${dstFrame + frames}) out of range`,
    );
  const plane = h * w;
  const runs = [];
  for (let p = 0; p < n * c; p++) {
    runs.push({ from: (p * ts + srcFrame) * plane, to: (p * td + dstFrame) * plane, length: frames * plane });
  }
  return runs;
}
