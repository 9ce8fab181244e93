import { describe, expect, it } from 'vitest';
import { motionMap, RAMP, rampColour } from './motion_map';

const rgbOf = (word: number) => [word & 0xff, (word >>> 8) & 0xff, (word >>> 16) & 0xff, word >>> 24];
const grey = (v: number) => (v | (v << 8) | (v << 16) | (255 << 24)) >>> 0;

describe('motion map colours', () => {
  it('runs from the first to the last ramp colour, through the control points', () => {
    expect(rgbOf(rampColour(0))).toEqual([...RAMP[0], 255]);
    expect(rgbOf(rampColour(0.5))).toEqual([...RAMP[4], 255]);
    expect(rgbOf(rampColour(1))).toEqual([...RAMP[8], 255]);
    expect(rgbOf(rampColour(7))).toEqual([...RAMP[8], 255]);
    expect(rgbOf(rampColour(1 / 16))).toEqual([70, 23, 104, 255]); // halfway between the first two points
  });

  it('gets brighter along the ramp (perceptual order: luma increases)', () => {
    let previous = -1;
    for (let i = 0; i <= 64; i++) {
      const [r, g, b] = rgbOf(rampColour(i / 64));
      const luma = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      expect(luma).toBeGreaterThan(previous);
      previous = luma;
    }
  });
});

describe('motionMap twin', () => {
  it('is dark where nothing moves and bright where a square moved, at box resolution', () => {
    // 3 frames of 16 x 16 grey; a white 4 x 4 square jumps from (0, 0) to (8, 8) to (8, 12).
    const T = 3;
    const frames = new Uint32Array(T * 256).fill(grey(40));
    const square = (t: number, y0: number, x0: number) => {
      for (let y = y0; y < y0 + 4; y++) for (let x = x0; x < x0 + 4; x++) frames[t * 256 + y * 16 + x] = grey(255);
    };
    square(0, 0, 0);
    square(1, 8, 8);
    square(2, 8, 12);
    const map = motionMap(frames, { input: { frames: T, height: 16, width: 16 }, height: 4, width: 4, gain: 1 });
    expect(map.length).toBe(2 * 16);
    const cell = (t: number, y: number, x: number) => map[(t * 4 + y) * 4 + x];
    const full = rampColour((255 - 40) / 255); // a whole 4 x 4 box changed
    expect(cell(0, 0, 0)).toBe(full);
    expect(cell(0, 2, 2)).toBe(full);
    expect(cell(0, 1, 1)).toBe(rampColour(0));
    expect(cell(1, 2, 2)).toBe(full);
    expect(cell(1, 2, 3)).toBe(full);
    expect(cell(1, 0, 0)).toBe(rampColour(0));
  });

  it('averages over boxes of uneven size (10 -> 4: boxes of 2 and 3 pixels)', () => {
    const frames = new Uint32Array(2 * 100).fill(grey(0));
    frames[100 + 0] = grey(255); // one changed pixel in the 2 x 2 box (0, 0)
    frames[100 + 9 * 10 + 9] = grey(255); // one in the 3 x 3 box (3, 3)
    const map = motionMap(frames, { input: { frames: 2, height: 10, width: 10 }, height: 4, width: 4, gain: 4 });
    expect(map[0]).toBe(rampColour(Math.fround(4 * Math.fround(1 / 4))));
    expect(map[15]).toBe(rampColour(Math.fround(4 * Math.fround(1 / 9))));
    expect(() =>
      motionMap(frames, { input: { frames: 2, height: 10, width: 10 }, height: 4, width: 4, gain: 0 }),
    ).toThrow(/motion_map: gain must be a positive number, got 0/);
  });
});
