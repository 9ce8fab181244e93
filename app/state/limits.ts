/**
 * The ranges the create controls allow. They come from the loaded model's manifest; until one is
 * read, the studio uses the demo model's documented values so the controls are never empty.
 */
import type { Manifest } from '../engine/manifest/schema';

export interface Range {
  min: number;
  max: number;
  default: number;
}

export interface StepRange extends Range {
  /** Step counts the model was tuned for; shown first. */
  recommended: number[];
}

export interface SettingLimits {
  steps: StepRange;
  /** Guidance scale w the student is conditioned on. */
  guidance: Range;
  motion: Range;
  /** Frames per clip: a reference video must hold at least this many. */
  frames: number;
  fps: number;
  /** Reference strength lambda; absent when the model has no motion-guidance graph. */
  lambda?: Range;
}

/** The largest 32-bit unsigned seed. */
export const MAX_SEED = 0xffff_ffff;

export const STUDIO_DEFAULT_LIMITS: SettingLimits = Object.freeze({
  // T2V-Turbo-v2 is distilled for 4-8 steps on a 200-step grid; 4 is its headline setting.
  steps: { min: 1, max: 8, default: 4, recommended: [4, 8] },
  // The paper samples w in [5, 15] during distillation and defaults to 7.5 at inference.
  guidance: { min: 5, max: 15, default: 7.5 },
  motion: { min: 0, max: 1, default: 0.5 },
  // The demo package's geometry: 16 frames at 8 fps.
  frames: 16,
  fps: 8,
  lambda: { min: 0, max: 2000, default: 500 },
});

export function limitsFromManifest(m: Manifest): SettingLimits {
  const { steps, guidance, motion } = m.sampler;
  const mg = m.motion_guidance;
  return {
    steps: { min: steps.min, max: steps.max, default: steps.default, recommended: [...steps.recommended] },
    guidance: { ...guidance },
    motion: { ...motion },
    frames: m.video.frames,
    fps: m.video.fps,
    // The slider reaches 4x the exporter's default so "stronger than tuned" is reachable but bounded.
    lambda: mg ? { min: 0, max: Math.max(4 * mg.lambda, 1), default: mg.lambda } : undefined,
  };
}

/** Slider granularity: about a hundred positions across the range, on a round number. */
export function sliderStep(r: Pick<Range, 'min' | 'max'>): number {
  const span = r.max - r.min;
  if (!(span > 0)) return 1;
  return 10 ** Math.floor(Math.log10(span)) / 100;
}

/** Step counts to offer: the recommended ones first, then the rest of the range in order. */
export function stepChoices(r: StepRange): { recommended: number[]; other: number[] } {
  const recommended = [...new Set(r.recommended)].filter((s) => s >= r.min && s <= r.max).sort((a, b) => a - b);
  // The brief's 4-8 band: every count between the recommended extremes is worth showing first.
  const lo = recommended[0] ?? r.default;
  const hi = recommended[recommended.length - 1] ?? r.default;
  const first: number[] = [];
  for (let s = lo; s <= hi; s++) first.push(s);
  const other: number[] = [];
  for (let s = r.min; s <= r.max; s++) if (!first.includes(s)) other.push(s);
  return { recommended: first, other };
}

export const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
