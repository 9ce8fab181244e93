/**
 * Ranking reward scores across the clips in the compare view: the best clip per score, sorting
 * by one score, and bar lengths. Direction comes from each score's `higherIsBetter`.
 */
import type { Score } from '../engine/protocol';

export interface ScoredClip {
  id: string;
  scores: Score[];
}

/** One row of the compare legend: a score id with the label, description and direction it carries. */
export interface ScoreColumn {
  id: string;
  label: string;
  description: string;
  higherIsBetter: boolean;
  kind: Score['kind'];
}

/** Every score id present in any clip, in first-seen order (rewards before metrics as the engine sends them). */
export function scoreColumns(clips: ScoredClip[]): ScoreColumn[] {
  const columns = new Map<string, ScoreColumn>();
  for (const c of clips) {
    for (const s of c.scores) {
      if (!columns.has(s.id))
        columns.set(s.id, {
          id: s.id,
          label: s.label,
          description: s.description,
          higherIsBetter: s.higherIsBetter,
          kind: s.kind,
        });
    }
  }
  return [...columns.values()];
}

export function scoreOf(clip: ScoredClip, id: string): number | undefined {
  const v = clip.scores.find((s) => s.id === id)?.value;
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

/**
 * The ids of the best clip(s) for each score (ties all count as best). A score is only ranked
 * when at least two clips have it: "best of one" says nothing.
 */
export function bestPerScore(clips: ScoredClip[]): Map<string, Set<string>> {
  const best = new Map<string, Set<string>>();
  for (const col of scoreColumns(clips)) {
    const valued = clips.flatMap((c) => {
      const v = scoreOf(c, col.id);
      return v === undefined ? [] : [{ id: c.id, v }];
    });
    if (valued.length < 2) continue;
    const target = col.higherIsBetter ? Math.max(...valued.map((x) => x.v)) : Math.min(...valued.map((x) => x.v));
    best.set(col.id, new Set(valued.filter((x) => x.v === target).map((x) => x.id)));
  }
  return best;
}

/** Clips ordered best-first by one score; clips without it go last, ties keep their order. */
export function sortByScore<T extends ScoredClip>(clips: T[], id: string): T[] {
  const col = scoreColumns(clips).find((c) => c.id === id);
  if (!col) return [...clips];
  const sign = col.higherIsBetter ? -1 : 1;
  return clips
    .map((c, i) => ({ c, i, v: scoreOf(c, id) }))
    .sort((a, b) => {
      if (a.v === undefined || b.v === undefined) return (a.v === undefined ? 1 : 0) - (b.v === undefined ? 1 : 0);
      return sign * (a.v - b.v) || a.i - b.i;
    })
    .map((x) => x.c);
}

/**
 * Bar length in [0.08, 1] for one value among the compared clips: the span of values shown maps
 * onto the bar so differences are visible; a floor keeps the worst bar visible. "Better" is always
 * longer, so a lower-is-better score (flicker) is flipped.
 */
export function barFraction(value: number, all: number[], higherIsBetter: boolean): number {
  const finite = all.filter(Number.isFinite);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  if (!(hi > lo)) return 1;
  const t = (value - lo) / (hi - lo);
  return 0.08 + 0.92 * (higherIsBetter ? t : 1 - t);
}

/** Three significant digits for the usual score ranges; whole numbers above 1000; exponents for the tiny. */
export function formatScore(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1000) return String(Math.round(v));
  if (a !== 0 && a < 0.001) return v.toExponential(2);
  const s = v.toPrecision(3);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}
