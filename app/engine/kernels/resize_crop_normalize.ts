/**
 * resize_crop_normalize.wgsl and its twin: RGBA8 frames to a network's normalised float input.
 * Used for the reference video (to the VAE encoder: [-1, 1], mean 0.5, std 0.5, layout `video`) and
 * for reward inputs (manifest `rewards[].input` mean/std and size; layout `frames` or `video`).
 * The filter is described in the .wgsl header; `centreCrop` and `frame indices` below are the rules
 * for what is cropped and which frames are taken.
 */
import { type DispatchPlan, TypedKernel } from '../gpu/compute';
import { kernelError, UniformLayout } from '../gpu/uniform';
import type { FrameGeometry } from './geometry';
import code from './resize_crop_normalize.wgsl?raw';

const LABEL = 'resize_crop_normalize';
const f = Math.fround;

export interface ResizeCropNormalizeParams {
  /** The RGBA8 source frames (T_in, H_in, W_in). */
  input: FrameGeometry;
  /** Output size in pixels. */
  height: number;
  width: number;
  /** Source frame of each output frame (see `stridedFrameIndices`, `frameWindow`). */
  frameIndices: ArrayLike<number>;
  /** Per channel, for pixels in [0, 1]: out = (x / 255 - mean) / std. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** `video`: (1, 3, T, H, W) (VAE encoder, clip rewards); `frames`: (N, 3, H, W) (per-frame rewards). */
  layout: 'video' | 'frames';
}

export interface CropRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The largest centred rectangle of the output's aspect ratio, in whole source pixels: the long
 * side is cut to round(short side * aspect) and the offset is floor(excess / 2).
 */
export function centreCrop(inHeight: number, inWidth: number, outHeight: number, outWidth: number): CropRect {
  if (inWidth * outHeight > inHeight * outWidth) {
    const width = Math.min(inWidth, Math.max(1, Math.round((inHeight * outWidth) / outHeight)));
    return { x: Math.floor((inWidth - width) / 2), y: 0, width, height: inHeight };
  }
  const height = Math.min(inHeight, Math.max(1, Math.round((inWidth * outHeight) / outWidth)));
  return { x: 0, y: Math.floor((inHeight - height) / 2), width: inWidth, height };
}

/** `count` frames evenly strided over `total`: floor(i * total / count) (16 -> 4: 0, 4, 8, 12). */
export function stridedFrameIndices(total: number, count: number): Uint32Array {
  if (!Number.isInteger(count) || count < 1 || count > total) {
    throw kernelError(LABEL, `cannot take ${count} strided frames from ${total}`);
  }
  return Uint32Array.from({ length: count }, (_, i) => Math.floor((i * total) / count));
}

/** `count` frames from `start`, `stride` apart (a time window of the reference video). */
export function frameWindow(total: number, start: number, count: number, stride = 1): Uint32Array {
  const last = start + (count - 1) * stride;
  if (!Number.isInteger(start) || start < 0 || count < 1 || stride < 1 || last >= total) {
    throw kernelError(LABEL, `window of ${count} frames from ${start} every ${stride} does not fit in ${total} frames`);
  }
  return Uint32Array.from({ length: count }, (_, i) => start + i * stride);
}

/** Source taps of each output pixel along one axis, weights normalised (the twin's precomputation). */
export function filterTaps(outSize: number, crop: number): { first: number; weights: Float64Array }[] {
  const scale = f(crop / outSize); // the kernel's uniform is float32
  const support = Math.max(scale, 1);
  return Array.from({ length: outSize }, (_, i) => {
    const center = (i + 0.5) * scale;
    const first = Math.max(Math.floor(center - support + 0.5), 0);
    const end = Math.min(Math.max(Math.floor(center + support + 0.5), 0), crop);
    const weights = new Float64Array(Math.max(0, end - first));
    let total = 0;
    for (let j = first; j < end; j++) {
      const w = Math.max(0, 1 - Math.abs(j + 0.5 - center) / support);
      weights[j - first] = w;
      total += w;
    }
    for (let k = 0; k < weights.length; k++) weights[k] /= total;
    return { first, weights };
  });
}

/** Twin of resize_crop_normalize.wgsl on packed RGBA8 words. */
export function resizeCropNormalize(frames: Uint32Array, p: ResizeCropNormalizeParams): Float32Array {
  const { crop, indices, mul, add } = checkParams(p);
  const { height: inH, width: inW } = p.input;
  if (frames.length !== p.input.frames * inH * inW) {
    throw kernelError(
      LABEL,
      `frames has ${frames.length} pixels, (${p.input.frames}, ${inH}, ${inW}) needs ${p.input.frames * inH * inW}`,
    );
  }
  const T = indices.length;
  const plane = p.height * p.width;
  const out = new Float32Array(3 * T * plane);
  const ys = filterTaps(p.height, crop.height);
  const xs = filterTaps(p.width, crop.width);
  const channelStride = p.layout === 'frames' ? plane : T * plane;
  const frameStride = p.layout === 'frames' ? 3 * plane : plane;
  for (let t = 0; t < T; t++) {
    for (let y = 0; y < p.height; y++) {
      for (let x = 0; x < p.width; x++) {
        const sum = [0, 0, 0];
        const ty = ys[y];
        const tx = xs[x];
        for (let a = 0; a < ty.weights.length; a++) {
          const row = (indices[t] * inH + crop.y + ty.first + a) * inW + crop.x + tx.first;
          for (let b = 0; b < tx.weights.length; b++) {
            const w = ty.weights[a] * tx.weights[b];
            const px = frames[row + b];
            sum[0] += w * (px & 0xff);
            sum[1] += w * ((px >>> 8) & 0xff);
            sum[2] += w * ((px >>> 16) & 0xff);
          }
        }
        const base = t * frameStride + y * p.width + x;
        for (let c = 0; c < 3; c++) out[base + c * channelStride] = sum[c] * mul[c] + add[c];
      }
    }
  }
  return out;
}

export const RESIZE_CROP_NORMALIZE_PARAMS = new UniformLayout(LABEL, {
  in_frames: 'u32',
  in_height: 'u32',
  in_width: 'u32',
  out_frames: 'u32',
  out_height: 'u32',
  out_width: 'u32',
  frame_major: 'u32',
  crop_x: 'u32',
  crop_y: 'u32',
  crop_width: 'u32',
  crop_height: 'u32',
  scale_x: 'f32',
  scale_y: 'f32',
  mul_r: 'f32',
  mul_g: 'f32',
  mul_b: 'f32',
  add_r: 'f32',
  add_g: 'f32',
  add_b: 'f32',
});

export type ResizeCropNormalizeBuffers = 'frames' | 'indices' | 'output';

/**
 * `bind({frames, indices, output})`; `setParams` checks the frame indices and writes them into
 * `indices` (4 bytes per output frame). Output: 3 · frames · height · width floats.
 */
export class ResizeCropNormalizeKernel extends TypedKernel<ResizeCropNormalizeBuffers, ResizeCropNormalizeParams> {
  constructor(device: GPUDevice) {
    super(device, code, LABEL, ['frames', 'indices', 'output'], RESIZE_CROP_NORMALIZE_PARAMS);
  }

  plan(p: ResizeCropNormalizeParams): DispatchPlan<ResizeCropNormalizeBuffers> {
    const { crop, indices, mul, add } = checkParams(p);
    const T = indices.length;
    const uniform = RESIZE_CROP_NORMALIZE_PARAMS.pack({
      in_frames: p.input.frames,
      in_height: p.input.height,
      in_width: p.input.width,
      out_frames: T,
      out_height: p.height,
      out_width: p.width,
      frame_major: p.layout === 'frames' ? 1 : 0,
      crop_x: crop.x,
      crop_y: crop.y,
      crop_width: crop.width,
      crop_height: crop.height,
      scale_x: crop.width / p.width,
      scale_y: crop.height / p.height,
      mul_r: mul[0],
      mul_g: mul[1],
      mul_b: mul[2],
      add_r: add[0],
      add_g: add[1],
      add_b: add[2],
    });
    const outputs = T * p.height * p.width;
    return {
      uniform,
      invocations: outputs,
      bytes: { frames: 4 * p.input.frames * p.input.height * p.input.width, indices: 4 * T, output: 12 * outputs },
      uploads: { indices },
    };
  }
}

function checkParams(p: ResizeCropNormalizeParams) {
  const sizes = {
    'input.frames': p.input.frames,
    'input.height': p.input.height,
    'input.width': p.input.width,
    height: p.height,
    width: p.width,
  };
  for (const [name, v] of Object.entries(sizes)) {
    if (!Number.isInteger(v) || v < 1) throw kernelError(LABEL, `${name} must be a positive integer, got ${v}`);
  }
  if (p.frameIndices.length < 1) throw kernelError(LABEL, 'frameIndices is empty');
  const indices = Uint32Array.from(p.frameIndices);
  for (let i = 0; i < p.frameIndices.length; i++) {
    const v = p.frameIndices[i];
    if (!Number.isInteger(v) || v < 0 || v >= p.input.frames) {
      throw kernelError(LABEL, `frameIndices[${i}] = ${v} is not a frame of the ${p.input.frames}-frame input`);
    }
  }
  for (let c = 0; c < 3; c++) {
    if (!(p.std[c] > 0) || !Number.isFinite(p.mean[c])) {
      throw kernelError(
        LABEL,
        `channel ${c} needs a finite mean and a positive std, got mean ${p.mean[c]}, std ${p.std[c]}`,
      );
    }
  }
  // (x / 255 - mean) / std = x * mul + add, both rounded to float32 as the kernel's uniform holds them.
  const mul = [0, 1, 2].map((c) => f(1 / (255 * p.std[c])));
  const add = [0, 1, 2].map((c) => f(-p.mean[c] / p.std[c]));
  return { crop: centreCrop(p.input.height, p.input.width, p.height, p.width), indices, mul, add };
}
