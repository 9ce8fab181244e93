/**
 * frames_to_rgba.wgsl and its twin: the decoder's (1, 3, T, H, W) video in [-1, 1] to T RGBA8
 * frames, byte = floor(clamp((x + 1) / 2, 0, 1) * 255 + 1/2) with (x + 1) / 2 rounded to float32.
 * The twin computes the same bytes in float64, where v * 255 + 1/2 is exact; the kernel gets them
 * from integer arithmetic. Both are exact, so they agree everywhere.
 */
import { type DispatchPlan, TypedKernel } from '../gpu/compute';
import { kernelError, UniformLayout } from '../gpu/uniform';
import code from './frames_to_rgba.wgsl?raw';
import { checkGeometry, type FrameGeometry } from './geometry';

/** One channel value in [-1, 1] to its byte (NaN to 0). */
export function toByte(x: number): number {
  const v = Math.fround(x * 0.5 + 0.5);
  if (v >= 1) return 255;
  if (!(v > 0)) return 0;
  return Math.floor(v * 255 + 0.5);
}

/** Twin of frames_to_rgba.wgsl: packed RGBA8 words (view them as bytes for an ImageData or a clip). */
export function framesToRgba(video: Float32Array, shape: FrameGeometry, out?: Uint32Array): Uint32Array {
  const plane = shape.frames * checkGeometry('frames_to_rgba', shape);
  if (video.length !== 3 * plane) {
    throw kernelError(
      'frames_to_rgba',
      `video has ${video.length} values, (1, 3, ${shape.frames}, ${shape.height}, ${shape.width}) needs ${3 * plane}`,
    );
  }
  const rgba = out ?? new Uint32Array(plane);
  if (rgba.length !== plane) throw kernelError('frames_to_rgba', `out has ${rgba.length} pixels, needs ${plane}`);
  for (let i = 0; i < plane; i++) {
    const r = toByte(video[i]);
    const g = toByte(video[i + plane]);
    const b = toByte(video[i + 2 * plane]);
    rgba[i] = (r | (g << 8) | (b << 16) | (255 << 24)) >>> 0;
  }
  return rgba;
}

export const FRAMES_TO_RGBA_PARAMS = new UniformLayout('frames_to_rgba', {
  plane: 'u32',
  _pad0: 'u32',
  _pad1: 'u32',
  _pad2: 'u32',
});

export type FramesToRgbaBuffers = 'video' | 'rgba';

/** `bind({video, rgba})` with params = the video shape; rgba gets T·H·W words. */
export class FramesToRgbaKernel extends TypedKernel<FramesToRgbaBuffers, FrameGeometry> {
  constructor(device: GPUDevice) {
    super(device, code, 'frames_to_rgba', ['video', 'rgba'], FRAMES_TO_RGBA_PARAMS);
  }

  plan(shape: FrameGeometry): DispatchPlan<FramesToRgbaBuffers> {
    const plane = shape.frames * checkGeometry('frames_to_rgba', shape);
    return {
      uniform: FRAMES_TO_RGBA_PARAMS.pack({ plane }),
      invocations: plane,
      bytes: { video: 12 * plane, rgba: 4 * plane },
    };
  }
}
