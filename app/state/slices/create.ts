/** Create slice: the prompt and the settings the next generation uses. */
import type { StateCreator } from 'zustand/vanilla';
import { clamp, MAX_SEED, type SettingLimits, STUDIO_DEFAULT_LIMITS } from '../limits';
import type { Studio } from '../store';
import type { UrlSettings } from '../url-settings';

export interface CreateState {
  prompt: string;
  steps: number;
  guidance: number;
  motion: number;
  seed: number;
  /** Locked: the next run uses `seed`. Unlocked: a fresh random seed per run. */
  seedLocked: boolean;
  limits: SettingLimits;
}

/** The three settings a model's ranges govern. */
export type SettingValues = Pick<CreateState, 'steps' | 'guidance' | 'motion'>;

export const initialCreate: CreateState = {
  prompt: '',
  steps: STUDIO_DEFAULT_LIMITS.steps.default,
  guidance: STUDIO_DEFAULT_LIMITS.guidance.default,
  motion: STUDIO_DEFAULT_LIMITS.motion.default,
  seed: 42,
  seedLocked: false,
  limits: STUDIO_DEFAULT_LIMITS,
};

export interface CreateSlice {
  create: CreateState;
  setPrompt(prompt: string): void;
  setSteps(steps: number): void;
  setGuidance(w: number): void;
  setMotion(m: number): void;
  setSeed(seed: number): void;
  setSeedLocked(locked: boolean): void;
  /**
   * Switch to a model's ranges; values outside them are clamped. Returns one notice per change.
   * resetToDefaults takes the model's defaults instead, except for a setting that differs from
   * `movedSince` (a snapshot taken before the model was read): the user moved it meanwhile, so it stays.
   */
  applyLimits(limits: SettingLimits, resetToDefaults: boolean, movedSince?: SettingValues): string[];
  applyUrlSettings(values: UrlSettings): void;
}

/** A whole number in [0, 2^32 - 1]; anything else becomes the nearest such number. */
export const toSeed = (n: number): number => (Number.isFinite(n) ? clamp(Math.round(n), 0, MAX_SEED) : 0);

export const createCreateSlice: StateCreator<Studio, [], [], CreateSlice> = (set, get) => {
  const patch = (p: Partial<CreateState>) => set((s) => ({ create: { ...s.create, ...p } }));
  const lim = () => get().create.limits;
  return {
    create: initialCreate,
    setPrompt: (prompt) => patch({ prompt }),
    setSteps: (steps) => patch({ steps: clamp(Math.round(steps), lim().steps.min, lim().steps.max) }),
    setGuidance: (w) => patch({ guidance: clamp(w, lim().guidance.min, lim().guidance.max) }),
    setMotion: (m) => patch({ motion: clamp(m, lim().motion.min, lim().motion.max) }),
    setSeed: (seed) => patch({ seed: toSeed(seed) }),
    setSeedLocked: (seedLocked) => patch({ seedLocked }),
    applyLimits: (limits, resetToDefaults, movedSince) => {
      const c = get().create;
      if (resetToDefaults) {
        const pick = (key: keyof SettingValues) =>
          movedSince && c[key] !== movedSince[key]
            ? clamp(c[key], limits[key].min, limits[key].max)
            : limits[key].default;
        patch({ limits, steps: Math.round(pick('steps')), guidance: pick('guidance'), motion: pick('motion') });
        return [];
      }
      const notices: string[] = [];
      const fit = (name: string, v: number, r: { min: number; max: number }) => {
        const c2 = clamp(v, r.min, r.max);
        if (c2 !== v) notices.push(`${name} ${v} is outside this model's range ${r.min}–${r.max}; using ${c2}.`);
        return c2;
      };
      patch({
        limits,
        steps: fit('Steps', c.steps, limits.steps),
        guidance: fit('Guidance scale w', c.guidance, limits.guidance),
        motion: fit('Motion strength', c.motion, limits.motion),
      });
      return notices;
    },
    applyUrlSettings: (v) =>
      patch({
        ...(v.prompt !== undefined && { prompt: v.prompt }),
        ...(v.steps !== undefined && { steps: v.steps }),
        ...(v.guidance !== undefined && { guidance: v.guidance }),
        ...(v.motion !== undefined && { motion: v.motion }),
        ...(v.seed !== undefined && { seed: v.seed, seedLocked: true }),
      }),
  };
};
