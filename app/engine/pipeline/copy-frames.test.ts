import { describe, expect, it } from 'vitest';
import { frameRuns, type Ops } from './ops';
import { CpuOps } from './ops-cpu';

describe('copyFrames (chunked VAE decoding)', () => {
  it('moves frames between (N, C, T, H, W) tensors of different T, plane by plane', () => {
    const ops: Ops = new CpuOps();
    const [C, T, H, W] = [3, 4, 2, 2];
    const src = ops.fromHost(
      Float32Array.from({ length: C * T * H * W }, (_, i) => i),
      [1, C, T, H, W],
      'src',
    );
    const chunk = ops.alloc([1, C, 2, H, W], 'chunk');
    const back = ops.fromHost(new Float32Array(C * T * H * W), [1, C, T, H, W], 'back');
    for (let t = 0; t < T; t += 2) {
      ops.copyFrames(src, t, chunk, 0, 2);
      ops.copyFrames(chunk, 0, back, t, 2);
    }
    expect(ops.feed(back).data).toEqual(ops.feed(src).data);
    ops.copyFrames(src, 3, chunk, 1, 1);
    // chunk[c, 1] = src[c, 3]: channel 1 of src starts at 16, its frame 3 at 16 + 12.
    expect(Array.from((ops.feed(chunk).data as Float32Array).slice(8 + 4, 8 + 8))).toEqual([28, 29, 30, 31]);
  });

  it('refuses shapes that differ beyond T and ranges outside the tensors', () => {
    expect(() => frameRuns([1, 3, 4, 2, 2], 0, [1, 3, 1, 2, 3], 0, 1)).toThrow(/differ only in T/);
    expect(() => frameRuns([1, 3, 4, 2, 2], 3, [1, 3, 1, 2, 2], 0, 2)).toThrow(/out of range/);
    expect(frameRuns([1, 2, 4, 1, 3], 1, [1, 2, 1, 1, 3], 0, 1)).toEqual([
      { from: 3, to: 0, length: 3 },
      { from: 15, to: 3, length: 3 },
    ]);
  });
});
