/**
 * Cross-field rules of the manifest that JSON Schema cannot state. Mirrored rule for rule in
 * models/src/t2v_turbo/export/manifest.py (`semantic_problems`); both run on the shared fixtures.
 */
import type { Manifest } from './schema';

/** One broken rule: the dotted path of the field at fault and what is wrong with it. */
export interface ManifestProblem {
  path: string;
  message: string;
}

const REQUIRED_GRAPHS = ['text_encoder', 'unet', 'vae_decoder'] as const;
/**
 * A browser reads each file into one ArrayBuffer (and onnxruntime-web a graph into one protobuf):
 * neither goes past 2 GiB - 1 bytes. Larger weights must be split into external-data shards.
 */
export const MAX_FILE_BYTES = 2 ** 31 - 1;

export function semanticProblems(m: Manifest): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const add = (path: string, message: string): void => {
    problems.push({ path, message });
  };

  for (const role of REQUIRED_GRAPHS) {
    if (!m.graphs[role]) add(`graphs.${role}`, 'is required');
  }

  const ranges = [
    ['sampler.steps', m.sampler.steps],
    ['sampler.guidance', m.sampler.guidance],
    ['sampler.motion', m.sampler.motion],
  ] as const;
  for (const [path, r] of ranges) {
    if (r.min > r.max) add(`${path}.min`, `must not exceed max (${r.min} > ${r.max})`);
    else if (r.default < r.min || r.default > r.max)
      add(`${path}.default`, `must lie in [${r.min}, ${r.max}], got ${r.default}`);
  }
  m.sampler.steps.recommended.forEach((s, i) => {
    if (s < m.sampler.steps.min || s > m.sampler.steps.max)
      add(`sampler.steps.recommended.${i}`, `must lie in [${m.sampler.steps.min}, ${m.sampler.steps.max}], got ${s}`);
  });

  const { num_steps, skip } = m.sampler.grid;
  if (m.schedule.num_train_timesteps % num_steps !== 0)
    add('sampler.grid.num_steps', `must divide schedule.num_train_timesteps (${m.schedule.num_train_timesteps})`);
  if (skip >= num_steps) add('sampler.grid.skip', `must be below grid.num_steps (${num_steps})`);
  if (m.sampler.steps.max > num_steps) add('sampler.steps.max', `must not exceed the grid's ${num_steps} timesteps`);
  if (m.schedule.beta_start >= m.schedule.beta_end) add('schedule.beta_start', 'must be below beta_end');

  if (m.latent.frames !== m.video.frames) add('latent.frames', `must equal video.frames (${m.video.frames})`);
  if (m.latent.height * m.latent.downsample !== m.video.height)
    add('latent.height', `times latent.downsample must equal video.height (${m.video.height})`);
  if (m.latent.width * m.latent.downsample !== m.video.width)
    add('latent.width', `times latent.downsample must equal video.width (${m.video.width})`);

  const decoderShape = m.graphs.vae_decoder?.inputs[0]?.shape;
  const chunk = decoderShape?.length === 5 ? decoderShape[2] : undefined;
  if (typeof chunk === 'number' && (chunk === 0 || m.latent.frames % chunk !== 0))
    add(
      'graphs.vae_decoder.inputs.0.shape.2',
      `(frames per decoder call) must divide latent.frames (${m.latent.frames})`,
    );

  const references: [string, string][] = [
    ['text.graph', m.text.graph],
    ...(m.motion_guidance ? [['motion_guidance.graph', m.motion_guidance.graph] as [string, string]] : []),
    ...m.rewards.map((r, i): [string, string] => [`rewards.${i}.graph`, r.graph]),
  ];
  for (const [path, role] of references) {
    if (!m.graphs[role as keyof Manifest['graphs']])
      add(path, `names graph "${role}", which the package does not have`);
  }

  const rewardIds = new Set<string>();
  m.rewards.forEach((r, i) => {
    if (rewardIds.has(r.id)) add(`rewards.${i}.id`, `"${r.id}" appears twice`);
    rewardIds.add(r.id);
  });

  const paths = new Map<string, string>();
  const claim = (field: string, path: string) => {
    const other = paths.get(path);
    if (other) add(field, `file "${path}" is also used by ${other}`);
    else paths.set(path, field);
  };
  claim('text.tokenizer.vocab.path', m.text.tokenizer.vocab.path);
  for (const [role, graph] of Object.entries(m.graphs)) {
    if (!graph) continue;
    const seen = new Set<string>();
    graph.variants.forEach((v, i) => {
      const at = `graphs.${role}.variants.${i}`;
      if (seen.has(v.precision)) add(`${at}.precision`, `"${v.precision}" appears twice`);
      seen.add(v.precision);
      if (v.precision === 'fp16' && v.backends.includes('webgpu') && !v.requires.includes('shader-f16'))
        add(`${at}.requires`, 'an fp16 WebGPU variant must require "shader-f16"');
      claim(`${at}.file.path`, v.file.path);
      // External-data shards may be shared between graphs (one weight file, two graphs).
      const refs: [string, { bytes: number }][] = [
        ['file', v.file],
        ...v.external_data.map((e, j): [string, { bytes: number }] => [`external_data.${j}`, e]),
      ];
      for (const [where, ref] of refs) {
        if (ref.bytes > MAX_FILE_BYTES)
          add(
            `${at}.${where}.bytes`,
            `is ${ref.bytes}; a browser holds a file in one ArrayBuffer of at most ${MAX_FILE_BYTES} bytes, so split the weights into external-data shards`,
          );
      }
    });
  }
  return problems;
}
