/**
 * Reference video -> motion: resize and centre-crop the decoded frames to the model's geometry,
 * encode with the VAE, noise to the reference timestep, run the UNet once to read its decoder
 * temporal-attention maps, and keep their top-1 masks (MotionClone's energy needs both).
 */
import { badInputError, EngineError } from '../errors';
import { stridedFrameIndices } from '../kernels/resize_crop_normalize';
import type { Clip } from '../protocol';
import { forwardNoiseParams, REFERENCE_NOISE_STREAM } from '../scheduler/lcm';
import type { ReferenceMotion } from './generate';
import type { Ops } from './ops';
import { attentionOutputs, encodeText, type ModelRuntime, noisePrior, scalar, session, specDims } from './runtime';

/** Size of each motion-map frame shown in the reference panel. */
export const MOTION_MAP_SIDE = 48;

export interface ExtractedMotion {
  reference: ReferenceMotion;
  motionMap: Clip;
}

export async function extractMotion(
  rt: ModelRuntime,
  ops: Ops,
  clip: Clip,
  seed: number,
  id: string,
): Promise<ExtractedMotion> {
  const m = rt.manifest;
  const guidance = m.motion_guidance;
  if (!guidance || !rt.sessions.motion_grad || !rt.sessions.vae_encoder) {
    throw new EngineError(
      'manifest',
      'This model package has no motion-guidance graphs; reference videos cannot guide it.',
    );
  }
  const T = m.video.frames;
  if (clip.frameCount < Math.min(T, 2)) {
    throw badInputError('Reference video', `has ${clip.frameCount} frame(s); the model needs at least ${T}.`);
  }
  if (clip.frames.length !== clip.frameCount * clip.height * clip.width * 4) {
    throw badInputError('Reference video', 'frame data does not match its stated size.');
  }
  const geometry = { frames: clip.frameCount, height: clip.height, width: clip.width };
  const frames = ops.framesFromHost(clip.frames, geometry);

  // (1, 3, T, H, W) in [-1, 1]: the VAE encoder's input.
  const { height: H, width: W } = m.video;
  const video = ops.alloc([1, 3, T, H, W], 'reference.video');
  ops.resizeCropNormalize(
    frames,
    {
      height: H,
      width: W,
      frameIndices: stridedFrameIndices(clip.frameCount, T),
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      layout: 'video',
    },
    video,
  );
  const { channels: C, height: h, width: w } = m.latent;
  const latentDims = [1, C, T, h, w];
  const latent = ops.alloc(latentDims, 'reference.latent');
  await ops.run(session(rt, 'vae_encoder'), 'vae_encoder', { video }, { latent });
  const z = ops.alloc(latentDims, 'reference.z');
  ops.scale(latent, z, m.latent.scale);
  const noise = ops.alloc(latentDims, 'reference.noise');
  ops.noise(noise, seed, REFERENCE_NOISE_STREAM, noisePrior(m));
  ops.lcmStep(z, noise, noise, forwardNoiseParams(rt.schedule, guidance.ref_timestep));

  // The reference's own caption is unknown: read its motion under the empty prompt.
  const empty = await encodeText(rt, ops, '');
  const specs = attentionOutputs(rt);
  if (specs.length !== guidance.layers) {
    throw new EngineError(
      'manifest',
      `The unet graph has ${specs.length} attention outputs; motion_guidance.layers says ${guidance.layers}.`,
    );
  }
  const attn = specs.map((s) => ops.alloc(specDims(s), `reference.${s.name}`));
  const eps = ops.alloc(latentDims, 'reference.eps');
  await ops.run(
    session(rt, 'unet'),
    'unet',
    {
      sample: z,
      timestep: scalar(guidance.ref_timestep),
      context: empty.context,
      guidance: scalar(m.sampler.guidance.default),
      motion: scalar(m.sampler.motion.default),
    },
    { eps, ...Object.fromEntries(specs.map((s, i) => [s.name, attn[i]])) },
  );
  const masks = attn.map((a, i) => {
    const dims = a.dims;
    const cols = dims[dims.length - 1];
    const mask = ops.alloc(dims, `reference.mask_${i}`);
    ops.top1Mask(a, mask, a.size / cols, cols);
    return mask;
  });

  // A picture of the motion: per-pixel change between consecutive frames, on a small map.
  const side = MOTION_MAP_SIDE;
  const mapH = clip.height >= clip.width ? side : Math.max(8, Math.round((side * clip.height) / clip.width));
  const mapW = clip.width >= clip.height ? side : Math.max(8, Math.round((side * clip.width) / clip.height));
  const map = await ops.motionMap(frames, mapH, mapW, 8);
  return {
    reference: { id, attn, masks, ops },
    motionMap: { frames: map, frameCount: clip.frameCount - 1, height: mapH, width: mapW, fps: 8 },
  };
}
