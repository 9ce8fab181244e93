/** Compare slice: 2-6 clips side by side, how they are sorted, and the sweep to make. */
import type { StateCreator } from 'zustand/vanilla';
import type { Studio } from '../store';

export const MAX_COMPARE = 6;
export const MIN_COMPARE = 2;

export type SweepSetting = 'guidance' | 'motion' | 'steps' | 'seed' | 'reference';

export interface CompareState {
  ids: string[];
  /** A score id, or undefined for the order the clips were added in. */
  sortBy?: string;
  sweepSetting: SweepSetting;
  /** How many variations a sweep makes (2-6). */
  sweepCount: number;
}

export const initialCompare: CompareState = { ids: [], sweepSetting: 'guidance', sweepCount: 4 };

export interface CompareSlice {
  compare: CompareState;
  /** Adds or removes a clip; returns false when adding would exceed MAX_COMPARE. */
  toggleCompare(id: string): boolean;
  setCompare(ids: string[]): void;
  clearCompare(): void;
  setSortBy(scoreId: string | undefined): void;
  setSweep(setting: SweepSetting, count?: number): void;
}

export const createCompareSlice: StateCreator<Studio, [], [], CompareSlice> = (set, get) => {
  const patch = (p: Partial<CompareState>) => set((s) => ({ compare: { ...s.compare, ...p } }));
  return {
    compare: initialCompare,
    toggleCompare: (id) => {
      const ids = get().compare.ids;
      if (ids.includes(id)) {
        patch({ ids: ids.filter((i) => i !== id) });
        return true;
      }
      if (ids.length >= MAX_COMPARE) return false;
      patch({ ids: [...ids, id] });
      return true;
    },
    setCompare: (ids) => patch({ ids: [...new Set(ids)].slice(0, MAX_COMPARE) }),
    clearCompare: () => patch({ ids: [], sortBy: undefined }),
    setSortBy: (sortBy) => patch({ sortBy }),
    setSweep: (sweepSetting, count) =>
      patch({
        sweepSetting,
        ...(count !== undefined && { sweepCount: Math.min(MAX_COMPARE, Math.max(MIN_COMPARE, Math.round(count))) }),
      }),
  };
};
