import { describe, expect, it } from 'vitest';
import {
  cosSinTurn,
  gaussianNoise,
  lnF32,
  multiscaleLevels,
  multiscaleWeights,
  noiseParams,
  philox4x32,
  priorNoise,
} from './noise';

const hex = (xs: number[]) => xs.map((x) => x.toString(16).padStart(8, '0'));

describe('philox4x32-10', () => {
  // Known-answer vectors published with Random123 (kat_vectors, philox4x32 10 rounds).
  it('matches the Random123 known answers', () => {
    expect(hex(philox4x32([0, 0, 0, 0], [0, 0]))).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    const f = 0xffffffff;
    expect(hex(philox4x32([f, f, f, f], [f, f]))).toEqual(['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
    expect(hex(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]))).toEqual([
      'd16cfe09',
      '94fdcceb',
      '5001e420',
      '24126ea1',
    ]);
  });
});

describe('gaussianNoise', () => {
  it('is standard normal and reproducible per (seed, stream)', () => {
    const a = gaussianNoise(200_000, 1234, 0);
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    const variance = a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.01);
    expect(gaussianNoise(1000, 1234, 0)).toEqual(a.subarray(0, 1000));
    const other = gaussianNoise(1000, 1234, 1);
    expect(other).not.toEqual(a.subarray(0, 1000));
  });
});

describe('f32 polynomials of the noise kernel', () => {
  it('track Math.log, Math.cos and Math.sin closely', () => {
    let worstLn = 0;
    let worstTrig = 0;
    for (let i = 1; i < 20000; i++) {
      const u = (i - 0.5) / 20000;
      worstLn = Math.max(worstLn, Math.abs(lnF32(u) - Math.log(u)) / Math.max(1, Math.abs(Math.log(u))));
      const [c, s] = cosSinTurn(u);
      worstTrig = Math.max(worstTrig, Math.abs(c - Math.cos(2 * Math.PI * u)), Math.abs(s - Math.sin(2 * Math.PI * u)));
    }
    expect(worstLn).toBeLessThan(1e-6);
    expect(worstTrig).toBeLessThan(1e-6);
  });
});

describe('priorNoise (multiscale)', () => {
  const prior = { discount: 0.8, frames: 16, height: 16, width: 16 };
  const count = 4 * 16 * 16 * 16;

  it('is white noise when the discount is 0', () => {
    expect(priorNoise(count, 5, 1, { ...prior, discount: 0 })).toEqual(gaussianNoise(count, 5, 1));
    expect(priorNoise(count, 5, 1, undefined)).toEqual(gaussianNoise(count, 5, 1));
  });

  it('keeps unit variance and puts energy in coarse blocks, as the model was trained', () => {
    expect(multiscaleLevels(16, 16, 16)).toBe(4);
    expect(multiscaleLevels(16, 40, 64)).toBe(6);
    const w = multiscaleWeights(0.8, 4);
    expect(w.reduce((s, x) => s + x * x, 0)).toBeCloseTo(1, 6);
    let sum = 0;
    let sq = 0;
    let blockVar = 0;
    const clips = 24;
    for (let seed = 0; seed < clips; seed++) {
      const n = priorNoise(count, seed, 0, prior);
      for (const v of n) {
        sum += v;
        sq += v * v;
      }
      // 4x4 blocks averaged over all 16 frames, one channel: white noise alone gives 1/256.
      for (let by = 0; by < 4; by++) {
        for (let bx = 0; bx < 4; bx++) {
          let m = 0;
          for (let t = 0; t < 16; t++)
            for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) m += n[(t * 16 + by * 4 + y) * 16 + bx * 4 + x];
          blockVar += (m / 256) ** 2 / (16 * clips);
        }
      }
    }
    const mean = sum / (count * clips);
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(Math.abs(sq / (count * clips) - 1)).toBeLessThan(0.05);
    expect(blockVar).toBeGreaterThan(0.1);
  });

  it('refuses a latent the kernel has too few level weights for', () => {
    expect(() => noiseParams(1, 0, 0, { discount: 0.5, frames: 1, height: 1, width: 256 })).toThrow(/8 noise levels/);
  });
});
