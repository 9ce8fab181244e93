/**
 * Thin layer over WebGPU compute: one pipeline per WGSL kernel, bind groups built once, the hot
 * loop only encodes dispatches. Kernels read `override WG` and index elements as
 * `gid.x + gid.y * num_workgroups.x * WG`, so large tensors use a 2D grid.
 *
 * `TypedKernel` is what the engine uses: named buffers, typed params validated and packed in one
 * place (`plan`), buffer sizes checked before anything reaches the GPU.
 */
import { EngineError } from '../errors';
import { kernelError, type UniformLayout } from './uniform';

/** Threads per workgroup of every kernel; a power of two (video_metrics reduces in a tree). */
export const WORKGROUP_SIZE = 64;
const MAX_GROUPS_PER_DIM = 65535;

export class ComputeKernel {
  readonly pipeline: GPUComputePipeline;
  constructor(
    readonly device: GPUDevice,
    code: string,
    readonly label: string,
  ) {
    const module = device.createShaderModule({ code, label });
    this.pipeline = device.createComputePipeline({
      label,
      layout: 'auto',
      compute: { module, entryPoint: 'main', constants: { WG: WORKGROUP_SIZE } },
    });
  }

  /**
   * Binds storage buffers (bindings 1..n, in order) and a uniform block (binding 0) of
   * `uniformBytes`; returns a dispatch that can be encoded many times.
   */
  bind(buffers: GPUBuffer[], uniformBytes: number): BoundKernel {
    const uniform = this.device.createBuffer({
      label: `${this.label}.params`,
      size: Math.max(16, Math.ceil(uniformBytes / 16) * 16),
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    const bindGroup = this.device.createBindGroup({
      label: this.label,
      layout: this.pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: uniform } },
        ...buffers.map((buffer, i) => ({ binding: i + 1, resource: { buffer } })),
      ],
    });
    return new BoundKernel(this, bindGroup, uniform);
  }
}

export class BoundKernel {
  constructor(
    readonly kernel: ComputeKernel,
    readonly bindGroup: GPUBindGroup,
    readonly uniform: GPUBuffer,
  ) {}

  setParams(params: ArrayBuffer | ArrayBufferView): this {
    const data = ArrayBuffer.isView(params) ? params : new Uint8Array(params);
    this.kernel.device.queue.writeBuffer(this.uniform, 0, data.buffer, data.byteOffset, data.byteLength);
    return this;
  }

  /** Encodes one dispatch covering `invocations` threads, in a pass of its own. */
  encode(encoder: GPUCommandEncoder, invocations: number): void {
    const pass = encoder.beginComputePass({ label: this.kernel.label });
    this.dispatch(pass, invocations);
    pass.end();
  }

  /** Records the dispatch into an open compute pass (several kernels can share one pass). */
  dispatch(pass: GPUComputePassEncoder, invocations: number): void {
    pass.setPipeline(this.kernel.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    const [x, y] = gridFor(invocations);
    pass.dispatchWorkgroups(x, y);
  }

  destroy(): void {
    this.uniform.destroy();
  }
}

/**
 * Runs `build` (which creates pipelines) inside a validation error scope and rejects with the
 * compiler's message if WebGPU reports one; otherwise a broken kernel fails silently.
 */
export async function compileChecked<T>(device: GPUDevice, what: string, build: () => T): Promise<T> {
  device.pushErrorScope('validation');
  let built: { value: T } | { thrown: unknown };
  try {
    built = { value: build() };
  } catch (e) {
    built = { thrown: e };
  }
  const error = await device.popErrorScope(); // always pop, even when build threw
  if ('thrown' in built) throw built.thrown;
  if (error) {
    throw new EngineError('internal', `${what} failed to compile on this GPU: ${error.message}`, {
      message: error.message,
    });
  }
  return built.value;
}

/** Workgroup grid for `invocations` threads: 1D while it fits, else 2D. */
export function gridFor(invocations: number): [number, number] {
  const groups = Math.max(1, Math.ceil(invocations / WORKGROUP_SIZE));
  if (groups <= MAX_GROUPS_PER_DIM) return [groups, 1];
  const y = Math.ceil(groups / MAX_GROUPS_PER_DIM);
  return [Math.ceil(groups / y), y];
}

export function storageBuffer(device: GPUDevice, bytes: number, label: string, extraUsage = 0): GPUBuffer {
  return device.createBuffer({
    label,
    size: Math.max(16, Math.ceil(bytes / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | extraUsage,
  });
}

/** What one dispatch of a typed kernel needs, derived from its params by `plan`. */
export interface DispatchPlan<B extends string> {
  uniform: ArrayBuffer;
  /** Threads to launch (the kernel bounds-checks the tail). */
  invocations: number;
  /** Bytes each bound buffer must hold at least for these params. */
  bytes: Record<B, number>;
  /** Small inputs that travel with the params (e.g. a frame index list), written at offset 0. */
  uploads?: Partial<Record<B, Uint32Array | Float32Array>>;
}

/**
 * A WGSL kernel with named storage buffers (bindings 1..n in `buffers` order) and typed params.
 * Each kernel module subclasses it and implements `plan`: validate the params, pack the uniform.
 */
export abstract class TypedKernel<B extends string, P> {
  readonly compute: ComputeKernel;
  /** Threads per workgroup (the kernels' `override WG`). */
  readonly workgroupSize = WORKGROUP_SIZE;

  constructor(
    device: GPUDevice,
    code: string,
    readonly label: string,
    readonly buffers: readonly B[],
    readonly layout: UniformLayout<string>,
  ) {
    this.compute = new ComputeKernel(device, code, label);
  }

  abstract plan(params: P): DispatchPlan<B>;

  /** Builds the bind group once; the binding is then re-parameterised and encoded per use. */
  bind(buffers: Record<B, GPUBuffer>): KernelBinding<B, P> {
    const missing = this.buffers.filter((name) => !buffers[name]);
    if (missing.length) throw kernelError(this.label, `bind() is missing buffer(s) ${missing.join(', ')}`);
    const limit = this.compute.device.limits.maxStorageBufferBindingSize;
    for (const name of this.buffers) {
      if (buffers[name].size > limit) {
        throw kernelError(
          this.label,
          `buffer "${name}" (${buffers[name].size} bytes) exceeds this GPU's storage binding limit of ${limit} bytes; pass fewer frames per call`,
        );
      }
    }
    const bound = this.compute.bind(
      this.buffers.map((name) => buffers[name]),
      this.layout.bytes,
    );
    return new KernelBinding(this, buffers, bound);
  }
}

export class KernelBinding<B extends string, P> {
  private invocations: number | undefined;

  constructor(
    readonly kernel: TypedKernel<B, P>,
    readonly buffers: Readonly<Record<B, GPUBuffer>>,
    private readonly bound: BoundKernel,
  ) {}

  /**
   * Validates `params` and writes the uniform. The write lands at the next `queue.submit`, so one
   * binding holds one set of params per submitted command buffer: to run a kernel twice with
   * different params in one submission, bind it twice.
   */
  setParams(params: P): this {
    const plan = this.kernel.plan(params);
    for (const name of this.kernel.buffers) {
      const have = this.buffers[name].size;
      const need = plan.bytes[name];
      if (need > have) {
        throw kernelError(this.kernel.label, `buffer "${name}" holds ${have} bytes but these params need ${need}`);
      }
    }
    for (const [name, data] of Object.entries(plan.uploads ?? {}) as [B, Uint32Array | Float32Array][]) {
      this.kernel.compute.device.queue.writeBuffer(
        this.buffers[name],
        0,
        data.buffer,
        data.byteOffset,
        data.byteLength,
      );
    }
    this.bound.setParams(plan.uniform);
    this.invocations = plan.invocations;
    return this;
  }

  /** Encodes the dispatch in a pass of its own. */
  encode(encoder: GPUCommandEncoder): void {
    this.bound.encode(encoder, this.ready());
  }

  /** Records the dispatch into an open compute pass. */
  dispatch(pass: GPUComputePassEncoder): void {
    this.bound.dispatch(pass, this.ready());
  }

  /** Frees the uniform buffer; the storage buffers belong to the caller. */
  destroy(): void {
    this.bound.destroy();
  }

  private ready(): number {
    if (this.invocations === undefined) throw kernelError(this.kernel.label, 'encoded before setParams()');
    return this.invocations;
  }
}
