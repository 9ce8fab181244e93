import { describe, expect, it } from 'vitest';
import { framesToRgba, toByte } from './frames_to_rgba';
import { roundingEdgeValues, unorm8Bits } from './testing/rounding';

/** Independent definition: the byte is the number of thresholds (k - 1/2) / 255, k = 1..255, that v reaches. */
function byteByThresholds(x: number): number {
  const v = Math.min(1, Math.max(0, Math.fround(x * 0.5 + 0.5)));
  let k = 0;
  while (k < 255 && 510 * v >= 2 * (k + 1) - 1) k++; // 510 v is exact in float64
  return k;
}

describe('frames_to_rgba twin', () => {
  it('rounds half up exactly at every byte boundary', () => {
    const xs = roundingEdgeValues();
    let checked = 0;
    for (const x of xs) {
      expect(toByte(x), `x=${x}`).toBe(byteByThresholds(x));
      checked++;
    }
    expect(checked).toBeGreaterThan(255 * 4);
    expect([toByte(-1), toByte(0), toByte(1), toByte(-3), toByte(7), toByte(Number.NaN)]).toEqual([
      0, 128, 255, 0, 255, 0,
    ]);
  });

  it("agrees with the kernel's integer algorithm (emulated on its float32 bits) on edges and random values", () => {
    const xs = [
      ...roundingEdgeValues(),
      ...Array.from({ length: 100_000 }, (_, i) => Math.fround(Math.sin(i * 12.9898) * 1.1)),
    ];
    for (const x of xs)
      expect(unorm8Bits(Math.min(1, Math.max(0, Math.fround(x * 0.5 + 0.5)))), `x=${x}`).toBe(toByte(x));
  });

  it('packs (1, 3, T, H, W) planes into RGBA words with opaque alpha', () => {
    // 2 frames of 1 x 2: channel planes r, g, b.
    const video = Float32Array.from([-1, 1, 0, 0.5, /* g */ 1, -1, 0, -0.5, /* b */ 0, 0, 1, -1]);
    const words = framesToRgba(video, { frames: 2, height: 1, width: 2 });
    const bytes = Array.from(new Uint8Array(words.buffer));
    expect(bytes).toEqual([0, 255, 128, 255, 255, 0, 128, 255, 128, 128, 255, 255, 191, 64, 0, 255]);
    expect(() => framesToRgba(video, { frames: 3, height: 1, width: 2 })).toThrow(
      /frames_to_rgba: video has 12 values, \(1, 3, 3, 1, 2\) needs 18/,
    );
  });
});
