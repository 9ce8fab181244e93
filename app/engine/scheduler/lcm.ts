/**
 * LCM schedule maths, the twin of models/src/t2v_turbo/diffusion/{schedule,lcm}.py; the exact
 * rules are in docs/MODEL_FORMAT.md ("Sampler"). Tables are float64 like the Python side; the
 * per-step scalars are rounded to float32 only where a kernel's uniform takes them.
 * models/tests/fixtures/scheduler.json pins both sides to the same numbers.
 */
import { badInputError } from '../errors';
import type { Manifest } from '../manifest/schema';

export type ScheduleSpec = Pick<
  Manifest['schedule'],
  'num_train_timesteps' | 'beta_start' | 'beta_end' | 'beta_schedule' | 'terminal_abar'
>;

/**
 * ᾱ_t for t = 0..T-1 (float64): betas linear in sqrt(beta) (`scaled_linear`) or in beta (`linear`);
 * with `terminal_abar`, √ᾱ is then mapped affinely so that ᾱ_0 stays and ᾱ_{T-1} = terminal_abar.
 */
export function alphasCumprod(schedule: ScheduleSpec): Float64Array {
  const out = plainAlphasCumprod(schedule);
  const target = schedule.terminal_abar ?? 0;
  if (target === 0) return out;
  const n = out.length;
  if (!(target > 0 && target < out[n - 1])) {
    throw badInputError(
      'schedule.terminal_abar',
      `must be 0 (off) or lie in (0, ${out[n - 1].toPrecision(3)}), got ${target}`,
    );
  }
  const first = Math.sqrt(out[0]);
  const last = Math.sqrt(out[n - 1]);
  const root = Math.sqrt(target);
  for (let i = 0; i < n; i++) {
    out[i] = (root + ((Math.sqrt(out[i]) - last) * (first - root)) / (first - last)) ** 2;
  }
  return out;
}

function plainAlphasCumprod(schedule: ScheduleSpec): Float64Array {
  const n = schedule.num_train_timesteps;
  const [from, to] =
    schedule.beta_schedule === 'scaled_linear'
      ? [Math.sqrt(schedule.beta_start), Math.sqrt(schedule.beta_end)]
      : [schedule.beta_start, schedule.beta_end];
  const out = new Float64Array(n);
  // numpy.linspace: start + i * step, with the last point set to `stop` exactly.
  const step = n > 1 ? (to - from) / (n - 1) : 0;
  let product = 1;
  for (let i = 0; i < n; i++) {
    const x = i === n - 1 && n > 1 ? to : i * step + from;
    const beta = schedule.beta_schedule === 'scaled_linear' ? x * x : x;
    product *= 1 - beta;
    out[i] = product;
  }
  return out;
}

/** The N distillation-solver timesteps, ascending: τ_j = (j + 1)·T/N − 1 (T = 1000, N = 200: 4, 9, …, 999). */
export function distillationGrid(numTrainTimesteps: number, numSteps: number): number[] {
  if (!Number.isInteger(numSteps) || numSteps < 1 || numTrainTimesteps % numSteps !== 0) {
    throw badInputError(
      'sampler.grid.num_steps',
      `must be a positive divisor of ${numTrainTimesteps}, got ${numSteps}`,
    );
  }
  const ratio = numTrainTimesteps / numSteps;
  return Array.from({ length: numSteps }, (_, j) => (j + 1) * ratio - 1);
}

/** Timesteps of an S-step sample, descending: the reversed grid, every ⌊N/S⌋-th entry, the first S. */
export function inferenceTimesteps(numTrainTimesteps: number, numSteps: number, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > numSteps) {
    throw badInputError('steps', `must be an integer in [1, ${numSteps}], got ${steps}`);
  }
  const reversed = distillationGrid(numTrainTimesteps, numSteps).reverse();
  const stride = Math.floor(numSteps / steps);
  return Array.from({ length: steps }, (_, k) => reversed[k * stride]);
}

/** (c_skip, c_out) of the consistency parameterisation at timestep t; f(z, 0) = z exactly. */
export function boundaryScalings(t: number, timestepScaling = 10, sigmaData = 0.5): [number, number] {
  const st = t * timestepScaling;
  const sd2 = sigmaData * sigmaData;
  return [sd2 / (st * st + sd2), st / Math.sqrt(st * st + sd2)];
}

/** Everything the LCM step needs from the schedule, built once per model. */
export interface LcmSchedule {
  alphasCumprod: Float64Array;
  timestepScaling: number;
  sigmaData: number;
}

export function lcmSchedule(manifest: Pick<Manifest, 'schedule' | 'sampler'>): LcmSchedule {
  return {
    alphasCumprod: alphasCumprod(manifest.schedule),
    timestepScaling: manifest.sampler.timestep_scaling,
    sigmaData: manifest.sampler.sigma_data,
  };
}

/**
 * The per-step scalars of lcm_step.wgsl:
 *   x̂0 = (z − sqrtOneMinusAbar·ε)/sqrtAbar;  d = cSkip·z + cOut·x̂0;
 *   z ← next ? next.sqrtAbar·d + next.sqrtOneMinusAbar·noise : d.
 */
export interface LcmStepScalars {
  sqrtAbar: number;
  sqrtOneMinusAbar: number;
  cSkip: number;
  cOut: number;
  /** Re-noising to the next timestep; absent after the last step. */
  next?: { sqrtAbar: number; sqrtOneMinusAbar: number };
}

/** Scalars of step i of a sample over `timesteps` (from `inferenceTimesteps`). */
export function lcmStepParams(schedule: LcmSchedule, timesteps: readonly number[], i: number): LcmStepScalars {
  if (!Number.isInteger(i) || i < 0 || i >= timesteps.length) {
    throw badInputError('step', `must be an integer in [0, ${timesteps.length - 1}], got ${i}`);
  }
  const t = checkTimestep(schedule, timesteps[i]);
  const abar = schedule.alphasCumprod[t];
  const [cSkip, cOut] = boundaryScalings(t, schedule.timestepScaling, schedule.sigmaData);
  const scalars: LcmStepScalars = { sqrtAbar: Math.sqrt(abar), sqrtOneMinusAbar: Math.sqrt(1 - abar), cSkip, cOut };
  if (i + 1 < timesteps.length) {
    const abarNext = schedule.alphasCumprod[checkTimestep(schedule, timesteps[i + 1])];
    scalars.next = { sqrtAbar: Math.sqrt(abarNext), sqrtOneMinusAbar: Math.sqrt(1 - abarNext) };
  }
  return scalars;
}

/**
 * Scalars that turn lcm_step into the forward process q(z_t | x0): with cSkip = 1 and cOut = 0 the
 * step keeps z, then "re-noises" it to t, giving √ᾱ_t·x0 + √(1−ᾱ_t)·noise. The engine noises the
 * reference latent to `motion_guidance.ref_timestep` this way (ε is ignored: bind any buffer).
 */
export function forwardNoiseParams(schedule: LcmSchedule, t: number): LcmStepScalars {
  const abar = schedule.alphasCumprod[checkTimestep(schedule, t)];
  return {
    sqrtAbar: 1,
    sqrtOneMinusAbar: 0,
    cSkip: 1,
    cOut: 0,
    next: { sqrtAbar: Math.sqrt(abar), sqrtOneMinusAbar: Math.sqrt(1 - abar) },
  };
}

/** The motion-guidance factor λ·√(1−ᾱ_t) of guidance_update.wgsl (ε ← ε − factor·∇G). */
export function guidanceFactor(schedule: LcmSchedule, t: number, lambda: number): number {
  if (!Number.isFinite(lambda)) throw badInputError('reference.strength', `must be a finite number, got ${lambda}`);
  return lambda * Math.sqrt(1 - schedule.alphasCumprod[checkTimestep(schedule, t)]);
}

/**
 * How many of S steps (the first ones) get motion guidance: ⌈τ·S⌉. A product that lands a few ulps
 * above an integer (0.3·10 = 3.0000000000000004) counts as that integer, not the next one.
 */
export function guidedSteps(steps: number, tau: number): number {
  if (!(tau >= 0 && tau <= 1)) throw badInputError('reference.tau', `must lie in [0, 1], got ${tau}`);
  if (!Number.isInteger(steps) || steps < 0)
    throw badInputError('steps', `must be a non-negative integer, got ${steps}`);
  const product = tau * steps;
  const nearest = Math.round(product);
  return Math.abs(product - nearest) < 1e-9 ? nearest : Math.ceil(product);
}

/** Noise stream of the re-noising after step i (stream 0 is the initial latent). */
export const renoiseStream = (i: number) => i + 1;
/** Noise stream of the reference video's forward noising. */
export const REFERENCE_NOISE_STREAM = 0xffff0000;

function checkTimestep(schedule: LcmSchedule, t: number): number {
  if (!Number.isInteger(t) || t < 0 || t >= schedule.alphasCumprod.length) {
    throw badInputError('timestep', `must be an integer in [0, ${schedule.alphasCumprod.length - 1}], got ${t}`);
  }
  return t;
}
