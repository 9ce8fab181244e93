import { describe, expect, it } from 'vitest';
import { videoMetrics } from './video_metrics';

const pack = (r: number, g: number, b: number) => (r | (g << 8) | (b << 16) | (255 << 24)) >>> 0;

/** A clip from a per-pixel function of (t, y, x) -> [r, g, b]. */
function clip(T: number, H: number, W: number, fn: (t: number, y: number, x: number) => number[]): Uint32Array {
  const out = new Uint32Array(T * H * W);
  for (let t = 0; t < T; t++) {
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) out[(t * H + y) * W + x] = pack(...(fn(t, y, x) as [number, number, number]));
  }
  return out;
}

/** The metrics by their definitions, in float64 with two-pass statistics (independent of the sums). */
function reference(frames: Uint32Array, T: number, pixels: number) {
  const values = (t: number) =>
    Array.from(
      { length: pixels * 3 },
      (_, k) => ((frames[t * pixels + Math.floor(k / 3)] >>> (8 * (k % 3))) & 0xff) / 255,
    );
  const x = Array.from({ length: T }, (_, t) => values(t));
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const motion = mean(Array.from({ length: T - 1 }, (_, t) => mean(x[t + 1].map((b, k) => Math.abs(b - x[t][k])))));
  const flicker =
    T < 3
      ? 0
      : mean(
          Array.from({ length: T - 2 }, (_, i) =>
            mean(x[i + 2].map((b, k) => Math.abs(b - 2 * x[i + 1][k] + x[i][k]))),
          ),
        );
  const corr = (a: number[], b: number[]) => {
    const ma = mean(a);
    const mb = mean(b);
    const cov = mean(a.map((v, k) => (v - ma) * (b[k] - mb)));
    return cov / Math.sqrt(mean(a.map((v) => (v - ma) ** 2)) * mean(b.map((v) => (v - mb) ** 2)));
  };
  const consistency = mean(Array.from({ length: T - 1 }, (_, t) => corr(x[t], x[t + 1])));
  return { motion, flicker, consistency };
}

describe('videoMetrics twin', () => {
  it('matches the definitions computed directly (float64, 1e-12)', () => {
    let s = 5;
    const rand = () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s >>> 24;
    };
    // A moving gradient with noise: all three metrics are non-trivial.
    const frames = clip(5, 12, 16, (t, y, x) => [(x * 12 + t * 20) % 256, (y * 20) % 256, rand()]);
    const m = videoMetrics(frames, { frames: 5, height: 12, width: 16 });
    const r = reference(frames, 5, 12 * 16);
    expect(Math.abs(m.motion - r.motion)).toBeLessThan(1e-12);
    expect(Math.abs(m.flicker - r.flicker)).toBeLessThan(1e-12);
    expect(Math.abs(m.consistency - r.consistency)).toBeLessThan(1e-12);
    expect(m.motionCurve).toHaveLength(4);
    expect(m.flickerCurve).toHaveLength(3);
    expect(m.consistencyCurve).toHaveLength(4);
  });

  it('scores a still clip 0 motion, 0 flicker, consistency 1', () => {
    const m = videoMetrics(
      clip(4, 8, 8, (_, y, x) => [x * 30, y * 30, 7]),
      { frames: 4, height: 8, width: 8 },
    );
    expect([m.motion, m.flicker, m.consistency]).toEqual([0, 0, 1]);
  });

  it('separates a steady fade (no flicker, consistent) from a pulsing one (flicker)', () => {
    const shape = { frames: 6, height: 8, width: 8 };
    const fade = videoMetrics(
      clip(6, 8, 8, (t, y, x) => [x * 20 + t * 10, y * 20 + t * 10, 100 + t * 10]),
      shape,
    );
    expect(fade.motion).toBeCloseTo(10 / 255, 12);
    expect(fade.flicker).toBe(0);
    expect(fade.consistency).toBeCloseTo(1, 12);
    const pulse = videoMetrics(
      clip(6, 8, 8, (t, y, x) => [x * 20 + (t % 2) * 10, y * 20 + (t % 2) * 10, 100 + (t % 2) * 10]),
      shape,
    );
    expect(pulse.motion).toBeCloseTo(10 / 255, 12);
    expect(pulse.flicker).toBeCloseTo(20 / 255, 12);
  });

  it('counts two flat frames as consistent, and needs two frames', () => {
    const flat = videoMetrics(
      clip(2, 2, 2, (t) => [t * 50, t * 50, t * 50]),
      { frames: 2, height: 2, width: 2 },
    );
    expect(flat.consistency).toBe(1);
    expect(flat.flicker).toBe(0);
    expect(() => videoMetrics(new Uint32Array(4), { frames: 1, height: 2, width: 2 })).toThrow(
      /video_metrics: needs at least 2 frames, got 1/,
    );
  });
});
