import { describe, expect, it } from 'vitest';
import {
  checkDurationAndSize,
  checkFileSize,
  checkFrameCount,
  clampWindow,
  defaultWindow,
  looksLikeVideoContainer,
  minWindowS,
  REFERENCE_LIMITS,
  ReferenceVideoError,
  sampleTimes,
} from './reference-limits';

function problemOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ReferenceVideoError) return e.problem;
    throw e;
  }
  return undefined;
}

describe('reference file checks', () => {
  it('refuse an empty file and one over the size limit, with the sizes in words', () => {
    expect(problemOf(() => checkFileSize(0))).toBe('empty');
    expect(() => checkFileSize(0)).toThrow('This file is empty (0 bytes). Choose a video file.');
    expect(problemOf(() => checkFileSize(REFERENCE_LIMITS.maxBytes + 1))).toBe('too-large');
    expect(() => checkFileSize(250_000_000)).toThrow('This file is 250 MB; reference videos can be at most 200 MB.');
    expect(problemOf(() => checkFileSize(REFERENCE_LIMITS.maxBytes))).toBeUndefined();
  });

  it('recognise MP4/MOV and WebM/Matroska headers and nothing else', () => {
    const ftyp = new Uint8Array([0, 0, 0, 0x20, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d]);
    const ebml = new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 0x9f]);
    const text = new TextEncoder().encode('hello, this is text');
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(looksLikeVideoContainer(ftyp)).toBe(true);
    expect(looksLikeVideoContainer(ebml)).toBe(true);
    expect(looksLikeVideoContainer(text)).toBe(false);
    expect(looksLikeVideoContainer(png)).toBe(false);
    expect(looksLikeVideoContainer(new Uint8Array(2))).toBe(false);
  });

  it('refuse too long, too large frames (either orientation) and too few frames', () => {
    const ok = { durationS: 10, width: 1920, height: 1080 };
    expect(problemOf(() => checkDurationAndSize(ok))).toBeUndefined();
    expect(problemOf(() => checkDurationAndSize({ ...ok, width: 2160, height: 3840 }))).toBeUndefined();
    expect(problemOf(() => checkDurationAndSize({ ...ok, durationS: 60.5 }))).toBe('too-long');
    expect(problemOf(() => checkDurationAndSize({ ...ok, width: 4096, height: 2160 }))).toBe('too-big-frames');
    expect(problemOf(() => checkDurationAndSize({ ...ok, width: 3000, height: 3000 }))).toBe('too-big-frames');
    expect(problemOf(() => checkFrameCount(15, 16))).toBe('too-short');
    expect(() => checkFrameCount(1, 16)).toThrow('This video has only 1 frame; the model needs at least 16.');
    expect(problemOf(() => checkFrameCount(16, 16))).toBeUndefined();
  });
});

describe('reference window', () => {
  const info = { fps: 30, durationS: 10 };
  it('is at least long enough to hold the model frames', () => {
    expect(minWindowS(info, 16)).toBeCloseTo(16 / 30);
    expect(minWindowS({ fps: 30, durationS: 0.4 }, 16)).toBe(0.4);
  });
  it('defaults to the model frames at the model fps from the start', () => {
    expect(defaultWindow(info, 16, 8)).toEqual({ start: 0, end: 2 });
    expect(defaultWindow({ fps: 30, durationS: 1 }, 16, 8)).toEqual({ start: 0, end: 1 });
    // A slow source: 16 frames at 4 fps need 4 s even though the model plays at 8 fps.
    expect(defaultWindow({ fps: 4, durationS: 10 }, 16, 8)).toEqual({ start: 0, end: 4 });
  });
  it('is kept inside the video and never shorter than the minimum', () => {
    // Too short: the start moves back so the window holds the minimum.
    expect(clampWindow({ start: 9.9, end: 9.95 }, info, 16)).toEqual({ start: 9.95 - 16 / 30, end: 9.95 });
    expect(clampWindow({ start: -1, end: 20 }, info, 16)).toEqual({ start: 0, end: 10 });
    expect(clampWindow({ start: 2, end: 5 }, info, 16)).toEqual({ start: 2, end: 5 });
  });
  it('is sampled at evenly spaced slot centres', () => {
    expect(sampleTimes({ start: 0, end: 2 }, 4)).toEqual([0.25, 0.75, 1.25, 1.75]);
    expect(sampleTimes({ start: 1, end: 2 }, 2)).toEqual([1.25, 1.75]);
  });
});
