import { describe, expect, it } from 'vitest';
import { STUDIO_DEFAULT_LIMITS } from './limits';
import { type RunSettings, spread, sweepPoints } from './sweep';

const base: RunSettings = { prompt: 'p', steps: 4, guidance: 7.5, motion: 0.5, seed: 4294967295, useReference: true };
const limits = STUDIO_DEFAULT_LIMITS;

describe('sweeps', () => {
  it('spread values evenly across the range, rounded, without duplicates', () => {
    expect(spread(5, 15, 5, 2)).toEqual([5, 7.5, 10, 12.5, 15]);
    expect(spread(0, 1, 3, 2)).toEqual([0, 0.5, 1]);
    expect(spread(1, 2, 6, 0)).toEqual([1, 2]);
    expect(spread(3, 9, 1, 0)).toEqual([3]);
  });

  it('vary only the chosen setting', () => {
    const w = sweepPoints('guidance', 3, base, limits);
    expect(w.map((p) => p.overrides)).toEqual([{ guidance: 5 }, { guidance: 10 }, { guidance: 15 }]);
    expect(w[1].label).toBe('w = 10');
    expect(sweepPoints('motion', 2, base, limits).map((p) => p.overrides)).toEqual([{ motion: 0 }, { motion: 1 }]);
  });

  it('sweep steps over the recommended 4-8 band first, widening only when asked for more', () => {
    const steps = (n: number) => sweepPoints('steps', n, base, limits).map((p) => p.overrides.steps);
    expect(steps(2)).toEqual([4, 8]);
    expect(steps(4)).toEqual([4, 5, 7, 8]);
    expect(steps(5)).toEqual([4, 5, 6, 7, 8]);
    expect(steps(6)).toEqual([1, 4, 5, 6, 7, 8]);
  });

  it('sweep seeds upward from the base seed, wrapping at 2^32', () => {
    expect(sweepPoints('seed', 3, base, limits).map((p) => p.overrides.seed)).toEqual([4294967295, 0, 1]);
  });

  it('compare reference off and on', () => {
    expect(sweepPoints('reference', 5, base, limits).map((p) => p.overrides)).toEqual([
      { useReference: false },
      { useReference: true },
    ]);
  });
});
