import { describe, expect, it } from 'vitest';
import { cosSinTurn, gaussianNoise, lnF32, philox4x32 } from './noise';

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
