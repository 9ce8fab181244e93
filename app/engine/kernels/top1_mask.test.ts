import { describe, expect, it } from 'vitest';
import { top1Mask } from './top1_mask';

describe('top1Mask twin', () => {
  it('marks the argmax of each row, the first one on ties', () => {
    const attn = Float32Array.from([0.1, 0.7, 0.2, /**/ 0.5, 0.5, 0, /**/ 0, 0, 0, /**/ -1, -3, -0.5]);
    expect(Array.from(top1Mask(attn, { rows: 4, cols: 3 }))).toEqual([0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1]);
  });

  it('agrees with indexOf(max) on softmax rows', () => {
    const rows = 500;
    const cols = 16;
    const attn = new Float32Array(rows * cols);
    let s = 1;
    for (let i = 0; i < attn.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      attn[i] = Math.fround(Math.exp((s % 1000) / 250));
    }
    const mask = top1Mask(attn, { rows, cols });
    for (let r = 0; r < rows; r++) {
      const row = Array.from(attn.subarray(r * cols, (r + 1) * cols));
      const expected = row.map((_, c) => (c === row.indexOf(Math.max(...row)) ? 1 : 0));
      expect(Array.from(mask.subarray(r * cols, (r + 1) * cols))).toEqual(expected);
    }
    expect(() => top1Mask(attn, { rows, cols: 15 })).toThrow(
      /top1_mask: attn \(8000\) and out \(8000\) must hold rows x cols = 7500/,
    );
  });
});
