import { kernelError } from '../gpu/uniform';

/** T frames of H x W pixels: a clip of RGBA8 words, or the T, H, W of a (1, 3, T, H, W) video tensor. */
export interface FrameGeometry {
  frames: number;
  height: number;
  width: number;
}

/** Checks that every size is a positive integer (at least `minFrames` frames); returns H · W. */
export function checkGeometry(kernel: string, g: FrameGeometry, minFrames = 1): number {
  if (!Number.isInteger(g.frames) || g.frames < minFrames) {
    throw kernelError(kernel, `needs at least ${minFrames} frame${minFrames > 1 ? 's' : ''}, got ${g.frames}`);
  }
  if (!Number.isInteger(g.height) || g.height < 1 || !Number.isInteger(g.width) || g.width < 1) {
    throw kernelError(kernel, `height and width must be positive integers, got ${g.height} x ${g.width}`);
  }
  return g.height * g.width;
}
