/**
 * A loaded model: its manifest, schedule, tokenizer and one ORT session per graph, plus the text
 * stage every request starts with. Shared by generate.ts, reference.ts and score.ts.
 */
import { cpuTensor, type OrtSession, runSession } from '../backend/ort';
import { EngineError } from '../errors';
import type { NoisePrior } from '../kernels/noise';
import type { GraphRole, Manifest, TensorSpec } from '../manifest/schema';
import type { TokenInfo } from '../protocol';
import type { LcmSchedule } from '../scheduler/lcm';
import type { Tokenizer } from '../tokenizer/index';
import { toInt64 } from '../tokenizer/wordpiece';
import type { Ops, Tensor } from './ops';
import type { LoadPlan } from './variants';

export interface ModelRuntime {
  manifest: Manifest;
  plan: LoadPlan;
  schedule: LcmSchedule;
  tokenizer: Tokenizer;
  sessions: Partial<Record<GraphRole, OrtSession>>;
}

export function session(rt: ModelRuntime, role: GraphRole): OrtSession {
  const s = rt.sessions[role];
  if (!s) throw new EngineError('manifest', `The model package has no ${role} graph.`, { role });
  return s;
}

/** The noise the model was trained on, for every draw of a sampler (undefined: white noise). */
export function noisePrior(m: Manifest): NoisePrior | undefined {
  const discount = m.schedule.multiscale_noise ?? 0;
  if (discount === 0) return undefined;
  return { discount, frames: m.latent.frames, height: m.latent.height, width: m.latent.width };
}

/** Concrete dims of a manifest tensor spec, with named axes bound (batch = 1, …). */
export function specDims(spec: TensorSpec, axes: Record<string, number> = {}): number[] {
  return spec.shape.map((d) => {
    if (typeof d === 'number') return d;
    const v = axes[d] ?? (d === 'batch' ? 1 : undefined);
    if (v === undefined)
      throw new EngineError('manifest', `Dimension "${d}" of ${spec.name} is not known.`, { axis: d });
    return v;
  });
}

export function outputSpec(rt: ModelRuntime, role: GraphRole, name: string): TensorSpec {
  const spec = rt.manifest.graphs[role]?.outputs.find((o) => o.name === name);
  if (!spec) throw new EngineError('manifest', `The ${role} graph has no output "${name}".`, { role, name });
  return spec;
}

/** Names of the decoder attention-map outputs of the UNet (`attn_0` … `attn_{n-1}`). */
export function attentionOutputs(rt: ModelRuntime): TensorSpec[] {
  return (rt.manifest.graphs.unet?.outputs ?? []).filter((o) => /^attn_\d+$/.test(o.name));
}

export interface TextContext {
  /** (1, L, D) token embeddings (zeroed at padding, or for CLIP every position's). */
  context: Tensor;
  /** (1, L) attention mask as float, for the reward graphs. */
  mask: Tensor;
  tokens: TokenInfo;
}

/**
 * Tokenises and encodes a prompt. The int8 text encoder runs on WASM even on the WebGPU path; its
 * (small) output is uploaded once — a CPU-to-GPU copy, not a readback.
 */
export async function encodeText(rt: ModelRuntime, ops: Ops, prompt: string): Promise<TextContext> {
  const { max_length: L } = rt.manifest.text.tokenizer;
  const D = rt.manifest.text.embed_dim;
  const enc = rt.tokenizer.encode(prompt);
  // Feed what the graph declares: a CLIP text tower takes input_ids only (its mask is causal).
  const declared = new Set(rt.manifest.graphs.text_encoder?.inputs.map((i) => i.name));
  const feeds = Object.fromEntries(
    [
      ['input_ids', cpuTensor(toInt64(enc.inputIds), [1, L])] as const,
      ['attention_mask', cpuTensor(toInt64(enc.attentionMask), [1, L])] as const,
    ].filter(([name]) => declared.has(name)),
  );
  const tokens = { count: enc.count, max: L, truncated: enc.truncated };
  const mask = ops.fromHost(Float32Array.from(enc.attentionMask), [1, L], 'text.mask');
  if (rt.plan.graphs.text_encoder?.backend === 'wasm' || ops.kind === 'cpu') {
    const out = await runSession(session(rt, 'text_encoder'), 'text_encoder', feeds, ['context']);
    const data = out.context.data as Float32Array;
    const context = ops.fromHost(data.slice(), [1, L, D], 'text.context');
    out.context.dispose();
    return { context, mask, tokens };
  }
  const context = ops.alloc([1, L, D], 'text.context');
  await ops.run(session(rt, 'text_encoder'), 'text_encoder', feeds, { context });
  return { context, mask, tokens };
}

export const scalar = (v: number) => cpuTensor(Float32Array.of(v), [1]);
