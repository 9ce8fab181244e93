/** Shared helpers for kernel tests: one device per test file, upload and read back. */

let devicePromise: Promise<GPUDevice> | undefined;
/** WebGPU errors nobody caught (shader compile errors, invalid bind groups, …); dawn-setup.ts fails the test on them. */
const uncaptured: string[] = [];

export function testDevice(): Promise<GPUDevice> {
  devicePromise ??= (async () => {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) {
      throw new Error(
        "No WebGPU adapter. Without a GPU, set VK_ICD_FILENAMES to SwiftShader's ICD (e.g. /usr/lib/chromium/vk_swiftshader_icd.json); `npm test` does this.",
      );
    }
    const device = await adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
      },
    });
    device.addEventListener('uncapturederror', (e) => uncaptured.push((e as GPUUncapturedErrorEvent).error.message));
    return device;
  })();
  return devicePromise;
}

/** Waits for the queue, then returns (and forgets) the errors WebGPU reported since the last call. */
export async function takeGpuErrors(): Promise<string[]> {
  if (devicePromise) {
    await (await devicePromise).queue.onSubmittedWorkDone();
    await new Promise((resolve) => setTimeout(resolve, 0)); // error events are delivered as tasks
  }
  return uncaptured.splice(0);
}

export function upload(device: GPUDevice, data: Float32Array | Uint32Array | Uint8Array, label = 'test'): GPUBuffer {
  const buffer = device.createBuffer({
    label,
    size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  return buffer;
}

/** Overwrites the start of `buffer` with `data`. */
export function write(device: GPUDevice, buffer: GPUBuffer, data: Float32Array | Uint32Array): void {
  device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
}

export async function readBack(device: GPUDevice, buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  const staging = device.createBuffer({
    size: Math.ceil(bytes / 4) * 4,
    usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
  });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, Math.ceil(bytes / 4) * 4);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0, bytes);
  staging.destroy();
  return copy;
}

export async function readFloats(device: GPUDevice, buffer: GPUBuffer, count: number): Promise<Float32Array> {
  return new Float32Array(await readBack(device, buffer, count * 4));
}

/** Largest absolute difference between two arrays of equal length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
