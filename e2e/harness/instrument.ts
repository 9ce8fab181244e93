/**
 * Measuring hooks for the benchmark page, installed when this module is evaluated (before
 * onnxruntime creates its GPUDevice or its WebAssembly memory), so everything the runtime does is
 * seen, not only what our engine does:
 *
 * - GPU memory: every GPUBuffer created and destroyed on any device, as live and peak bytes.
 * - Transfers: buffers mapped for reading (readbacks, with bytes) and bytes written from the host
 *   (queue.writeBuffer and buffers mapped at creation, onnxruntime's upload path).
 * - WebAssembly memory: every Memory the page creates or instantiates. A wasm memory never shrinks,
 *   so its size after a run is the high-water mark of the runtime's heap.
 */

export interface Counters {
  /** Bytes held by GPU buffers that exist now. */
  gpuLive: number;
  /** Largest gpuLive since the last `resetPeak`. */
  gpuPeak: number;
  /** Buffers mapped for reading (GPU-to-CPU copies) and their bytes. */
  readbacks: number;
  bytesRead: number;
  /** Host-to-GPU bytes (writeBuffer and mapped-at-creation staging buffers). */
  bytesWritten: number;
}

export const counters: Counters = { gpuLive: 0, gpuPeak: 0, readbacks: 0, bytesRead: 0, bytesWritten: 0 };

export function resetPeak(): void {
  counters.gpuPeak = counters.gpuLive;
}

/** A copy of the transfer counters, to subtract later. */
export function snapshot(): Counters {
  return { ...counters };
}

export function since(before: Counters): Pick<Counters, 'readbacks' | 'bytesRead' | 'bytesWritten'> {
  return {
    readbacks: counters.readbacks - before.readbacks,
    bytesRead: counters.bytesRead - before.bytesRead,
    bytesWritten: counters.bytesWritten - before.bytesWritten,
  };
}

const sizes = new WeakMap<GPUBuffer, number>();

function trackGpu(): void {
  if (typeof GPUDevice === 'undefined') return;
  const createBuffer = GPUDevice.prototype.createBuffer;
  GPUDevice.prototype.createBuffer = function (descriptor: GPUBufferDescriptor) {
    const buffer = createBuffer.call(this, descriptor);
    sizes.set(buffer, descriptor.size);
    counters.gpuLive += descriptor.size;
    counters.gpuPeak = Math.max(counters.gpuPeak, counters.gpuLive);
    if (descriptor.mappedAtCreation) counters.bytesWritten += descriptor.size;
    return buffer;
  };
  const destroy = GPUBuffer.prototype.destroy;
  GPUBuffer.prototype.destroy = function () {
    const size = sizes.get(this);
    if (size !== undefined) {
      counters.gpuLive -= size;
      sizes.delete(this);
    }
    return destroy.call(this);
  };
  const mapAsync = GPUBuffer.prototype.mapAsync;
  GPUBuffer.prototype.mapAsync = function (mode: GPUMapModeFlags, offset?: number, size?: number) {
    if (mode & GPUMapMode.READ) {
      counters.readbacks++;
      counters.bytesRead += size ?? this.size - (offset ?? 0);
    }
    return mapAsync.call(this, mode, offset, size);
  };
  const writeBuffer = GPUQueue.prototype.writeBuffer;
  GPUQueue.prototype.writeBuffer = function (
    buffer: GPUBuffer,
    bufferOffset: number,
    data: BufferSource | SharedArrayBuffer,
    dataOffset?: number,
    size?: number,
  ) {
    const elementBytes = ArrayBuffer.isView(data)
      ? ((data as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1)
      : 1;
    counters.bytesWritten += size !== undefined ? size * elementBytes : data.byteLength - (dataOffset ?? 0);
    return writeBuffer.call(this, buffer, bufferOffset, data as BufferSource, dataOffset, size);
  };
}

const memories = new Set<WebAssembly.Memory>();

function trackWasm(): void {
  // emscripten's threaded builds create a shared Memory in JS; single-threaded ones export their own.
  WebAssembly.Memory = new Proxy(WebAssembly.Memory, {
    construct(target, args: [WebAssembly.MemoryDescriptor]) {
      const memory = Reflect.construct(target, args) as WebAssembly.Memory;
      memories.add(memory);
      return memory;
    },
  });
  const keepExported = (instance: WebAssembly.Instance) => {
    for (const value of Object.values(instance.exports)) if (value instanceof WebAssembly.Memory) memories.add(value);
  };
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = (async (source: BufferSource | WebAssembly.Module, imports?: WebAssembly.Imports) => {
    const result = await instantiate(source as BufferSource, imports);
    keepExported('instance' in result ? result.instance : (result as unknown as WebAssembly.Instance));
    return result;
  }) as typeof WebAssembly.instantiate;
  const instantiateStreaming = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = async (source, imports) => {
    const result = await instantiateStreaming(source, imports);
    keepExported(result.instance);
    return result;
  };
}

/** Bytes of the largest WebAssembly memory in the page: onnxruntime's heap high-water mark. */
export function wasmBytes(): number {
  let largest = 0;
  for (const m of memories) largest = Math.max(largest, m.buffer.byteLength);
  return largest;
}

/**
 * The page's JS + wasm memory as Chromium accounts it (needs cross-origin isolation). Undefined
 * when the API is missing or does not answer in time.
 */
export async function userAgentMemory(timeoutMs = 30_000): Promise<number | undefined> {
  const measure = (performance as { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> })
    .measureUserAgentSpecificMemory;
  if (!measure || !globalThis.crossOriginIsolated) return undefined;
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs));
  const result = await Promise.race([measure.call(performance).catch(() => undefined), timeout]);
  return result?.bytes;
}

trackGpu();
trackWasm();
