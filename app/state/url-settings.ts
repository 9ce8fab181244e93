/**
 * Create settings in the page URL (`?model=…&prompt=…&seed=…&w=…&motion=…&steps=…`), so a clip can
 * be shared and re-made. Parsing never throws: out-of-range values are clamped and malformed ones
 * ignored, each with a notice a user can read. `model` names the bundled package to load at start;
 * it is checked against the bundled list (package-source.ts `chooseBundled`), not here.
 */
import { clamp, MAX_SEED, type SettingLimits } from './limits';

export interface UrlSettings {
  /** Id of a bundled model package, as written (not yet checked against what the build bundles). */
  model?: string;
  prompt?: string;
  /** Present only when the URL pins a seed; the seed is then locked. */
  seed?: number;
  guidance?: number;
  motion?: number;
  steps?: number;
}

export interface ParsedUrlSettings {
  values: UrlSettings;
  notices: string[];
}

/** Prompts longer than this are cut; the tokenizer keeps far fewer tokens anyway. */
export const MAX_PROMPT_CHARS = 1000;

const KNOWN = ['model', 'prompt', 'seed', 'w', 'motion', 'steps'] as const;
type Key = (typeof KNOWN)[number];

/** A decimal number as people type it: no hex, no "Infinity", no empty string. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

export function parseUrlSettings(search: string, limits: SettingLimits): ParsedUrlSettings {
  const params = new URLSearchParams(search);
  const values: UrlSettings = {};
  const notices: string[] = [];
  const seen = new Set<string>();

  for (const [key, raw] of params) {
    if (!(KNOWN as readonly string[]).includes(key)) {
      notices.push(`Ignored the unknown URL setting "${short(key)}".`);
      continue;
    }
    if (seen.has(key)) {
      notices.push(`The URL gives "${key}" more than once; the first value was used.`);
      continue;
    }
    seen.add(key);
    readOne(key as Key, raw.trim(), limits, values, notices);
  }
  return { values, notices };
}

function readOne(key: Key, raw: string, limits: SettingLimits, values: UrlSettings, notices: string[]): void {
  switch (key) {
    case 'model':
      values.model = raw;
      return;
    case 'prompt': {
      // Control characters (newlines included) have no place in a one-line prompt.
      const prompt = raw.replace(/\p{Cc}+/gu, ' ');
      if (prompt.length > MAX_PROMPT_CHARS) {
        notices.push(`The URL's prompt was cut to ${MAX_PROMPT_CHARS} characters.`);
        values.prompt = prompt.slice(0, MAX_PROMPT_CHARS);
      } else values.prompt = prompt;
      return;
    }
    case 'seed': {
      if (!INTEGER.test(raw)) {
        notices.push(`Ignored the URL's seed "${short(raw)}": a seed is a whole number from 0 to ${MAX_SEED}.`);
        return;
      }
      values.seed = clamped('seed', Number(raw), 0, MAX_SEED, notices);
      return;
    }
    case 'steps': {
      const r = limits.steps;
      if (!INTEGER.test(raw)) {
        notices.push(`Ignored the URL's steps "${short(raw)}": steps is a whole number from ${r.min} to ${r.max}.`);
        return;
      }
      values.steps = clamped('steps', Number(raw), r.min, r.max, notices);
      return;
    }
    case 'w':
    case 'motion': {
      const r = key === 'w' ? limits.guidance : limits.motion;
      const name = key === 'w' ? 'guidance scale w' : 'motion strength';
      const n = Number(raw);
      if (!DECIMAL.test(raw) || !Number.isFinite(n)) {
        notices.push(`Ignored the URL's ${name} "${short(raw)}": it must be a number from ${r.min} to ${r.max}.`);
        return;
      }
      const v = clamped(name, n, r.min, r.max, notices);
      if (key === 'w') values.guidance = v;
      else values.motion = v;
      return;
    }
    default: {
      const never: never = key;
      throw new Error(`unhandled URL key ${never}`);
    }
  }
}

function clamped(name: string, n: number, lo: number, hi: number, notices: string[]): number {
  const v = clamp(n, lo, hi);
  if (v !== n) notices.push(`The URL's ${name} ${n} is outside ${lo}–${hi}; using ${v}.`);
  return v;
}

/** Keeps notices readable when a URL carries something huge. */
function short(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** The first `model` value of a query string: the bundled package to load at start-up. */
export function urlModel(search: string): string | undefined {
  return new URLSearchParams(search).get('model')?.trim() || undefined;
}

/**
 * The query string for the current settings; the seed only when it is locked (else it would
 * mislead), the model when it is a bundled one (a picked folder cannot be shared).
 */
export function settingsToSearch(s: {
  model?: string;
  prompt: string;
  seed: number;
  seedLocked: boolean;
  guidance: number;
  motion: number;
  steps: number;
}): string {
  const p = new URLSearchParams();
  if (s.model) p.set('model', s.model);
  if (s.prompt) p.set('prompt', s.prompt);
  if (s.seedLocked) p.set('seed', String(s.seed));
  p.set('w', String(s.guidance));
  p.set('motion', String(s.motion));
  p.set('steps', String(s.steps));
  return `?${p.toString()}`;
}
