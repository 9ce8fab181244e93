/**
 * Video metrics of a clip, from its RGBA8 frames x_t (t = 0..T-1, channel values x in [0, 1] =
 * byte / 255, over all pixels and the R, G, B channels):
 *
 * - **motion** = mean |x_{t+1} − x_t| over consecutive frame pairs, pixels and channels. 0 for a
 *   still clip; how much the picture changes per frame, in [0, 1].
 * - **flicker** = mean |x_{t+1} − 2x_t + x_{t−1}| over interior frames t = 1..T−2 (0 when T < 3).
 *   Change that is not steady: a brightness pulse or jitter scores high, a steady fade scores 0.
 * - **consistency** = mean over consecutive pairs of the Pearson correlation between the two
 *   frames' values, in [−1, 1]. 1 when the next frame is the same picture up to brightness and
 *   contrast; falls as content changes or breaks up. (Two flat frames count 1; one flat frame 0.)
 *
 * video_metrics.wgsl computes exact integer sums per pair and pixel chunk; `videoMetricsFromPartials`
 * adds them on the CPU after the single readback. The twin `videoMetrics` computes the same sums
 * directly, so both paths give identical numbers.
 */
import { type DispatchPlan, TypedKernel } from '../gpu/compute';
import { kernelError, UniformLayout } from '../gpu/uniform';
import { checkGeometry, type FrameGeometry } from './geometry';
import code from './video_metrics.wgsl?raw';

const LABEL = 'video_metrics';
/** Pixels per workgroup: enough work per invocation, and u32 sums stay exact (< 22017). */
const CHUNK_PIXELS = 4096;
const SUMS = 8;

export interface VideoMetrics {
  motion: number;
  flicker: number;
  consistency: number;
  /** motion of each pair (t, t+1), T − 1 values. */
  motionCurve: number[];
  /** flicker at each interior frame t = 1..T−2, T − 2 values. */
  flickerCurve: number[];
  /** consistency of each pair (t, t+1), T − 1 values. */
  consistencyCurve: number[];
}

/** One-line explanations for the studio. */
export const VIDEO_METRIC_INFO = {
  motion: { label: 'Motion', explanation: 'How much the picture changes from frame to frame (0 = still).' },
  flicker: {
    label: 'Flicker',
    explanation: 'Change that is not steady: brightness pulses and jitter (lower is smoother).',
  },
  consistency: {
    label: 'Consistency',
    explanation: 'How alike consecutive frames are, ignoring brightness (1 = the same picture).',
  },
} as const;

/** Exact sums of one pair (t, t+1) with a = x_t, b = x_{t+1}, bytes 0..255, over pixels and R, G, B. */
export interface PairSums {
  absDiff: number;
  /** Σ|b − 2a + x_{t−1}|; 0 for t = 0. */
  absSecondDiff: number;
  a: number;
  b: number;
  aa: number;
  bb: number;
  ab: number;
}

/** Twin of video_metrics.wgsl + the CPU finish. */
export function videoMetrics(frames: Uint32Array, shape: FrameGeometry): VideoMetrics {
  const pixels = checkGeometry(LABEL, shape, 2);
  if (frames.length !== shape.frames * pixels) {
    throw kernelError(
      LABEL,
      `frames has ${frames.length} pixels, (${shape.frames}, ${shape.height}, ${shape.width}) needs ${shape.frames * pixels}`,
    );
  }
  const pairs: PairSums[] = [];
  for (let t = 0; t + 1 < shape.frames; t++) {
    const s: PairSums = { absDiff: 0, absSecondDiff: 0, a: 0, b: 0, aa: 0, bb: 0, ab: 0 };
    for (let i = 0; i < pixels; i++) {
      const pa = frames[t * pixels + i];
      const pb = frames[(t + 1) * pixels + i];
      const pp = t > 0 ? frames[(t - 1) * pixels + i] : 0;
      for (let shift = 0; shift < 24; shift += 8) {
        const a = (pa >>> shift) & 0xff;
        const b = (pb >>> shift) & 0xff;
        s.absDiff += Math.abs(b - a);
        if (t > 0) s.absSecondDiff += Math.abs(b - 2 * a + ((pp >>> shift) & 0xff));
        s.a += a;
        s.b += b;
        s.aa += a * a;
        s.bb += b * b;
        s.ab += a * b;
      }
    }
    pairs.push(s);
  }
  return metricsFromSums(pairs, pixels);
}

/** u32 words the kernel writes: (T − 1, chunks, 8). */
export function videoMetricsPartialWords(shape: FrameGeometry): number {
  return (shape.frames - 1) * Math.ceil(checkGeometry(LABEL, shape, 2) / CHUNK_PIXELS) * SUMS;
}

/** The CPU finish of the GPU path: add the partial sums of each pair, then the metrics. */
export function videoMetricsFromPartials(partials: Uint32Array, shape: FrameGeometry): VideoMetrics {
  const pixels = checkGeometry(LABEL, shape, 2);
  const chunks = Math.ceil(pixels / CHUNK_PIXELS);
  if (partials.length < videoMetricsPartialWords(shape)) {
    throw kernelError(LABEL, `partials has ${partials.length} words, needs ${videoMetricsPartialWords(shape)}`);
  }
  const pairs: PairSums[] = [];
  for (let t = 0; t + 1 < shape.frames; t++) {
    const sum = new Array<number>(SUMS).fill(0);
    for (let c = 0; c < chunks; c++) {
      for (let k = 0; k < SUMS; k++) sum[k] += partials[(t * chunks + c) * SUMS + k];
    }
    pairs.push({ absDiff: sum[0], absSecondDiff: sum[1], a: sum[2], b: sum[3], aa: sum[4], bb: sum[5], ab: sum[6] });
  }
  return metricsFromSums(pairs, pixels);
}

/** Metrics from exact per-pair sums (integers below 2^53). */
export function metricsFromSums(pairs: readonly PairSums[], pixels: number): VideoMetrics {
  const values = 3 * pixels;
  const motionCurve = pairs.map((s) => s.absDiff / (255 * values));
  const flickerCurve = pairs.slice(1).map((s) => s.absSecondDiff / (255 * values));
  const consistencyCurve = pairs.map((s) => pearson(s, values));
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    motion: mean(motionCurve),
    flicker: mean(flickerCurve),
    consistency: mean(consistencyCurve),
    motionCurve,
    flickerCurve,
    consistencyCurve,
  };
}

/** Pearson correlation from exact sums; BigInt keeps n Σab − Σa Σb exact (it exceeds 2^53). */
function pearson(s: PairSums, n: number): number {
  const N = BigInt(n);
  const cov = N * BigInt(s.ab) - BigInt(s.a) * BigInt(s.b);
  const varA = N * BigInt(s.aa) - BigInt(s.a) ** 2n;
  const varB = N * BigInt(s.bb) - BigInt(s.b) ** 2n;
  if (varA === 0n || varB === 0n) return varA === varB ? 1 : 0;
  return Number(cov) / Math.sqrt(Number(varA) * Number(varB));
}

export const VIDEO_METRICS_PARAMS = new UniformLayout(LABEL, {
  frames: 'u32',
  pixels: 'u32',
  chunk_pixels: 'u32',
  chunks: 'u32',
});

export type VideoMetricsBuffers = 'frames' | 'partials';

/**
 * `bind({frames, partials})` with params = the frame geometry; `partials` needs
 * `videoMetricsPartialWords(shape)` u32 words. Read them back once, then `videoMetricsFromPartials`.
 */
export class VideoMetricsKernel extends TypedKernel<VideoMetricsBuffers, FrameGeometry> {
  constructor(device: GPUDevice) {
    super(device, code, LABEL, ['frames', 'partials'], VIDEO_METRICS_PARAMS);
  }

  plan(shape: FrameGeometry): DispatchPlan<VideoMetricsBuffers> {
    const pixels = checkGeometry(LABEL, shape, 2);
    const chunks = Math.ceil(pixels / CHUNK_PIXELS);
    const groups = (shape.frames - 1) * chunks;
    return {
      uniform: VIDEO_METRICS_PARAMS.pack({ frames: shape.frames, pixels, chunk_pixels: CHUNK_PIXELS, chunks }),
      // Whole workgroups: the kernel maps workgroup ids to (pair, chunk).
      invocations: groups * this.workgroupSize,
      bytes: { frames: 4 * shape.frames * pixels, partials: 4 * groups * SUMS },
    };
  }
}
