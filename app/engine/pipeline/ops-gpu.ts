/**
 * Ops for the WebGPU backend: our WGSL kernels on the GPUDevice that onnxruntime-web created, with
 * tensors exchanged as GPU buffers (`Tensor.fromGpuBuffer` in, pre-allocated GPU outputs out), so
 * nothing returns to the CPU between the text encoding and the final frames.
 *
 * Each op is encoded and submitted on its own. ORT submits its work on the same queue, so the queue
 * order is the data-dependency order; a kernel binding is re-parameterised per use, and one submit
 * per op keeps "params land at the next submit" trivially true. A few submits per step cost
 * microseconds next to a UNet pass.
 */
import { gpuTensor, type OrtSession, type OrtTensor, runSession } from '../backend/ort';
import { EngineError, outOfMemoryError } from '../errors';
import type { KernelBinding } from '../gpu/compute';
import type { FrameGeometry } from '../kernels/geometry';
import type { KernelSet } from '../kernels/index';
import type { NoisePrior } from '../kernels/noise';
import type { ResizeCropNormalizeParams } from '../kernels/resize_crop_normalize';
import { type VideoMetrics, videoMetricsFromPartials, videoMetricsPartialWords } from '../kernels/video_metrics';
import type { LcmStepScalars } from '../scheduler/lcm';
import { elements, type Feed, type FramesTensor, frameRuns, type Ops, type Tensor } from './ops';

const USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

export class GpuTensor implements Tensor {
  readonly size: number;
  constructor(
    readonly dims: readonly number[],
    readonly buffer: GPUBuffer,
  ) {
    this.size = elements(dims);
  }
}

class GpuFrames implements FramesTensor {
  constructor(
    readonly geometry: FrameGeometry,
    readonly buffer: GPUBuffer,
  ) {}
}

const buf = (t: Tensor) => (t as GpuTensor).buffer;

export class GpuOps implements Ops {
  readonly kind = 'gpu' as const;
  private readonly owned: GPUBuffer[] = [];
  private readonly bindings = new Map<string, KernelBinding<string, unknown>>();
  private readonly ids = new WeakMap<GPUBuffer, number>();
  private nextId = 1;
  private reads = 0;

  constructor(
    readonly device: GPUDevice,
    readonly kernels: KernelSet,
  ) {}

  get readbacks(): number {
    return this.reads;
  }

  private buffer(bytes: number, label: string, usage = USAGE): GPUBuffer {
    const b = this.device.createBuffer({ label, size: Math.max(16, Math.ceil(bytes / 16) * 16), usage });
    this.owned.push(b);
    return b;
  }

  alloc(dims: readonly number[], label: string): Tensor {
    return new GpuTensor(dims, this.buffer(4 * elements(dims), label));
  }

  fromHost(values: Float32Array, dims: readonly number[], label: string): Tensor {
    const t = this.alloc(dims, label);
    this.device.queue.writeBuffer(buf(t), 0, values.buffer, values.byteOffset, values.byteLength);
    return t;
  }

  framesFromHost(rgba: Uint8ClampedArray, geometry: FrameGeometry): FramesTensor {
    const b = this.buffer(rgba.byteLength, 'frames');
    this.device.queue.writeBuffer(b, 0, rgba.buffer, rgba.byteOffset, rgba.byteLength);
    return new GpuFrames(geometry, b);
  }

  feed(t: Tensor): OrtTensor {
    return gpuTensor(buf(t), t.dims);
  }

  async run(session: OrtSession, name: string, feeds: Record<string, Feed>, outputs: Record<string, Tensor>) {
    const ortFeeds = Object.fromEntries(
      Object.entries(feeds).map(([k, v]) => [k, v instanceof GpuTensor ? this.feed(v) : (v as OrtTensor)]),
    );
    // Pre-allocated outputs: ORT writes straight into our buffers, so kernel bindings stay valid.
    const fetches = Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, this.feed(t)]));
    const results = await runSession(session, name, ortFeeds, fetches);
    const encoder = this.device.createCommandEncoder({ label: `${name}.adopt` });
    let copies = 0;
    for (const [k, out] of Object.entries(outputs)) {
      const produced = results[k];
      const gpuBuffer = produced?.location === 'gpu-buffer' ? (produced.gpuBuffer as GPUBuffer) : undefined;
      if (!gpuBuffer) {
        throw new EngineError('internal', `The ${name} graph returned "${k}" on the CPU; expected a GPU buffer.`, {
          graph: name,
        });
      }
      if (gpuBuffer !== buf(out)) {
        // This ORT build ignored the pre-allocated output: copy on the GPU (no readback).
        encoder.copyBufferToBuffer(gpuBuffer, 0, buf(out), 0, 4 * out.size);
        copies++;
      }
    }
    if (copies) this.device.queue.submit([encoder.finish()]);
    for (const [k, produced] of Object.entries(results)) if (!(k in outputs)) produced.dispose();
  }

  /** One binding per (kernel, buffers) pair, built on first use and reused for the whole generation. */
  private bind<B extends string, P>(
    kernel: { bind(b: Record<B, GPUBuffer>): KernelBinding<B, P>; label: string },
    buffers: Record<B, GPUBuffer>,
  ): KernelBinding<B, P> {
    const id = (b: GPUBuffer) => {
      let n = this.ids.get(b);
      if (n === undefined) {
        n = this.nextId++;
        this.ids.set(b, n);
      }
      return n;
    };
    const key = `${kernel.label}:${Object.values<GPUBuffer>(buffers).map(id).join(',')}`;
    let binding = this.bindings.get(key) as KernelBinding<B, P> | undefined;
    if (!binding) {
      binding = kernel.bind(buffers);
      this.bindings.set(key, binding as KernelBinding<string, unknown>);
    }
    return binding;
  }

  private submit<B extends string, P>(binding: KernelBinding<B, P>, params: P): void {
    binding.setParams(params);
    const encoder = this.device.createCommandEncoder({ label: binding.kernel.label });
    binding.encode(encoder);
    this.device.queue.submit([encoder.finish()]);
  }

  noise(out: Tensor, seed: number, stream: number, prior?: NoisePrior): void {
    this.submit(this.bind(this.kernels.noise, { out: buf(out) }), { count: out.size, seed, stream, prior });
  }

  lcmStep(z: Tensor, eps: Tensor, noise: Tensor, s: LcmStepScalars): void {
    const binding = this.bind(this.kernels.lcmStep, { z: buf(z), eps: buf(eps), noise: buf(noise) });
    this.submit(binding, { ...s, count: z.size });
  }

  guide(eps: Tensor, grad: Tensor, factor: number): void {
    this.submit(this.bind(this.kernels.guidanceUpdate, { eps: buf(eps), grad: buf(grad) }), {
      count: eps.size,
      factor,
    });
  }

  scale(input: Tensor, out: Tensor, factor: number): void {
    this.submit(this.bind(this.kernels.scale, { input: buf(input), output: buf(out) }), { count: input.size, factor });
  }

  copyFrames(src: Tensor, srcFrame: number, dst: Tensor, dstFrame: number, frames: number): void {
    const encoder = this.device.createCommandEncoder({ label: 'copy-frames' });
    for (const r of frameRuns(src.dims, srcFrame, dst.dims, dstFrame, frames))
      encoder.copyBufferToBuffer(buf(src), 4 * r.from, buf(dst), 4 * r.to, 4 * r.length);
    this.device.queue.submit([encoder.finish()]);
  }

  top1Mask(attn: Tensor, out: Tensor, rows: number, cols: number): void {
    this.submit(this.bind(this.kernels.top1Mask, { attn: buf(attn), mask: buf(out) }), { rows, cols });
  }

  resizeCropNormalize(frames: FramesTensor, p: Omit<ResizeCropNormalizeParams, 'input'>, out: Tensor): void {
    const f = frames as GpuFrames;
    const indices = this.buffer(4 * Math.max(4, p.frameIndices.length), 'frame-indices');
    const binding = this.bind(this.kernels.resizeCropNormalize, {
      frames: f.buffer,
      indices,
      output: buf(out),
    });
    this.submit(binding, { ...p, input: f.geometry });
  }

  async motionMap(frames: FramesTensor, height: number, width: number, gain: number): Promise<Uint8ClampedArray> {
    const f = frames as GpuFrames;
    const bytes = 4 * (f.geometry.frames - 1) * height * width;
    const map = this.buffer(bytes, 'motion-map');
    this.submit(this.bind(this.kernels.motionMap, { frames: f.buffer, map }), {
      input: f.geometry,
      height,
      width,
      gain,
    });
    return new Uint8ClampedArray(await this.readBytes(map, bytes));
  }

  async toFrames(video: Tensor, geometry: FrameGeometry): Promise<Uint8ClampedArray> {
    const bytes = 4 * geometry.frames * geometry.height * geometry.width;
    const rgba = this.buffer(bytes, 'rgba');
    this.submit(this.bind(this.kernels.framesToRgba, { video: buf(video), rgba }), geometry);
    return new Uint8ClampedArray(await this.readBytes(rgba, bytes));
  }

  async read(t: Tensor): Promise<Float32Array> {
    return new Float32Array(await this.readBytes(buf(t), 4 * t.size));
  }

  async videoMetrics(frames: FramesTensor): Promise<VideoMetrics> {
    const f = frames as GpuFrames;
    const words = videoMetricsPartialWords(f.geometry);
    const partials = this.buffer(4 * words, 'metric-partials');
    this.submit(this.bind(this.kernels.videoMetrics, { frames: f.buffer, partials }), f.geometry);
    return videoMetricsFromPartials(new Uint32Array(await this.readBytes(partials, 4 * words)), f.geometry);
  }

  private async readBytes(source: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.device.createBuffer({ size, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    const encoder = this.device.createCommandEncoder({ label: 'readback' });
    encoder.copyBufferToBuffer(source, 0, staging, 0, size);
    this.device.queue.submit([encoder.finish()]);
    this.reads++;
    try {
      await staging.mapAsync(GPUMapMode.READ);
      return staging.getMappedRange().slice(0, bytes);
    } finally {
      staging.destroy();
    }
  }

  release(): void {
    for (const binding of this.bindings.values()) binding.destroy();
    this.bindings.clear();
    for (const b of this.owned) b.destroy();
    this.owned.length = 0;
  }
}

/**
 * Runs allocations inside an out-of-memory error scope: WebGPU reports OOM asynchronously, so
 * without this a failed allocation surfaces later as a confusing validation error.
 */
export async function guardMemory<T>(device: GPUDevice, where: string, work: () => Promise<T>): Promise<T> {
  device.pushErrorScope('out-of-memory');
  const outcome = await work().then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (await device.popErrorScope()) throw outOfMemoryError(where);
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}
