import { describe, expect, it } from 'vitest';
import type { Score } from '../engine/protocol';
import { barFraction, bestPerScore, formatScore, scoreColumns, sortByScore } from './scores';

const score = (id: string, value: number, higherIsBetter = true): Score => ({
  id,
  label: id.toUpperCase(),
  description: `about ${id}`,
  value,
  higherIsBetter,
  kind: higherIsBetter ? 'reward' : 'metric',
});

const clips = [
  { id: 'a', scores: [score('align', 0.31), score('flicker', 0.02, false)] },
  { id: 'b', scores: [score('align', 0.35), score('flicker', 0.05, false)] },
  { id: 'c', scores: [score('align', 0.35), score('flicker', 0.01, false), score('extra', 1)] },
];

describe('score ranking', () => {
  it('lists every score once, in first-seen order', () => {
    expect(scoreColumns(clips).map((c) => c.id)).toEqual(['align', 'flicker', 'extra']);
  });

  it('marks the best per score by its direction, ties all best, singletons not ranked', () => {
    const best = bestPerScore(clips);
    expect([...(best.get('align') ?? [])].sort()).toEqual(['b', 'c']);
    expect([...(best.get('flicker') ?? [])]).toEqual(['c']); // lower is better
    expect(best.has('extra')).toBe(false); // only one clip has it
  });

  it('sorts best first, lower-is-better ascending, missing last, stable on ties', () => {
    expect(sortByScore(clips, 'align').map((c) => c.id)).toEqual(['b', 'c', 'a']);
    expect(sortByScore(clips, 'flicker').map((c) => c.id)).toEqual(['c', 'a', 'b']);
    expect(sortByScore(clips, 'extra').map((c) => c.id)).toEqual(['c', 'a', 'b']);
    expect(sortByScore(clips, 'unknown').map((c) => c.id)).toEqual(['a', 'b', 'c']);
  });

  it('ignores non-finite values when ranking', () => {
    const withNaN = [...clips, { id: 'd', scores: [score('align', Number.NaN)] }];
    expect([...(bestPerScore(withNaN).get('align') ?? [])].sort()).toEqual(['b', 'c']);
    expect(sortByScore(withNaN, 'align').at(-1)?.id).toBe('d');
  });

  it('makes better bars longer in both directions, never invisible', () => {
    expect(barFraction(0.35, [0.31, 0.35], true)).toBe(1);
    expect(barFraction(0.31, [0.31, 0.35], true)).toBeCloseTo(0.08);
    expect(barFraction(0.01, [0.01, 0.05], false)).toBe(1);
    expect(barFraction(0.05, [0.01, 0.05], false)).toBeCloseTo(0.08);
    expect(barFraction(3, [3, 3], true)).toBe(1);
  });

  it('formats scores readably', () => {
    expect(formatScore(0.5)).toBe('0.5');
    expect(formatScore(0.31234)).toBe('0.312');
    expect(formatScore(100)).toBe('100');
    expect(formatScore(12345.6)).toBe('12346');
    expect(formatScore(-2.5)).toBe('-2.5');
    expect(formatScore(0.0001234)).toBe('1.23e-4');
    expect(formatScore(0)).toBe('0');
    expect(formatScore(Number.NaN)).toBe('—');
  });
});
