/** scale.wgsl and its twin: out = in * factor (latent scaling around the VAE). */
import { type DispatchPlan, TypedKernel } from '../gpu/compute';
import { kernelError, UniformLayout } from '../gpu/uniform';
import code from './scale.wgsl?raw';

/** Twin of scale.wgsl; `out` may be `input` on the CPU. */
export function scale(
  input: Float32Array,
  factor: number,
  out: Float32Array = new Float32Array(input.length),
): Float32Array {
  if (out.length !== input.length) throw kernelError('scale', `out has ${out.length} elements, input ${input.length}`);
  const f = Math.fround(factor);
  for (let i = 0; i < input.length; i++) out[i] = input[i] * f;
  return out;
}

export const SCALE_PARAMS = new UniformLayout('scale', { count: 'u32', factor: 'f32', _pad0: 'u32', _pad1: 'u32' });

export interface ScaleParams {
  count: number;
  /** e.g. 1 / latent.scale before decoding, latent.scale after encoding. */
  factor: number;
}

export type ScaleBuffers = 'input' | 'output';

/** `bind({input, output})`: two distinct buffers (WebGPU forbids a read-write binding aliasing another). */
export class ScaleKernel extends TypedKernel<ScaleBuffers, ScaleParams> {
  constructor(device: GPUDevice) {
    super(device, code, 'scale', ['input', 'output'], SCALE_PARAMS);
  }

  plan(p: ScaleParams): DispatchPlan<ScaleBuffers> {
    const uniform = SCALE_PARAMS.pack({ count: p.count, factor: p.factor });
    return { uniform, invocations: p.count, bytes: { input: p.count * 4, output: p.count * 4 } };
  }
}
