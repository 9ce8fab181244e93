/**
 * motion_map.wgsl and its twin: per pair of consecutive frames, the mean absolute change over each
 * output pixel's source box and the R, G, B channels, times `gain`, through a viridis-like ramp.
 * Output: T − 1 RGBA8 maps of H x W (map t: frame t → t + 1).
 */
import { type DispatchPlan, TypedKernel } from '../gpu/compute';
import { kernelError, UniformLayout } from '../gpu/uniform';
import { checkGeometry, type FrameGeometry } from './geometry';
import code from './motion_map.wgsl?raw';

const LABEL = 'motion_map';
const f = Math.fround;

/** viridis at 0, 1/8, …, 1 (sRGB bytes); the same table as RAMP in motion_map.wgsl. */
export const RAMP: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [71, 45, 123],
  [59, 82, 139],
  [44, 114, 142],
  [33, 145, 140],
  [40, 174, 128],
  [94, 201, 98],
  [173, 220, 48],
  [253, 231, 37],
];

export interface MotionMapParams {
  input: FrameGeometry;
  /** Map size; pick it with the input's aspect ratio (no crop). */
  height: number;
  width: number;
  /** Mean change (in [0, 1]) that reaches the top of the ramp is 1 / gain. */
  gain: number;
}

/** The ramp's colour for v (clamped to [0, 1]), as a packed RGBA8 word. */
export function rampColour(v: number): number {
  const s = f(Math.min(1, Math.max(0, v)) * 8);
  const k = Math.min(Math.floor(s), 7);
  const w = f(s - k);
  let word = 255 << 24;
  for (let c = 0; c < 3; c++) {
    const value = RAMP[k][c] + (RAMP[k + 1][c] - RAMP[k][c]) * w;
    word |= Math.floor(value + 0.5) << (8 * c);
  }
  return word >>> 0;
}

/** Twin of motion_map.wgsl. */
export function motionMap(frames: Uint32Array, p: MotionMapParams): Uint32Array {
  const inPlane = checkParams(p);
  if (frames.length !== p.input.frames * inPlane) {
    throw kernelError(
      LABEL,
      `frames has ${frames.length} pixels, (${p.input.frames}, ${p.input.height}, ${p.input.width}) needs ${p.input.frames * inPlane}`,
    );
  }
  const { height: H, width: W } = p;
  const { height: inH, width: inW } = p.input;
  const out = new Uint32Array((p.input.frames - 1) * H * W);
  for (let t = 1; t < p.input.frames; t++) {
    for (let y = 0; y < H; y++) {
      const y0 = Math.floor((y * inH) / H);
      const y1 = Math.max(Math.floor(((y + 1) * inH) / H), y0 + 1);
      for (let x = 0; x < W; x++) {
        const x0 = Math.floor((x * inW) / W);
        const x1 = Math.max(Math.floor(((x + 1) * inW) / W), x0 + 1);
        let sum = 0;
        for (let sy = y0; sy < y1; sy++) {
          for (let sx = x0; sx < x1; sx++) {
            const a = frames[t * inPlane + sy * inW + sx];
            const b = frames[(t - 1) * inPlane + sy * inW + sx];
            for (let shift = 0; shift < 24; shift += 8)
              sum += Math.abs(((a >>> shift) & 0xff) - ((b >>> shift) & 0xff));
          }
        }
        const mean = f(sum / (765 * (y1 - y0) * (x1 - x0)));
        out[((t - 1) * H + y) * W + x] = rampColour(f(f(p.gain) * mean));
      }
    }
  }
  return out;
}

export const MOTION_MAP_PARAMS = new UniformLayout(LABEL, {
  frames: 'u32',
  in_height: 'u32',
  in_width: 'u32',
  out_height: 'u32',
  out_width: 'u32',
  gain: 'f32',
  _pad0: 'u32',
  _pad1: 'u32',
});

export type MotionMapBuffers = 'frames' | 'map';

/** `bind({frames, map})`; map gets (T − 1) · height · width words. */
export class MotionMapKernel extends TypedKernel<MotionMapBuffers, MotionMapParams> {
  constructor(device: GPUDevice) {
    super(device, code, LABEL, ['frames', 'map'], MOTION_MAP_PARAMS);
  }

  plan(p: MotionMapParams): DispatchPlan<MotionMapBuffers> {
    const inPlane = checkParams(p);
    const maps = (p.input.frames - 1) * p.height * p.width;
    return {
      uniform: MOTION_MAP_PARAMS.pack({
        frames: p.input.frames,
        in_height: p.input.height,
        in_width: p.input.width,
        out_height: p.height,
        out_width: p.width,
        gain: p.gain,
      }),
      invocations: maps,
      bytes: { frames: 4 * p.input.frames * inPlane, map: 4 * maps },
    };
  }
}

function checkParams(p: MotionMapParams): number {
  const inPlane = checkGeometry(LABEL, p.input, 2);
  checkGeometry(LABEL, { frames: 2, height: p.height, width: p.width }, 2);
  if (!(p.gain > 0) || !Number.isFinite(p.gain))
    throw kernelError(LABEL, `gain must be a positive number, got ${p.gain}`);
  // The box sums stay exact in u32 and in the float conversion only for boxes below 2^24 / 765 values.
  const box = Math.ceil(p.input.height / p.height) * Math.ceil(p.input.width / p.width);
  if (box > 21_000)
    throw kernelError(
      LABEL,
      `a ${p.height} x ${p.width} map of ${p.input.height} x ${p.input.width} frames averages ${box} pixels per cell; use a larger map`,
    );
  return inPlane;
}
