/**
 * What a package needs and whether this device has it, worked out from its manifest alone (no
 * weights downloaded): the engine's own plan and checks (planLoad, assessFit), put into words for
 * the model panel. The engine runs the same checks again when it loads, and refuses before any
 * download if one fails.
 */
import { EngineError } from '../../engine/errors';
import { probeGpu } from '../../engine/gpu/probe';
import { parseManifest } from '../../engine/manifest/parse';
import { assessFit, bytesText } from '../../engine/pipeline/requirements';
import { planLoad } from '../../engine/pipeline/variants';
import type { BackendChoice } from '../../engine/protocol';

export interface FitView {
  /** "Needs WebGPU with shader-f16 · a 1.0 GB GPU buffer · about 4.1 GB of GPU memory · 3.3 GB download". */
  needs: string;
  /** True, false, or undefined while unknown. */
  ok: boolean | undefined;
  verdict: string;
}

export async function packageFit(baseUrl: string, choice: BackendChoice): Promise<FitView> {
  const res = await fetch(`${baseUrl}manifest.json`);
  if (!res.ok) throw new Error(`manifest.json: HTTP ${res.status}`);
  const manifest = parseManifest(await res.json());
  const req = manifest.requirements;
  const gpuOnly = Object.values(manifest.graphs).some((g) => g?.variants.every((v) => !v.backends.includes('wasm')));
  const features = [
    ...new Set(Object.values(manifest.graphs).flatMap((g) => g?.variants.flatMap((v) => v.requires) ?? [])),
  ];
  const parts = [
    gpuOnly ? `WebGPU${features.length ? ` with ${features.join(', ')}` : ''}` : 'WebGPU or WASM',
    req.max_buffer_bytes !== undefined ? `a ${bytesText(req.max_buffer_bytes)} GPU buffer` : undefined,
    `about ${bytesText(req.gpu_memory_bytes)} of GPU memory`,
  ].filter(Boolean);
  const caps = await probeGpu();
  try {
    const plan = planLoad(manifest, choice, 'auto', caps);
    const fit = assessFit(manifest, plan, caps);
    const needs = `Needs ${parts.join(' · ')} · ${bytesText(fit.downloadBytes)} download`;
    const failed = fit.checks.find((c) => c.ok === false);
    if (failed)
      return {
        needs,
        ok: false,
        verdict: `Cannot run here: ${failed.what} needs ${failed.need}, this device has ${failed.have}.`,
      };
    const where = plan.backend === 'webgpu' ? `WebGPU ${plan.precision}` : 'WASM';
    const memory = plan.backend === 'webgpu' ? ' (browsers do not report GPU memory: check yours)' : '';
    return { needs, ok: true, verdict: `Runs here on ${where}${memory}.` };
  } catch (e) {
    const needs = `Needs ${parts.join(' · ')}`;
    return { needs, ok: false, verdict: `Cannot run here: ${e instanceof EngineError ? e.message : String(e)}` };
  }
}
