/**
 * TypeScript twin of noise.wgsl (and of models/src/t2v_turbo/diffusion/noise.py): seeded
 * standard-normal noise from Philox4x32-10 + Box-Muller. Used by the WASM path and as the
 * reference in the kernel tests. Float maths in f32 (Math.fround) where the kernel rounds.
 */
import { type DispatchPlan, TypedKernel } from '../gpu/compute';
import { kernelError, UniformLayout } from '../gpu/uniform';
import code from './noise.wgsl?raw';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

function mulhi(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const loLo = aLo * bLo;
  const hiLo = aHi * bLo;
  const loHi = aLo * bHi;
  const cross = (loLo >>> 16) + (hiLo & 0xffff) + (loHi & 0xffff);
  return (aHi * bHi + (hiLo >>> 16) + (loHi >>> 16) + (cross >>> 16)) >>> 0;
}

/** Philox4x32 with 10 rounds: 4 counter words and 2 key words in, 4 random words out. */
export function philox4x32(ctr: readonly number[], key: readonly number[]): [number, number, number, number] {
  let [c0, c1, c2, c3] = ctr.map((x) => x >>> 0);
  let [k0, k1] = key.map((x) => x >>> 0);
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

const f = Math.fround;
const unit = (u: number) => f((f(u >>> 8) + 0.5) * (1 / 16777216));
const f32bits = new DataView(new ArrayBuffer(4));

/** ln x in f32 arithmetic, the kernel's polynomial (not Math.log), so both paths round alike. */
export function lnF32(x: number): number {
  f32bits.setFloat32(0, x);
  const bits = f32bits.getUint32(0);
  let e = ((bits >>> 23) & 0xff) - 127;
  f32bits.setUint32(0, (bits & 0x007fffff) | 0x3f800000);
  let m = f32bits.getFloat32(0);
  if (m > f(Math.SQRT2)) {
    m = f(m * 0.5);
    e += 1;
  }
  const s = f(f(m - 1) / f(m + 1));
  const s2 = f(s * s);
  let p = f(0.2857143 + f(s2 * f(0.2222222)));
  p = f(0.4 + f(s2 * p));
  p = f(f(0.6666667) + f(s2 * p));
  p = f(2 + f(s2 * p));
  return f(f(e * f(Math.LN2)) + f(s * p));
}

/** (cos, sin) of 2 pi u in f32 arithmetic, the kernel's quadrant split and polynomials. */
export function cosSinTurn(u: number): [number, number] {
  const q = f(u * 4);
  const k = Math.floor(q);
  const t = f(f(q - k) * f(Math.PI / 2));
  const t2 = f(t * t);
  let c = f(f(0.0000248016) + f(t2 * f(-2.7557319e-7)));
  c = f(f(-0.0013888889) + f(t2 * c));
  c = f(f(0.041666668) + f(t2 * c));
  c = f(-0.5 + f(t2 * c));
  c = f(1 + f(t2 * c));
  let s = f(f(2.7557319e-6) + f(t2 * f(-2.5052108e-8)));
  s = f(f(-0.0001984127) + f(t2 * s));
  s = f(f(0.008333334) + f(t2 * s));
  s = f(f(-0.16666667) + f(t2 * s));
  s = f(t * f(1 + f(t2 * s)));
  switch (k) {
    case 0:
      return [c, s];
    case 1:
      return [-s, c];
    case 2:
      return [-c, -s];
    default:
      return [s, -c];
  }
}

/** `count` standard-normal samples of (seed, stream); element i uses pair i >> 1. */
export function gaussianNoise(
  count: number,
  seed: number,
  stream: number,
  out = new Float32Array(count),
  level = 0,
): Float32Array {
  for (let pair = 0; pair * 2 < count; pair++) {
    const [u0, u1] = philox4x32([pair, stream, level, 0], [seed, 0]);
    const radius = f(Math.sqrt(f(-2 * lnF32(unit(u0)))));
    const [c, s] = cosSinTurn(unit(u1));
    out[pair * 2] = radius * c;
    if (pair * 2 + 1 < count) out[pair * 2 + 1] = radius * s;
  }
  return out;
}

/**
 * The noise a model was trained on: white (discount 0) or multiscale, white plus coarse grids over
 * the latent's (T, h, w) weighted discount^l (models/src/t2v_turbo/diffusion/multiscale_noise.py).
 */
export interface NoisePrior {
  discount: number;
  frames: number;
  height: number;
  width: number;
}

/** The kernel has weights for the white noise and 7 levels: latents up to 255 along each axis. */
export const MAX_NOISE_LEVELS = 7;

/** Coarse levels for a (T, h, w) latent: down to one sample per channel (at least one level). */
export function multiscaleLevels(frames: number, height: number, width: number): number {
  return Math.max(1, Math.floor(Math.log2(Math.max(frames, height, width))));
}

/** f32 weights of the white noise (index 0) and of levels 1..L; their squares sum to 1. */
export function multiscaleWeights(discount: number, levels: number): number[] {
  const powers = [1];
  for (let l = 1; l <= levels; l++) powers.push(powers[l - 1] * discount); // as the Python twin rounds
  const norm = Math.sqrt(powers.reduce((s, p) => s + p * p, 0));
  return powers.map((p) => f(p / norm));
}

/**
 * `count` samples of (seed, stream) under `prior`, as noise.wgsl writes them: white noise when the
 * discount is 0, else w0 * white + sum_l wl * (level l's grid, nearest neighbour), summed in f32.
 */
export function priorNoise(
  count: number,
  seed: number,
  stream: number,
  prior: NoisePrior | undefined,
  out = new Float32Array(count),
): Float32Array {
  gaussianNoise(count, seed, stream, out);
  if (!prior || prior.discount === 0) return out;
  const { frames: nt, height: nh, width: nw } = prior;
  const levels = multiscaleLevels(nt, nh, nw);
  const weights = multiscaleWeights(prior.discount, levels);
  const grids = [];
  for (let l = 1; l <= levels; l++) {
    const [ct, ch, cw] = [nt, nh, nw].map((n) => Math.max(1, n >> l));
    const channels = Math.ceil(count / (nt * nh * nw));
    grids.push({ ct, ch, cw, values: gaussianNoise(channels * ct * ch * cw, seed, stream, undefined, l) });
  }
  for (let i = 0; i < count; i++) {
    const x = i % nw;
    const y = Math.floor(i / nw) % nh;
    const t = Math.floor(i / (nw * nh)) % nt;
    const channel = Math.floor(i / (nw * nh * nt));
    let acc = f(weights[0] * out[i]);
    grids.forEach(({ ct, ch, cw, values }, k) => {
      const j =
        ((channel * ct + Math.floor((t * ct) / nt)) * ch + Math.floor((y * ch) / nh)) * cw + Math.floor((x * cw) / nw);
      acc = f(acc + f(weights[k + 1] * values[j]));
    });
    out[i] = acc;
  }
  return out;
}

export function noiseParams(count: number, seed: number, stream: number, prior?: NoisePrior): ArrayBuffer {
  const multiscale = prior !== undefined && prior.discount > 0;
  const levels = multiscale ? multiscaleLevels(prior.frames, prior.height, prior.width) : 0;
  if (levels > MAX_NOISE_LEVELS) {
    throw kernelError(
      'noise',
      `a latent of ${prior?.frames}x${prior?.height}x${prior?.width} needs ${levels} noise levels; the kernel has ${MAX_NOISE_LEVELS}`,
    );
  }
  const weights = multiscale ? multiscaleWeights(prior.discount, levels) : [1];
  const w = Array.from({ length: MAX_NOISE_LEVELS + 1 }, (_, l) => weights[l] ?? 0);
  return NOISE_PARAMS.pack({
    count,
    seed: seed >>> 0,
    stream: stream >>> 0,
    levels,
    frames: prior?.frames ?? 1,
    height: prior?.height ?? 1,
    width: prior?.width ?? 1,
    w0: w[0],
    w1: w[1],
    w2: w[2],
    w3: w[3],
    w4: w[4],
    w5: w[5],
    w6: w[6],
    w7: w[7],
  });
}

export const NOISE_PARAMS = new UniformLayout('noise', {
  count: 'u32',
  seed: 'u32',
  stream: 'u32',
  levels: 'u32',
  frames: 'u32',
  height: 'u32',
  width: 'u32',
  _pad: 'u32',
  w0: 'f32',
  w1: 'f32',
  w2: 'f32',
  w3: 'f32',
  w4: 'f32',
  w5: 'f32',
  w6: 'f32',
  w7: 'f32',
});

export interface NoiseParams {
  count: number;
  /** 32-bit unsigned seed of the generation. */
  seed: number;
  /** 0: initial latent; i + 1: re-noising after step i; 0xffff0000: the reference video. */
  stream: number;
  /** The model's noise; absent or discount 0: white noise. */
  prior?: NoisePrior;
}

/** `bind({out})`: fills `count` floats of (seed, stream), bit-identical to `gaussianNoise`. */
export class NoiseKernel extends TypedKernel<'out', NoiseParams> {
  constructor(device: GPUDevice) {
    super(device, code, 'noise', ['out'], NOISE_PARAMS);
  }

  plan(p: NoiseParams): DispatchPlan<'out'> {
    // One invocation per Box-Muller pair.
    return {
      uniform: noiseParams(p.count, p.seed, p.stream, p.prior),
      invocations: Math.ceil(p.count / 2),
      bytes: { out: 4 * p.count },
    };
  }
}
