import { describe, expect, it } from 'vitest';
import { MAX_SEED, STUDIO_DEFAULT_LIMITS } from './limits';
import { MAX_PROMPT_CHARS, parseUrlSettings, settingsToSearch, urlModel } from './url-settings';

const limits = STUDIO_DEFAULT_LIMITS; // steps 1-8, w 5-15, motion 0-1

describe('parseUrlSettings', () => {
  it('reads every setting in range without a notice', () => {
    const r = parseUrlSettings('?prompt=a%20red%20circle&seed=42&w=9.5&motion=0.25&steps=6', limits);
    expect(r.values).toEqual({ prompt: 'a red circle', seed: 42, guidance: 9.5, motion: 0.25, steps: 6 });
    expect(r.notices).toEqual([]);
  });

  it('clamps out-of-range values to the limits and says so', () => {
    const r = parseUrlSettings('?w=40&motion=-3&steps=99&seed=99999999999', limits);
    expect(r.values).toEqual({ guidance: 15, motion: 0, steps: 8, seed: MAX_SEED });
    expect(r.notices).toHaveLength(4);
    expect(r.notices[0]).toBe("The URL's guidance scale w 40 is outside 5–15; using 15.");
    expect(r.notices[2]).toContain('steps 99 is outside 1–8; using 8');
  });

  it.each([
    ['w', 'abc'],
    ['w', 'Infinity'],
    ['w', '0x10'],
    ['w', ''],
    ['motion', 'NaN'],
    ['motion', '1e999'],
    ['steps', '4.5'],
    ['steps', 'four'],
    ['seed', '-'],
    ['seed', '1.5'],
  ])('ignores malformed %s=%s with a notice', (key, value) => {
    const r = parseUrlSettings(`?${key}=${encodeURIComponent(value)}`, limits);
    expect(r.values).toEqual({});
    expect(r.notices).toHaveLength(1);
    expect(r.notices[0]).toMatch(/^Ignored the URL's /);
  });

  it('clamps a negative seed to 0', () => {
    expect(parseUrlSettings('?seed=-5', limits).values.seed).toBe(0);
  });

  it('accepts numbers as people write them', () => {
    expect(parseUrlSettings('?w=%2B7&motion=.5', limits).values).toEqual({ guidance: 7, motion: 0.5 });
    expect(parseUrlSettings('?w=1e1', limits).values.guidance).toBe(10);
  });

  it('ignores unknown keys and repeated keys with a notice each, keeping the first value', () => {
    const r = parseUrlSettings('?utm_source=x&steps=4&steps=8', limits);
    expect(r.values).toEqual({ steps: 4 });
    expect(r.notices).toEqual([
      'Ignored the unknown URL setting "utm_source".',
      'The URL gives "steps" more than once; the first value was used.',
    ]);
  });

  it('cuts an over-long prompt and strips control characters, keeping unusual Unicode', () => {
    const long = 'x'.repeat(MAX_PROMPT_CHARS + 50);
    const r = parseUrlSettings(`?prompt=${long}`, limits);
    expect(r.values.prompt).toHaveLength(MAX_PROMPT_CHARS);
    expect(r.notices).toHaveLength(1);
    const u = parseUrlSettings(`?prompt=${encodeURIComponent('un cœur 🚀 ساعة\u0007x\nz')}`, limits);
    expect(u.values.prompt).toBe('un cœur 🚀 ساعة x z');
  });

  it('never throws on garbage', () => {
    for (const s of ['?%', '?=&=&', '?prompt', '?w=%E0%A4%A', '???', `?${'&'.repeat(1000)}`]) {
      expect(() => parseUrlSettings(s, limits)).not.toThrow();
    }
  });

  it('passes the model id through unchecked (boot checks it against the bundled list)', () => {
    expect(parseUrlSettings('?model=micro&steps=4', limits)).toEqual({
      values: { model: 'micro', steps: 4 },
      notices: [],
    });
    expect(urlModel('?steps=4&model=%20demo%20&model=micro')).toBe('demo');
    expect(urlModel('?model=')).toBeUndefined();
    expect(urlModel('?steps=4')).toBeUndefined();
  });

  it('follows the limits it is given (a model with other ranges)', () => {
    const other = { ...limits, guidance: { min: 2, max: 25, default: 7.5 } };
    expect(parseUrlSettings('?w=20', other).values.guidance).toBe(20);
  });
});

describe('settingsToSearch', () => {
  const base = { prompt: 'a b', seed: 7, seedLocked: false, guidance: 7.5, motion: 0.5, steps: 4 };
  it('writes the seed only when it is locked', () => {
    expect(settingsToSearch(base)).toBe('?prompt=a+b&w=7.5&motion=0.5&steps=4');
    expect(settingsToSearch({ ...base, seedLocked: true })).toContain('seed=7');
  });
  it('names the bundled model first, when there is one', () => {
    expect(settingsToSearch({ ...base, model: 'micro' })).toBe('?model=micro&prompt=a+b&w=7.5&motion=0.5&steps=4');
  });
  it('round-trips through the parser', () => {
    const search = settingsToSearch({ ...base, seedLocked: true, prompt: 'été & "quotes" ✓' });
    const r = parseUrlSettings(search, limits);
    expect(r.notices).toEqual([]);
    expect(r.values).toEqual({ prompt: 'été & "quotes" ✓', seed: 7, guidance: 7.5, motion: 0.5, steps: 4 });
  });
});
