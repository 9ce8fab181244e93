/**
 * Prompt to frames: multistep consistency sampling (LCM) on the manifest's grid, with optional
 * motion guidance from a reference video on the first steps — the maths of docs/MODEL_FORMAT.md,
 * "Sampler", written once against `Ops` for both backends.
 */
import { cancelledError } from '../errors';
import type { GenerateRequest, Progress, TokenInfo } from '../protocol';
import { guidanceFactor, guidedSteps, inferenceTimesteps, lcmStepParams, renoiseStream } from '../scheduler/lcm';
import type { Ops, Tensor } from './ops';
import { encodeText, type ModelRuntime, noisePrior, scalar, session } from './runtime';

/** Reference motion kept between extractMotion and generate: decoder attention maps and their top-1 masks. */
export interface ReferenceMotion {
  id: string;
  attn: Tensor[];
  masks: Tensor[];
  /** Owner of the tensors; released when the reference is dropped. */
  ops: Ops;
}

export interface GenerateContext {
  onProgress?: (p: Progress) => void;
  /** Throws EngineError('cancelled') when the caller has cancelled; checked before each step. */
  checkCancelled: () => void | Promise<void>;
  now?: () => number;
}

export interface Generated {
  frames: Uint8ClampedArray;
  tokens: TokenInfo;
  timings: Record<string, number>;
}

export async function generate(
  rt: ModelRuntime,
  ops: Ops,
  req: GenerateRequest,
  reference: ReferenceMotion | undefined,
  ctx: GenerateContext,
): Promise<Generated> {
  const now = ctx.now ?? (() => performance.now());
  const m = rt.manifest;
  const timings: Record<string, number> = {};
  const start = now();
  const lap = (name: string, since: number) => {
    timings[name] = now() - since;
    return now();
  };

  await ctx.checkCancelled();
  let t = now();
  const text = await encodeText(rt, ops, req.prompt);
  t = lap('text', t);

  const { channels: C, frames: T, height: h, width: w } = m.latent;
  const latentDims = [1, C, T, h, w];
  const z = ops.alloc(latentDims, 'z'); // (1, C, T, h, w)
  const eps = ops.alloc(latentDims, 'eps');
  const noise = ops.alloc(latentDims, 'noise');
  const grad = reference ? ops.alloc(latentDims, 'grad') : undefined;
  const prior = noisePrior(m);
  ops.noise(z, req.seed, 0, prior);

  const timesteps = inferenceTimesteps(m.schedule.num_train_timesteps, m.sampler.grid.num_steps, req.steps);
  const guided = reference ? guidedSteps(req.steps, req.reference?.tau ?? m.motion_guidance?.tau ?? 0.5) : 0;
  const guidance = scalar(req.guidance);
  const motion = scalar(req.motion);
  const stepTimes: number[] = [];
  const loopStart = now();

  for (let i = 0; i < timesteps.length; i++) {
    await ctx.checkCancelled();
    const ti = timesteps[i];
    const feeds = { sample: z, timestep: scalar(ti), context: text.context, guidance, motion };
    const stepStart = now();
    if (reference && grad && i < guided) {
      const refFeeds = Object.fromEntries([
        ...reference.attn.map((a, k) => [`ref_attn_${k}`, a] as const),
        ...reference.masks.map((a, k) => [`mask_${k}`, a] as const),
      ]);
      await ops.run(session(rt, 'motion_grad'), 'motion_grad', { ...feeds, ...refFeeds }, { eps, grad });
      ops.guide(eps, grad, guidanceFactor(rt.schedule, ti, req.reference?.strength ?? 0));
      timings[`motion_grad[${i}]`] = now() - stepStart;
    } else {
      await ops.run(session(rt, 'unet'), 'unet', feeds, { eps });
      timings[`unet[${i}]`] = now() - stepStart;
    }
    const s = lcmStepParams(rt.schedule, timesteps, i);
    if (s.next) ops.noise(noise, req.seed, renoiseStream(i), prior);
    ops.lcmStep(z, eps, noise, s);
    stepTimes.push(now() - stepStart);
    const mean = stepTimes.reduce((a, b) => a + b, 0) / stepTimes.length;
    ctx.onProgress?.({
      stage: 'denoise',
      done: i + 1,
      total: timesteps.length,
      elapsedMs: now() - start,
      // Decoding costs about one step; guided steps cost more, and the mean already includes them.
      etaMs: mean * (timesteps.length - i - 1 + 1),
    });
  }
  timings.denoise = now() - loopStart;

  await ctx.checkCancelled();
  t = now();
  ctx.onProgress?.({ stage: 'decode', elapsedMs: now() - start });
  const unscaled = ops.alloc(latentDims, 'latent');
  ops.scale(z, unscaled, 1 / m.latent.scale);
  const video = ops.alloc([1, 3, T, m.video.height, m.video.width], 'video');
  await decode(rt, ops, unscaled, video);
  const frames = await ops.toFrames(video, { frames: T, height: m.video.height, width: m.video.width });
  lap('decode', t);
  timings.total = now() - start;
  return { frames, tokens: text.tokens, timings };
}

/**
 * latent (1, C, T, h, w), unscaled -> video (1, 3, T, H, W): in one call, or in chunks of the
 * decoder graph's frames (large models decode frame by frame; frames are independent in the VAE).
 */
async function decode(rt: ModelRuntime, ops: Ops, latent: Tensor, video: Tensor): Promise<void> {
  const decoder = session(rt, 'vae_decoder');
  const declared = rt.manifest.graphs.vae_decoder?.inputs[0]?.shape[2];
  const T = latent.dims[2];
  const chunk = typeof declared === 'number' && declared < T ? declared : T;
  if (chunk === T) {
    await ops.run(decoder, 'vae_decoder', { latent }, { video });
    return;
  }
  const part = ops.alloc([...latent.dims.slice(0, 2), chunk, ...latent.dims.slice(3)], 'latent.chunk');
  const frames = ops.alloc([...video.dims.slice(0, 2), chunk, ...video.dims.slice(3)], 'video.chunk');
  for (let t = 0; t < T; t += chunk) {
    ops.copyFrames(latent, t, part, 0, chunk);
    await ops.run(decoder, 'vae_decoder', { latent: part }, { video: frames });
    ops.copyFrames(frames, 0, video, t, chunk);
  }
}

/** A cancellation flag the engine flips; generation checks it between steps. */
export class CancelToken {
  private cancelled = false;
  constructor(private readonly signal?: AbortSignal) {}
  cancel(): void {
    this.cancelled = true;
  }
  readonly check = (): void => {
    if (this.cancelled || this.signal?.aborted) throw cancelledError();
  };
}
