/**
 * The model-package contract: the one schema of `manifest.json`.
 *
 * The structural part below is the single source of truth. `npm run schema` writes it out as JSON
 * Schema to models/src/t2v_turbo/export/manifest.schema.json, which the companion validates
 * against; the cross-field rules in `semantics.ts` are mirrored in Python (`manifest.py`) and
 * both are run on the same fixtures (models/tests/fixtures/manifests/).
 * Human-readable description: docs/MODEL_FORMAT.md.
 */
import { z } from 'zod';

export const MANIFEST_FORMAT = 't2v-turbo-web/1';

const int = () => z.number().int();
const posInt = () => z.number().int().positive();
const finite = () => z.number().finite();

/** A file inside the package folder, with its size and content hash. */
export const FileRef = z
  .object({
    path: z.string().regex(/^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[A-Za-z0-9._/-]+$/, 'a relative path inside the package'),
    bytes: int().nonnegative(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits'),
  })
  .strict();

export const DType = z.enum(['float32', 'float16', 'int64', 'int32', 'uint8', 'bool']);

/** A dimension is a fixed size or a named dynamic axis. */
export const TensorSpec = z
  .object({
    name: z.string().min(1),
    dtype: DType,
    shape: z.array(z.union([int().nonnegative(), z.string().regex(/^[a-z_][a-z0-9_]*$/)])),
  })
  .strict();

export const Precision = z.enum(['fp32', 'fp16', 'int8']);
export const Backend = z.enum(['webgpu', 'wasm']);
export const GpuFeature = z.enum(['shader-f16']);

/** One file of a graph at one precision; `requires` lists WebGPU features it cannot run without. */
export const GraphVariant = z
  .object({
    precision: Precision,
    file: FileRef,
    external_data: z.array(FileRef).default([]),
    backends: z.array(Backend).min(1),
    requires: z.array(GpuFeature).default([]),
  })
  .strict();

export const Graph = z
  .object({
    inputs: z.array(TensorSpec).min(1),
    outputs: z.array(TensorSpec).min(1),
    variants: z.array(GraphVariant).min(1),
  })
  .strict();

export const GraphRole = z.enum([
  'text_encoder',
  'unet',
  'motion_grad',
  'vae_encoder',
  'vae_decoder',
  'reward_image_text',
  'reward_quality',
  'reward_video_text',
]);

const Range = z.object({ min: finite(), max: finite(), default: finite() }).strict();

/** Uncased BERT WordPiece (all-MiniLM-L6-v2): `vocab` is vocab.txt, one token per line. */
export const BertWordPiece = z
  .object({
    kind: z.literal('bert-wordpiece'),
    vocab: FileRef,
    lowercase: z.boolean(),
    strip_accents: z.boolean(),
    max_length: posInt(),
    cls_id: int().nonnegative(),
    sep_id: int().nonnegative(),
    pad_id: int().nonnegative(),
    unk_id: int().nonnegative(),
  })
  .strict();

/**
 * CLIP's byte-level BPE as OpenCLIP applies it (VideoCrafter2): `vocab` is the merge list (a
 * header line, then one "a b" merge per line); ids = [bos] + tokens + [eos], padded with pad_id.
 */
export const ClipBpe = z
  .object({
    kind: z.literal('clip-bpe'),
    vocab: FileRef,
    max_length: posInt(),
    bos_id: int().nonnegative(),
    eos_id: int().nonnegative(),
    pad_id: int().nonnegative(),
  })
  .strict();

export const Manifest = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case letters, digits, . _ -'),
    name: z.string().min(1),
    description: z.string(),
    video: z.object({ frames: posInt(), fps: finite().positive(), height: posInt(), width: posInt() }).strict(),
    latent: z
      .object({
        channels: posInt(),
        frames: posInt(),
        height: posInt(),
        width: posInt(),
        /** Multiply the VAE's latent by this before diffusion (SD's 0.18215). */
        scale: finite().positive(),
        downsample: posInt(),
      })
      .strict(),
    schedule: z
      .object({
        num_train_timesteps: posInt(),
        beta_start: finite().positive(),
        beta_end: finite().positive(),
        /** `scaled_linear` is linear in sqrt(beta), VideoCrafter's "linear". */
        beta_schedule: z.enum(['scaled_linear', 'linear']),
        prediction: z.literal('epsilon'),
        /**
         * Discount of the multiscale noise the model was trained on (every noise draw of the sampler
         * uses it, kernels/noise.wgsl); absent or 0: white noise.
         */
        multiscale_noise: finite().min(0).lt(1).optional(),
        /**
         * ᾱ of the last timestep after rescaling √ᾱ (absent or 0: the betas' own schedule); hides the
         * clip that the plain schedule leaves in the noisiest latent (scheduler/lcm.ts).
         */
        terminal_abar: finite().min(0).lt(1).optional(),
      })
      .strict(),
    sampler: z
      .object({
        kind: z.literal('lcm'),
        /** The distillation grid: N timesteps spaced num_train_timesteps / N apart, solver skip k. */
        grid: z.object({ num_steps: posInt(), skip: posInt() }).strict(),
        timestep_scaling: finite().positive(),
        sigma_data: finite().positive(),
        steps: z
          .object({ min: posInt(), max: posInt(), default: posInt(), recommended: z.array(posInt()).min(1) })
          .strict(),
        guidance: Range,
        motion: Range,
        /** Conditioning scalars are embedded as sinusoids of value * embed_scale. */
        embed_scale: finite().positive(),
      })
      .strict(),
    text: z
      .object({
        graph: GraphRole,
        embed_dim: posInt(),
        tokenizer: z.discriminatedUnion('kind', [BertWordPiece, ClipBpe]),
      })
      .strict(),
    motion_guidance: z
      .object({
        graph: GraphRole,
        /** Number of decoder temporal-attention maps the energy compares. */
        layers: posInt(),
        /** Guidance acts on the first `tau` fraction of the sampling steps. */
        tau: finite().min(0).max(1),
        /** Default lambda in eps <- eps - lambda * sqrt(1 - abar_t) * grad G. */
        lambda: finite().nonnegative(),
        /** Timestep the reference latent is noised to before its attention maps are read. */
        ref_timestep: int().nonnegative(),
      })
      .strict()
      .optional(),
    graphs: z.partialRecord(GraphRole, Graph),
    rewards: z.array(
      z
        .object({
          id: z.string().regex(/^[a-z][a-z0-9_]*$/),
          graph: GraphRole,
          label: z.string().min(1),
          description: z.string().min(1),
          higher_is_better: z.boolean(),
          input: z
            .object({
              /** `frames`: each chosen frame scored alone and averaged; `clip`: the frames together. */
              kind: z.enum(['frames', 'clip']),
              frames: posInt(),
              height: posInt(),
              width: posInt(),
              mean: z.array(finite()).length(3),
              std: z.array(finite().positive()).length(3),
            })
            .strict(),
        })
        .strict(),
    ),
    requirements: z
      .object({
        /**
         * GPU memory the WebGPU path needs for one clip: its weights plus the largest graph's peak of
         * live activations (measured on the graphs by the exporter, with a margin for the allocator).
         */
        gpu_memory_bytes: int().nonnegative(),
        weight_bytes: int().nonnegative(),
        /** The largest single tensor (weight or activation) on the WebGPU path: one GPU buffer must hold it. */
        max_buffer_bytes: int().nonnegative().optional(),
      })
      .strict(),
    provenance: z
      .object({
        tool: z.string(),
        commit: z.string(),
        created: z.string(),
        training_steps: z.record(z.string(), int().nonnegative()),
        config: z.record(z.string(), z.unknown()),
      })
      .strict(),
  })
  .strict();

export type FileRef = z.infer<typeof FileRef>;
export type TensorSpec = z.infer<typeof TensorSpec>;
export type GraphVariant = z.infer<typeof GraphVariant>;
export type Graph = z.infer<typeof Graph>;
export type GraphRole = z.infer<typeof GraphRole>;
export type Precision = z.infer<typeof Precision>;
export type Backend = z.infer<typeof Backend>;
export type Manifest = z.infer<typeof Manifest>;
export type RewardSpec = Manifest['rewards'][number];
export type TokenizerManifest = Manifest['text']['tokenizer'];
