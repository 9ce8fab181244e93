/**
 * Thin layer over WebGPU compute: one pipeline per WGSL kernel, bind groups built once, the hot
 * loop only encodes dispatches. Kernels read `override WG` and index elements as
 * `gid.x + gid.y * num_workgroups.x * WG`, so large tensors use a 2D grid.
 */

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

  /** Encodes one dispatch covering `invocations` threads. */
  encode(encoder: GPUCommandEncoder, invocations: number): void {
    const pass = encoder.beginComputePass({ label: this.kernel.label });
    pass.setPipeline(this.kernel.pipeline);
    pass.setBindGroup(0, this.bindGroup);
    const [x, y] = gridFor(invocations);
    pass.dispatchWorkgroups(x, y);
    pass.end();
  }

  destroy(): void {
    this.uniform.destroy();
  }
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
