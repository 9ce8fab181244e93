/**
 * Ops for the WASM backend: the WGSL kernels' TypeScript twins on Float32Arrays, ORT sessions on
 * the wasm execution provider. Same maths as ops-gpu.ts, by the kernels' twin tests.
 */
import { cpuTensor, type OrtSession, type OrtTensor, runSession } from '../backend/ort';
import { EngineError } from '../errors';
import { framesToRgba } from '../kernels/frames_to_rgba';
import type { FrameGeometry } from '../kernels/geometry';
import { guidanceUpdate } from '../kernels/guidance_update';
import { lcmStep } from '../kernels/lcm_step';
import { motionMap } from '../kernels/motion_map';
import { type NoisePrior, priorNoise } from '../kernels/noise';
import { type ResizeCropNormalizeParams, resizeCropNormalize } from '../kernels/resize_crop_normalize';
import { scale } from '../kernels/scale';
import { top1Mask } from '../kernels/top1_mask';
import { type VideoMetrics, videoMetrics } from '../kernels/video_metrics';
import type { LcmStepScalars } from '../scheduler/lcm';
import { elements, type Feed, type FramesTensor, frameRuns, type Ops, type Tensor } from './ops';

export class CpuTensor implements Tensor {
  readonly size: number;
  constructor(
    readonly dims: readonly number[],
    readonly data: Float32Array,
  ) {
    this.size = data.length;
  }
}

class CpuFrames implements FramesTensor {
  constructor(
    readonly geometry: FrameGeometry,
    readonly words: Uint32Array,
  ) {}
}

const data = (t: Tensor) => (t as CpuTensor).data;
const words = (f: FramesTensor) => (f as CpuFrames).words;

export class CpuOps implements Ops {
  readonly kind = 'cpu' as const;
  readonly readbacks = 0;

  alloc(dims: readonly number[]): Tensor {
    return new CpuTensor(dims, new Float32Array(elements(dims)));
  }

  fromHost(values: Float32Array, dims: readonly number[]): Tensor {
    return new CpuTensor(dims, values);
  }

  framesFromHost(rgba: Uint8ClampedArray, geometry: FrameGeometry): FramesTensor {
    const aligned = rgba.byteOffset % 4 === 0 ? rgba : rgba.slice();
    return new CpuFrames(geometry, new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4));
  }

  feed(t: Tensor): OrtTensor {
    return cpuTensor(data(t), t.dims);
  }

  async run(session: OrtSession, name: string, feeds: Record<string, Feed>, outputs: Record<string, Tensor>) {
    const ortFeeds = Object.fromEntries(
      Object.entries(feeds).map(([k, v]) => [k, v instanceof CpuTensor ? this.feed(v) : (v as OrtTensor)]),
    );
    const results = await runSession(session, name, ortFeeds, Object.keys(outputs));
    for (const [k, out] of Object.entries(outputs)) {
      const produced = results[k]?.data;
      if (!(produced instanceof Float32Array) || produced.length !== out.size) {
        throw new EngineError('internal', `The ${name} graph's output "${k}" has an unexpected shape or type.`, {
          graph: name,
          output: k,
        });
      }
      data(out).set(produced);
      results[k].dispose();
    }
  }

  noise(out: Tensor, seed: number, stream: number, prior?: NoisePrior): void {
    priorNoise(out.size, seed, stream, prior, data(out) as Float32Array<ArrayBuffer>);
  }

  lcmStep(z: Tensor, eps: Tensor, noise: Tensor, s: LcmStepScalars): void {
    lcmStep(data(z), data(eps), s.next ? data(noise) : undefined, s, data(z));
  }

  guide(eps: Tensor, grad: Tensor, factor: number): void {
    guidanceUpdate(data(eps), data(grad), factor, data(eps));
  }

  scale(input: Tensor, out: Tensor, factor: number): void {
    scale(data(input), factor, data(out));
  }

  copyFrames(src: Tensor, srcFrame: number, dst: Tensor, dstFrame: number, frames: number): void {
    for (const r of frameRuns(src.dims, srcFrame, dst.dims, dstFrame, frames))
      data(dst).set(data(src).subarray(r.from, r.from + r.length), r.to);
  }

  top1Mask(attn: Tensor, out: Tensor, rows: number, cols: number): void {
    top1Mask(data(attn), { rows, cols }, data(out));
  }

  resizeCropNormalize(frames: FramesTensor, p: Omit<ResizeCropNormalizeParams, 'input'>, out: Tensor): void {
    data(out).set(resizeCropNormalize(words(frames), { ...p, input: frames.geometry }));
  }

  async motionMap(frames: FramesTensor, height: number, width: number, gain: number): Promise<Uint8ClampedArray> {
    const map = motionMap(words(frames), { input: frames.geometry, height, width, gain });
    return new Uint8ClampedArray(map.buffer, map.byteOffset, map.byteLength);
  }

  async toFrames(video: Tensor, geometry: FrameGeometry): Promise<Uint8ClampedArray> {
    const rgba = framesToRgba(data(video), geometry);
    return new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  }

  async read(t: Tensor): Promise<Float32Array> {
    return data(t).slice();
  }

  async videoMetrics(frames: FramesTensor): Promise<VideoMetrics> {
    return videoMetrics(words(frames), frames.geometry);
  }

  release(): void {}
}
