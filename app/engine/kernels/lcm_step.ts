/**
 * lcm_step.wgsl and its TypeScript twin: one multistep-consistency step (see the .wgsl header for
 * the maths). The scalars come from `lcmStepParams` (scheduler/lcm.ts).
 */
import { type DispatchPlan, TypedKernel } from '../gpu/compute';
import { kernelError, UniformLayout } from '../gpu/uniform';
import type { LcmStepScalars } from '../scheduler/lcm';
import code from './lcm_step.wgsl?raw';

const f = Math.fround;

/**
 * Twin of lcm_step.wgsl on typed arrays. `noise` is needed unless this is the last step
 * (`s.next` absent). `out` may be `z` (in place, like the kernel).
 */
export function lcmStep(
  z: Float32Array,
  eps: Float32Array,
  noise: Float32Array | undefined,
  s: LcmStepScalars,
  out: Float32Array = new Float32Array(z.length),
): Float32Array {
  const n = z.length;
  for (const [name, a] of [
    ['eps', eps],
    ['out', out],
  ] as const) {
    if (a.length !== n) throw kernelError('lcm_step', `${name} has ${a.length} elements, z has ${n}`);
  }
  if (s.next && noise?.length !== n) {
    throw kernelError('lcm_step', `noise has ${noise?.length ?? 0} elements, z has ${n} (needed before the last step)`);
  }
  // The kernel's uniform holds float32 scalars; use the same values.
  const [sa, s1m, cSkip, cOut] = [f(s.sqrtAbar), f(s.sqrtOneMinusAbar), f(s.cSkip), f(s.cOut)];
  const [na, n1m] = s.next ? [f(s.next.sqrtAbar), f(s.next.sqrtOneMinusAbar)] : [0, 0];
  for (let i = 0; i < n; i++) {
    const x0 = (z[i] - s1m * eps[i]) / sa;
    const d = cSkip * z[i] + cOut * x0;
    out[i] = s.next ? na * d + n1m * (noise as Float32Array)[i] : d;
  }
  return out;
}

export const LCM_STEP_PARAMS = new UniformLayout('lcm_step', {
  count: 'u32',
  last: 'u32',
  sqrt_abar: 'f32',
  sqrt_one_minus_abar: 'f32',
  c_skip: 'f32',
  c_out: 'f32',
  next_sqrt_abar: 'f32',
  next_sqrt_one_minus_abar: 'f32',
});

export interface LcmStepParams extends LcmStepScalars {
  /** Latent elements. */
  count: number;
}

export type LcmStepBuffers = 'z' | 'eps' | 'noise';

/**
 * `bind({z, eps, noise})`: z is updated in place; eps and noise are read (they may be the same
 * buffer, e.g. for `forwardNoiseParams`, where eps is ignored). After the last step noise is not
 * read but a buffer must still be bound.
 */
export class LcmStepKernel extends TypedKernel<LcmStepBuffers, LcmStepParams> {
  constructor(device: GPUDevice) {
    super(device, code, 'lcm_step', ['z', 'eps', 'noise'], LCM_STEP_PARAMS);
  }

  plan(p: LcmStepParams): DispatchPlan<LcmStepBuffers> {
    if (!(p.sqrtAbar > 0)) throw kernelError('lcm_step', `sqrtAbar must be positive, got ${p.sqrtAbar}`);
    const uniform = LCM_STEP_PARAMS.pack({
      count: p.count,
      last: p.next ? 0 : 1,
      sqrt_abar: p.sqrtAbar,
      sqrt_one_minus_abar: p.sqrtOneMinusAbar,
      c_skip: p.cSkip,
      c_out: p.cOut,
      next_sqrt_abar: p.next?.sqrtAbar ?? 0,
      next_sqrt_one_minus_abar: p.next?.sqrtOneMinusAbar ?? 0,
    });
    const bytes = p.count * 4;
    return { uniform, invocations: p.count, bytes: { z: bytes, eps: bytes, noise: p.next ? bytes : 0 } };
  }
}
