/**
 * Sweeps for the compare view: variations of one setting at a fixed seed, so the only difference
 * between the clips is the swept setting.
 */
import { type SettingLimits, stepChoices } from './limits';
import type { SweepSetting } from './slices/compare';

export interface RunSettings {
  prompt: string;
  steps: number;
  guidance: number;
  motion: number;
  seed: number;
  /** Whether the motion reference (if one is ready) guides this run. */
  useReference: boolean;
}

export interface SweepPoint {
  /** What differs, for labels: "w = 9", "seed 43", "reference on". */
  label: string;
  overrides: Partial<RunSettings>;
}

export const SWEEP_LABELS: Record<SweepSetting, string> = {
  guidance: 'Guidance scale w',
  motion: 'Motion strength',
  steps: 'Steps',
  seed: 'Seed',
  reference: 'Reference on/off',
};

/** Evenly spaced values across [min, max], rounded to the slider's resolution. */
export function spread(min: number, max: number, count: number, decimals: number): number[] {
  if (count <= 1) return [min];
  const f = 10 ** decimals;
  const values = Array.from({ length: count }, (_, i) => Math.round((min + ((max - min) * i) / (count - 1)) * f) / f);
  return [...new Set(values)];
}

export function sweepPoints(
  setting: SweepSetting,
  count: number,
  base: RunSettings,
  limits: SettingLimits,
): SweepPoint[] {
  switch (setting) {
    case 'guidance':
      return spread(limits.guidance.min, limits.guidance.max, count, 2).map((w) => ({
        label: `w = ${w}`,
        overrides: { guidance: w },
      }));
    case 'motion':
      return spread(limits.motion.min, limits.motion.max, count, 2).map((m) => ({
        label: `motion = ${m}`,
        overrides: { motion: m },
      }));
    case 'steps': {
      // Spread over the band the model was tuned for (4-8) first; widen to the rest of the range only if asked for more.
      const { recommended: band, other } = stepChoices(limits.steps);
      const pick = (pool: number[], n: number) =>
        n <= 0 ? [] : n >= pool.length ? pool : spread(0, pool.length - 1, n, 0).map((i) => pool[i]);
      const chosen = [...pick(band, count), ...pick(other, Math.max(0, count - band.length))];
      return chosen.sort((a, b) => a - b).map((s) => ({ label: `${s} steps`, overrides: { steps: s } }));
    }
    case 'seed':
      return Array.from({ length: count }, (_, i) => {
        const seed = (base.seed + i) >>> 0;
        return { label: `seed ${seed}`, overrides: { seed } };
      });
    case 'reference':
      return [
        { label: 'reference off', overrides: { useReference: false } },
        { label: 'reference on', overrides: { useReference: true } },
      ];
    default: {
      const never: never = setting;
      throw new Error(`unknown sweep setting ${never}`);
    }
  }
}
