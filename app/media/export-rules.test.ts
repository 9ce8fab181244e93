import { describe, expect, it } from 'vitest';
import { exportFileName, exportSize, MAX_EXPORT_PIXELS, upscaleChoices, upscaleFrame } from './export-rules';

describe('export file names', () => {
  it('are lower-case ASCII words of the prompt plus the seed', () => {
    expect(exportFileName('A red circle, moving RIGHT!', 42, 'mp4')).toBe('a-red-circle-moving-right-s42.mp4');
    expect(exportFileName('Crème brûlée zooming in', 7, 'webm')).toBe('creme-brulee-zooming-in-s7.webm');
  });
  it('fall back when the prompt has no usable characters', () => {
    expect(exportFileName('🚀✨ ساعة', 1, 'mp4')).toBe('turbo-clip-s1.mp4');
    expect(exportFileName('', 0, 'mp4')).toBe('turbo-clip-s0.mp4');
  });
  it('are cut at a word boundary near 60 characters', () => {
    const name = exportFileName(
      'the word SALE zooming in white on purple with a slow camera pan to the left side',
      3,
      'mp4',
    );
    const slug = name.replace(/-s3\.mp4$/, '');
    expect(slug.length).toBeLessThanOrEqual(60);
    expect(slug.endsWith('-')).toBe(false);
    expect('the-word-sale-zooming-in-white-on-purple-with-a-slow-camera-pan'.startsWith(slug)).toBe(true);
    expect(exportFileName('x'.repeat(100), 1, 'mp4')).toBe(`${'x'.repeat(60)}-s1.mp4`);
  });
});

describe('export size', () => {
  it('scales by whole numbers and rounds odd sides up to even', () => {
    expect(exportSize(64, 64, 4)).toEqual({ width: 256, height: 256 });
    expect(exportSize(63, 35, 1)).toEqual({ width: 64, height: 36 });
    expect(exportSize(63, 35, 2)).toEqual({ width: 126, height: 70 });
  });
  it('refuses fractional or zero scales', () => {
    expect(() => exportSize(64, 64, 1.5)).toThrow(/whole number/);
    expect(() => exportSize(64, 64, 0)).toThrow(/whole number/);
  });
  it('offers scales up to the H.264 frame-area cap', () => {
    expect(upscaleChoices(64, 64)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const big = upscaleChoices(512, 320);
    expect(big).toEqual([1, 2, 3]);
    for (const s of big) {
      const { width, height } = exportSize(512, 320, s);
      expect(width * height).toBeLessThanOrEqual(MAX_EXPORT_PIXELS);
    }
    expect(upscaleChoices(4000, 3000)).toEqual([1]); // 1x is always offered
  });
});

describe('upscaleFrame', () => {
  // A 3x1 frame: red, green, blue.
  const src = new Uint8ClampedArray([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255]);
  const px = (f: Uint8ClampedArray, w: number, x: number, y: number) => [
    ...f.subarray((y * w + x) * 4, (y * w + x) * 4 + 4),
  ];

  it('repeats each pixel scale x scale times', () => {
    const out = upscaleFrame(src, 3, 1, 2, 6, 2);
    expect(out.length).toBe(6 * 2 * 4);
    expect(px(out, 6, 0, 0)).toEqual([255, 0, 0, 255]);
    expect(px(out, 6, 1, 1)).toEqual([255, 0, 0, 255]);
    expect(px(out, 6, 2, 0)).toEqual([0, 255, 0, 255]);
    expect(px(out, 6, 5, 1)).toEqual([0, 0, 255, 255]);
  });
  it('fills the even-size padding with the last column and row', () => {
    const out = upscaleFrame(src, 3, 1, 1, 4, 2);
    expect(px(out, 4, 3, 0)).toEqual([0, 0, 255, 255]);
    expect(px(out, 4, 3, 1)).toEqual([0, 0, 255, 255]);
    expect(px(out, 4, 0, 1)).toEqual([255, 0, 0, 255]);
  });
  it('works on an unaligned view and checks the frame size', () => {
    const backing = new Uint8ClampedArray(src.length + 1);
    backing.set(src, 1);
    expect(px(upscaleFrame(backing.subarray(1), 3, 1, 1, 4, 2), 4, 1, 0)).toEqual([0, 255, 0, 255]);
    expect(() => upscaleFrame(src, 2, 2, 1, 2, 2)).toThrow(/expected 2x2x4/);
  });
});
