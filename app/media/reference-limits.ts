/**
 * What a motion-reference video may be, checked in order from the cheapest fact (the file's size)
 * to the most expensive (decoding), so a bad file is refused before it costs anything.
 */
import { formatBytes } from '../storage/quota';

export const REFERENCE_LIMITS = Object.freeze({
  /** A phone clip of a minute is well under this; beyond it, reading the file alone strains memory. */
  maxBytes: 200_000_000,
  /** The engine takes a handful of frames from a window; a minute is plenty to choose from. */
  maxDurationS: 60,
  /** 4K UHD: larger frames would be decoded only to be shrunk to the model's few pixels. */
  maxWidth: 3840,
  maxHeight: 2160,
});

/** What the file header says about the video. */
export interface ReferenceInfo {
  container: string;
  /** mediabunny's codec name, or the container's own id when mediabunny does not know it. */
  codec: string;
  width: number;
  height: number;
  durationS: number;
  /** Frames per second estimated from packet timestamps. */
  fps: number;
  frameCount: number;
}

export type ReferenceProblem =
  | 'empty'
  | 'too-large'
  | 'not-video'
  | 'corrupt'
  | 'no-video-track'
  | 'undecodable'
  | 'too-long'
  | 'too-big-frames'
  | 'too-short';

/** A reference file refused, with a message that says what is wrong and what to do. */
export class ReferenceVideoError extends Error {
  readonly problem: ReferenceProblem;
  constructor(problem: ReferenceProblem, message: string) {
    super(message);
    this.name = 'ReferenceVideoError';
    this.problem = problem;
  }
}

/** Checks that need only the file's size. */
export function checkFileSize(bytes: number): void {
  if (bytes === 0) throw new ReferenceVideoError('empty', 'This file is empty (0 bytes). Choose a video file.');
  if (bytes > REFERENCE_LIMITS.maxBytes)
    throw new ReferenceVideoError(
      'too-large',
      `This file is ${formatBytes(bytes)}; reference videos can be at most ${formatBytes(REFERENCE_LIMITS.maxBytes)}. Trim or re-encode it first.`,
    );
}

/**
 * Magic numbers of the containers the browser may read (MP4/MOV `ftyp`/`moov`…, WebM/Matroska
 * EBML). A file that starts like one but cannot be read is damaged; anything else is not a video.
 */
export function looksLikeVideoContainer(head: Uint8Array): boolean {
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return true;
  if (head.length >= 8) {
    const box = String.fromCharCode(head[4], head[5], head[6], head[7]);
    if (['ftyp', 'moov', 'mdat', 'free', 'wide', 'skip', 'pnot'].includes(box)) return true;
  }
  return false;
}

/** Checks on the header's facts, before any frame is decoded. `frames` is the model's frame count. */
export function checkReferenceInfo(info: ReferenceInfo, frames: number): void {
  checkDurationAndSize(info);
  checkFrameCount(info.frameCount, frames);
}

/** Duration and resolution: known from the header alone, so refused before the packet table is walked. */
export function checkDurationAndSize(info: Pick<ReferenceInfo, 'durationS' | 'width' | 'height'>): void {
  if (info.durationS > REFERENCE_LIMITS.maxDurationS)
    throw new ReferenceVideoError(
      'too-long',
      `This video is ${info.durationS.toFixed(1)} s long; reference videos can be at most ${REFERENCE_LIMITS.maxDurationS} s. Trim it to the motion you want.`,
    );
  // Portrait 4K is as fine as landscape: compare the long and the short side.
  const long = Math.max(info.width, info.height);
  const short = Math.min(info.width, info.height);
  if (long > REFERENCE_LIMITS.maxWidth || short > REFERENCE_LIMITS.maxHeight)
    throw new ReferenceVideoError(
      'too-big-frames',
      `This video is ${info.width}×${info.height}; reference videos can be at most ${REFERENCE_LIMITS.maxWidth}×${REFERENCE_LIMITS.maxHeight}. Scale it down first.`,
    );
}

export function checkFrameCount(frameCount: number, frames: number): void {
  if (frameCount < frames)
    throw new ReferenceVideoError(
      'too-short',
      `This video has only ${frameCount} frame${frameCount === 1 ? '' : 's'}; the model needs at least ${frames}. Choose a longer clip.`,
    );
}

/** The shortest window that still holds `frames` source frames. */
export function minWindowS(info: Pick<ReferenceInfo, 'fps' | 'durationS'>, frames: number): number {
  return Math.min(info.durationS, frames / info.fps);
}

/**
 * The default window: the whole video when short, else the first stretch that spreads the model's
 * frames at about the model's own frame rate (so motion speed reads as in the original).
 */
export function defaultWindow(
  info: Pick<ReferenceInfo, 'fps' | 'durationS'>,
  frames: number,
  modelFps: number,
): { start: number; end: number } {
  const natural = Math.max(frames / modelFps, minWindowS(info, frames));
  return { start: 0, end: Math.min(info.durationS, natural) };
}

/** Keeps a window inside the video and at least the minimum length, moving `start` if it must. */
export function clampWindow(
  w: { start: number; end: number },
  info: Pick<ReferenceInfo, 'fps' | 'durationS'>,
  frames: number,
): { start: number; end: number } {
  const min = minWindowS(info, frames);
  const end = Math.min(info.durationS, Math.max(w.end, min));
  const start = Math.max(0, Math.min(w.start, end - min));
  return { start, end };
}

/**
 * Timestamps of the `frames` frames taken from a window: evenly spaced, each at the centre of its
 * slot so the first and last frames are not the window's very edges (which may fall between frames).
 */
export function sampleTimes(window: { start: number; end: number }, frames: number): number[] {
  const span = window.end - window.start;
  return Array.from({ length: frames }, (_, i) => window.start + ((i + 0.5) * span) / frames);
}
