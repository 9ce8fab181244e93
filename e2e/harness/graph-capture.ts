/**
 * An experiment for the benchmark, not part of the engine: what onnxruntime-web's graph capture
 * (`enableGraphCapture`: record a session's GPU commands once, then replay them) would save. It needs
 * every input and output bound to a GPU buffer of static shape, so here all inputs — the UNet's
 * scalars too — live in GPU buffers, and every output is pre-allocated.
 *
 * This module imports onnxruntime-web directly because the session option it measures is not one
 * the engine's backend module (app/engine/backend/ort.ts) exposes.
 */
import * as ort from 'onnxruntime-web/webgpu';
import { openPackage } from '../../app/engine/loader/package';
import { specDims } from '../../app/engine/pipeline/runtime';

export interface CaptureTimes {
  /** Time until session.run returned (onnxruntime's CPU-side encoding and submission). */
  cpu: number[];
  /** Time until the GPU queue drained (the whole pass). */
  total: number[];
}

export type CaptureResult = Record<'uncaptured' | 'captured', CaptureTimes | { error: string }>;

export interface TensorPlan {
  name: string;
  dims: number[];
  /** Value of element i (inputs); outputs are left unwritten. */
  fill?: (i: number) => number;
}

/** Times one graph with all-GPU inputs and outputs, without and then with graph capture. */
export async function captureExperiment(
  model: Uint8Array,
  externalData: { path: string; data: Uint8Array }[],
  inputs: TensorPlan[],
  outputs: TensorPlan[],
  reps: number,
): Promise<CaptureResult> {
  const result = {} as CaptureResult;
  for (const capture of [false, true]) {
    const name = capture ? 'captured' : 'uncaptured';
    const session = await ort.InferenceSession.create(model, {
      executionProviders: ['webgpu'],
      graphOptimizationLevel: 'all',
      externalData,
      enableGraphCapture: capture,
      preferredOutputLocation: Object.fromEntries(outputs.map((o) => [o.name, 'gpu-buffer' as const])),
    });
    const device = (await ort.env.webgpu.device) as GPUDevice;
    const buffers: GPUBuffer[] = [];
    const bind = ({ dims, fill }: TensorPlan) => {
      const n = dims.reduce((a, b) => a * b, 1);
      const buffer = device.createBuffer({
        size: Math.max(16, Math.ceil((4 * n) / 16) * 16),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      buffers.push(buffer);
      if (fill)
        device.queue.writeBuffer(
          buffer,
          0,
          Float32Array.from({ length: n }, (_, i) => fill(i)),
        );
      return ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims });
    };
    const feeds = Object.fromEntries(inputs.map((i) => [i.name, bind(i)]));
    const fetches = Object.fromEntries(outputs.map((o) => [o.name, bind(o)]));
    const times: CaptureTimes = { cpu: [], total: [] };
    try {
      // The first run records (capture on) or compiles its shaders (capture off); it is not timed.
      for (let r = 0; r <= reps; r++) {
        const t0 = performance.now();
        await session.run(feeds, fetches);
        const cpu = performance.now() - t0;
        await device.queue.onSubmittedWorkDone();
        if (r > 0) {
          times.cpu.push(cpu);
          times.total.push(performance.now() - t0);
        }
      }
      result[name] = times;
    } catch (e) {
      result[name] = { error: e instanceof Error ? e.message.split('\n')[0] : String(e) };
    } finally {
      await session.release();
      for (const b of buffers) b.destroy();
    }
  }
  return result;
}

/** The experiment on a package's fp32 UNet, at the engine's conditioning values. */
export async function unetCaptureExperiment(baseUrl: string, reps: number): Promise<CaptureResult> {
  const pkg = await openPackage({ kind: 'url', baseUrl });
  const graph = pkg.manifest.graphs.unet;
  const variant = graph?.variants.find((v) => v.precision === 'fp32' && v.backends.includes('webgpu'));
  if (!graph || !variant) throw new Error('the package has no fp32 WebGPU unet graph');
  const externalData = [];
  for (const ref of variant.external_data) externalData.push({ path: ref.path, data: await pkg.read(ref) });
  const scalars: Record<string, number> = { timestep: 499, guidance: 7.5, motion: 0.5 };
  const inputs = graph.inputs.map((i) => ({
    name: i.name,
    dims: specDims(i),
    fill: (k: number) => scalars[i.name] ?? Math.sin(k),
  }));
  const outputs = graph.outputs.map((o) => ({ name: o.name, dims: specDims(o) }));
  return captureExperiment(await pkg.read(variant.file), externalData, inputs, outputs, reps);
}
