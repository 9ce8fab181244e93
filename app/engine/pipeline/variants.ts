/**
 * Which backend runs, which file of each graph it loads, and why — decided once per load from the
 * manifest, the probed GPU capabilities and the user's choice. Pure: unit-tested without a browser.
 */
import { EngineError, missingFeatureError, noWebGpuError } from '../errors';
import type { GpuCapabilities } from '../gpu/probe';
import { describeBackend } from '../gpu/probe';
import type { Graph, GraphRole, GraphVariant, Manifest } from '../manifest/schema';
import type { BackendChoice, BackendName, PrecisionChoice } from '../protocol';

export interface GraphPlan {
  role: GraphRole;
  variant: GraphVariant;
  /** Where this graph runs: the text encoder's int8 file runs on WASM even when the rest is on WebGPU. */
  backend: BackendName;
}

export interface LoadPlan {
  backend: BackendName;
  precision: 'fp32' | 'fp16';
  reason: string;
  graphs: Partial<Record<GraphRole, GraphPlan>>;
}

export function chooseBackend(choice: BackendChoice, caps: GpuCapabilities): { backend: BackendName; reason: string } {
  if (choice === 'wasm') return { backend: 'wasm', reason: 'WASM on the CPU (chosen in settings)' };
  if (!caps.webgpu) {
    if (choice === 'webgpu') throw noWebGpuError(caps.reason ?? 'no adapter');
    return { backend: 'wasm', reason: describeBackend(caps) };
  }
  if (caps.software && choice === 'auto') {
    // An emulated GPU runs our networks ~100x slower than onnxruntime's WASM backend.
    return {
      backend: 'wasm',
      reason: `WASM on the CPU: this browser's WebGPU is a software emulation (${caps.architecture || caps.vendor}), slower than WASM`,
    };
  }
  return { backend: 'webgpu', reason: describeBackend(caps) };
}

const supported = (v: GraphVariant, backend: BackendName, caps: GpuCapabilities) =>
  v.backends.includes(backend) && (backend === 'wasm' || v.requires.every((f) => f !== 'shader-f16' || caps.shaderF16));

/** Preference order of precisions per backend: quantised files are for the CPU, fp16 for GPUs that have it. */
function preference(backend: BackendName, precision: 'fp32' | 'fp16'): GraphVariant['precision'][] {
  if (backend === 'wasm') return ['int8', 'fp32', 'fp16'];
  return precision === 'fp16' ? ['fp16', 'fp32', 'int8'] : ['fp32', 'fp16', 'int8'];
}

export function pickVariant(
  role: GraphRole,
  graph: Graph,
  backend: BackendName,
  precision: 'fp32' | 'fp16',
  caps: GpuCapabilities,
): GraphPlan {
  for (const on of backend === 'webgpu' ? (['webgpu', 'wasm'] as const) : (['wasm'] as const)) {
    const candidates = graph.variants.filter((v) => supported(v, on, caps));
    for (const p of preference(on, precision)) {
      const variant = candidates.find((v) => v.precision === p);
      if (variant) return { role, variant, backend: on };
    }
  }
  const needs = graph.variants.flatMap((v) => v.requires);
  if (backend === 'webgpu' && needs.length) throw missingFeatureError(needs[0], role);
  throw new EngineError('manifest', `The package has no ${role} graph that runs on ${backend}.`, { role, backend });
}

export function planLoad(
  manifest: Manifest,
  choice: BackendChoice,
  precisionChoice: PrecisionChoice,
  caps: GpuCapabilities,
): LoadPlan {
  let { backend, reason } = chooseBackend(choice, caps);
  const wasmless = Object.entries(manifest.graphs).find(
    ([, g]) => g && !g.variants.some((v) => v.backends.includes('wasm')),
  );
  if (backend === 'wasm' && choice === 'auto' && caps.webgpu && wasmless) {
    // A GPU-only package (e.g. the fp16 T2V-Turbo-v2): a slow WebGPU beats a WASM path that does not exist.
    backend = 'webgpu';
    reason = `${describeBackend(caps)}: the ${wasmless[0]} graph has no WASM variant`;
  }
  if (precisionChoice === 'fp16' && backend === 'webgpu' && !caps.shaderF16)
    throw missingFeatureError('shader-f16', 'unet');
  const precision: 'fp32' | 'fp16' =
    backend === 'webgpu' && caps.shaderF16 && precisionChoice !== 'fp32' ? 'fp16' : 'fp32';
  const graphs: LoadPlan['graphs'] = {};
  for (const [role, graph] of Object.entries(manifest.graphs) as [GraphRole, Graph | undefined][]) {
    if (graph) graphs[role] = pickVariant(role, graph, backend, precision, caps);
  }
  const unetPrecision = graphs.unet?.variant.precision === 'fp16' ? 'fp16' : 'fp32';
  return { backend, precision: unetPrecision, reason, graphs };
}
