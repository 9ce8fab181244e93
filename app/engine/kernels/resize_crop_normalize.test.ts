/**
 * The resize twin against PyTorch (`interpolate(bilinear, antialias=True)` on the same crop, fixture
 * written by testdata/resize_reference.py) and against a brute-force definition of the filter.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  centreCrop,
  frameWindow,
  type ResizeCropNormalizeParams,
  resizeCropNormalize,
  stridedFrameIndices,
} from './resize_crop_normalize';

interface TorchCase {
  name: string;
  input: { frames: number; height: number; width: number };
  height: number;
  width: number;
  frame_indices: number[];
  mean: [number, number, number];
  std: [number, number, number];
  crop: { x: number; y: number; width: number; height: number };
  rgba_base64: string;
  frames_layout: number[];
}
const torchCases = (
  JSON.parse(readFileSync(join(import.meta.dirname, 'testdata/resize_reference.json'), 'utf8')) as {
    cases: TorchCase[];
  }
).cases;

const words = (bytes: Uint8Array) => new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);

function randomFrames(count: number, seed: number): Uint32Array {
  let s = seed;
  return Uint32Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  });
}

/** The filter by its definition: every crop pixel weighted by the tent around the output centre. */
function bruteForce(frames: Uint32Array, p: ResizeCropNormalizeParams): Float32Array {
  const crop = centreCrop(p.input.height, p.input.width, p.height, p.width);
  const axis = (i: number, out: number, size: number) => {
    const scale = Math.fround(size / out);
    const support = Math.max(scale, 1);
    const w = Array.from({ length: size }, (_, j) => Math.max(0, 1 - Math.abs(j + 0.5 - (i + 0.5) * scale) / support));
    const total = w.reduce((a, b) => a + b, 0);
    return w.map((v) => v / total);
  };
  const T = p.frameIndices.length;
  const out = new Float32Array(T * 3 * p.height * p.width);
  for (let t = 0; t < T; t++) {
    for (let y = 0; y < p.height; y++) {
      const wy = axis(y, p.height, crop.height);
      for (let x = 0; x < p.width; x++) {
        const wx = axis(x, p.width, crop.width);
        for (let c = 0; c < 3; c++) {
          let v = 0;
          for (let sy = 0; sy < crop.height; sy++) {
            for (let sx = 0; sx < crop.width; sx++) {
              const px = frames[(p.frameIndices[t] * p.input.height + crop.y + sy) * p.input.width + crop.x + sx];
              v += wy[sy] * wx[sx] * ((px >>> (8 * c)) & 0xff);
            }
          }
          out[((t * 3 + c) * p.height + y) * p.width + x] = (v / 255 - p.mean[c]) / p.std[c];
        }
      }
    }
  }
  return out;
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('resizeCropNormalize twin', () => {
  it.each(torchCases.map((c) => [c.name, c] as const))(
    'matches PyTorch antialiased bilinear: %s (|err| < 2e-5)',
    (_, c) => {
      const frames = words(Uint8Array.from(Buffer.from(c.rgba_base64, 'base64')));
      expect(centreCrop(c.input.height, c.input.width, c.height, c.width)).toEqual(c.crop);
      const params: ResizeCropNormalizeParams = {
        input: c.input,
        height: c.height,
        width: c.width,
        frameIndices: c.frame_indices,
        mean: c.mean,
        std: c.std,
        layout: 'frames',
      };
      const err = maxDiff(resizeCropNormalize(frames, params), c.frames_layout);
      expect(err).toBeLessThan(2e-5);
    },
  );

  it('equals the brute-force filter on a 1080p-like downscale, in both layouts', () => {
    const input = { frames: 3, height: 54, width: 96 }; // 16:9, cropped to 54 x 54, 6.75 source pixels per output
    const frames = randomFrames(3 * 54 * 96, 7);
    const params: ResizeCropNormalizeParams = {
      input,
      height: 8,
      width: 8,
      frameIndices: [2, 0],
      mean: [0.5, 0.4, 0.3],
      std: [0.5, 0.25, 0.2],
      layout: 'frames',
    };
    const reference = bruteForce(frames, params);
    expect(maxDiff(resizeCropNormalize(frames, params), reference)).toBeLessThan(1e-5);
    // (1, 3, T, H, W): the same values, channel-major.
    const video = resizeCropNormalize(frames, { ...params, layout: 'video' });
    const plane = 64;
    for (let t = 0; t < 2; t++) {
      for (let c = 0; c < 3; c++) {
        expect(video.subarray((c * 2 + t) * plane, (c * 2 + t + 1) * plane)).toEqual(
          resizeCropNormalize(frames, params).subarray((t * 3 + c) * plane, (t * 3 + c + 1) * plane),
        );
      }
    }
  });

  it('does not alias: a one-pixel checkerboard downscaled 8.4x becomes flat grey', () => {
    const h = 84;
    const frames = Uint32Array.from({ length: h * h }, (_, i) =>
      ((i % h) + Math.floor(i / h)) % 2 ? 0xffffffff : 0xff000000,
    );
    const out = resizeCropNormalize(frames, {
      input: { frames: 1, height: h, width: h },
      height: 10,
      width: 10,
      frameIndices: [0],
      mean: [0, 0, 0],
      std: [1, 1, 1],
      layout: 'frames',
    });
    for (const v of out) expect(Math.abs(v - 0.5)).toBeLessThan(0.01);
  });
});

describe('crop and frame selection rules', () => {
  it('centre-crops to the output aspect in whole pixels', () => {
    expect(centreCrop(1080, 1920, 64, 64)).toEqual({ x: 420, y: 0, width: 1080, height: 1080 });
    expect(centreCrop(1080, 1920, 320, 512)).toEqual({ x: 96, y: 0, width: 1728, height: 1080 });
    expect(centreCrop(100, 101, 64, 64)).toEqual({ x: 0, y: 0, width: 100, height: 100 });
    expect(centreCrop(1920, 1080, 64, 96)).toEqual({ x: 0, y: 600, width: 1080, height: 720 });
    expect(centreCrop(64, 64, 64, 64)).toEqual({ x: 0, y: 0, width: 64, height: 64 });
  });

  it('strides frames evenly and takes time windows', () => {
    expect(Array.from(stridedFrameIndices(16, 4))).toEqual([0, 4, 8, 12]);
    expect(Array.from(stridedFrameIndices(10, 4))).toEqual([0, 2, 5, 7]);
    expect(Array.from(frameWindow(60, 10, 4, 3))).toEqual([10, 13, 16, 19]);
    expect(() => stridedFrameIndices(3, 4)).toThrow(/cannot take 4 strided frames from 3/);
    expect(() => frameWindow(16, 10, 4, 2)).toThrow(/window of 4 frames from 10 every 2 does not fit in 16 frames/);
  });

  it('rejects indices outside the input and a non-positive std', () => {
    const base: ResizeCropNormalizeParams = {
      input: { frames: 2, height: 4, width: 4 },
      height: 2,
      width: 2,
      frameIndices: [0, 2],
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      layout: 'video',
    };
    const frames = new Uint32Array(32);
    expect(() => resizeCropNormalize(frames, base)).toThrow(
      /frameIndices\[1\] = 2 is not a frame of the 2-frame input/,
    );
    expect(() => resizeCropNormalize(frames, { ...base, frameIndices: [0], std: [0.5, 0, 0.5] })).toThrow(
      /channel 1 needs a finite mean and a positive std/,
    );
    expect(() => resizeCropNormalize(new Uint32Array(31), { ...base, frameIndices: [0] })).toThrow(
      /frames has 31 pixels, \(2, 4, 4\) needs 32/,
    );
  });
});
