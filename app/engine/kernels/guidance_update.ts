/** guidance_update.wgsl and its twin: eps <- eps - factor * grad, factor = lambda * sqrt(1 - abar_t). */
import { type DispatchPlan, TypedKernel } from '../gpu/compute';
import { kernelError, UniformLayout } from '../gpu/uniform';
import code from './guidance_update.wgsl?raw';

/** Twin of guidance_update.wgsl; `out` may be `eps` (in place, like the kernel). */
export function guidanceUpdate(
  eps: Float32Array,
  grad: Float32Array,
  factor: number,
  out: Float32Array = new Float32Array(eps.length),
): Float32Array {
  if (grad.length !== eps.length || out.length !== eps.length) {
    throw kernelError(
      'guidance_update',
      `eps, grad and out differ in length (${eps.length}, ${grad.length}, ${out.length})`,
    );
  }
  const f = Math.fround(factor); // the kernel's uniform is float32
  for (let i = 0; i < eps.length; i++) out[i] = eps[i] - f * grad[i];
  return out;
}

export const GUIDANCE_UPDATE_PARAMS = new UniformLayout('guidance_update', {
  count: 'u32',
  factor: 'f32',
  _pad0: 'u32',
  _pad1: 'u32',
});

export interface GuidanceUpdateParams {
  count: number;
  /** lambda * sqrt(1 - abar_t): `guidanceFactor` in scheduler/lcm.ts. */
  factor: number;
}

export type GuidanceUpdateBuffers = 'eps' | 'grad';

/** `bind({eps, grad})`: eps is updated in place. */
export class GuidanceUpdateKernel extends TypedKernel<GuidanceUpdateBuffers, GuidanceUpdateParams> {
  constructor(device: GPUDevice) {
    super(device, code, 'guidance_update', ['eps', 'grad'], GUIDANCE_UPDATE_PARAMS);
  }

  plan(p: GuidanceUpdateParams): DispatchPlan<GuidanceUpdateBuffers> {
    const uniform = GUIDANCE_UPDATE_PARAMS.pack({ count: p.count, factor: p.factor });
    return { uniform, invocations: p.count, bytes: { eps: p.count * 4, grad: p.count * 4 } };
  }
}
