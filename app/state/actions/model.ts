/** Loading model packages: the bundled ones, a picked folder, or a same-origin URL. */
import { parseManifest } from '../../engine/manifest/parse';
import type { Manifest } from '../../engine/manifest/schema';
import type { BackendChoice, PackageSource } from '../../engine/protocol';
import { currentEngine } from '../engine';
import { limitsFromManifest } from '../limits';
import {
  BUNDLED_INDEX_URL,
  bundledBaseUrl,
  chooseBundled,
  type PickedFile,
  packageFromFolder,
  parseModelIndex,
  resolvePackageUrl,
} from '../package-source';
import type { SettingValues } from '../slices/create';
import type { BundledPackage } from '../slices/model';
import { studio } from '../store';
import { messageOf, notifyEngineFailure } from './failure';
import { referenceFollowsModel } from './reference';
import { refreshStorage } from './storage';

/** What was loaded last, so a backend change can reload it. Blobs of a picked folder stay here, not in the store. */
let lastSource: { source: PackageSource; label: string; bundledId?: string } | undefined;
let loadAbort: AbortController | undefined;

/**
 * Reads /models/index.json and each bundled manifest (cheap JSON) so the panel can describe them,
 * and picks the one to load at start: `requested` (the URL's `model`) if bundled, else the first.
 * The chosen manifest sets the controls' ranges and defaults before anything loads (boot applies
 * the URL's settings after this, so they are clamped to the real ranges).
 */
export async function discoverBundled(requested?: string): Promise<BundledPackage | undefined> {
  const s = studio.getState();
  const beforeReading = { ...s.create }; // a control moved while the manifests load keeps its value
  let ids: string[] = [];
  try {
    const res = await fetch(BUNDLED_INDEX_URL, { cache: 'no-cache' });
    // No index (a 404, or the dev server's HTML fallback): this build ships no model, as the panel says.
    if (res.ok && res.headers.get('Content-Type')?.includes('json')) ids = parseModelIndex(await res.json());
  } catch (e) {
    s.notify('warn', `The list of bundled models could not be read: ${messageOf(e)}`);
  }
  const bundled: BundledPackage[] = [];
  const manifests = new Map<string, Manifest>();
  for (const id of ids) {
    const baseUrl = bundledBaseUrl(id);
    try {
      const res = await fetch(`${baseUrl}manifest.json`, { cache: 'no-cache' });
      if (!res.ok) throw new Error(`manifest.json: HTTP ${res.status}`);
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        throw new Error(`its manifest.json is not valid JSON (${messageOf(e)})`);
      }
      const m = parseManifest(json);
      bundled.push({ id, name: m.name, baseUrl, description: m.description, weightBytes: m.requirements.weight_bytes });
      manifests.set(id, m);
    } catch (e) {
      s.notify('warn', `The bundled model "${id}" is unusable: ${messageOf(e)}`);
    }
  }
  const { choice, notice } = chooseBundled(bundled, requested);
  s.setBundled(bundled, choice?.id);
  if (notice) s.notify('warn', notice);
  const preview = choice && manifests.get(choice.id);
  if (preview && studio.getState().model.status === 'none') {
    s.setManifestPreview(preview);
    adoptLimits(preview, true, beforeReading);
  }
  return choice;
}

export function loadBundled(pkg: BundledPackage): Promise<void> {
  return loadPackage({ kind: 'url', baseUrl: pkg.baseUrl }, `${pkg.name} (bundled)`, pkg.id);
}

export function loadFromUrl(input: string): Promise<void> {
  let baseUrl: string;
  try {
    baseUrl = resolvePackageUrl(input, location.origin);
  } catch (e) {
    studio.getState().notify('warn', messageOf(e));
    return Promise.resolve();
  }
  return loadPackage({ kind: 'url', baseUrl }, baseUrl);
}

export function loadFromFolder(files: FileList | File[]): Promise<void> {
  const picked: PickedFile[] = [...files].map((f) => ({ path: f.webkitRelativePath || f.name, file: f }));
  try {
    const { source, folderName } = packageFromFolder(picked);
    return loadPackage(source, `folder "${folderName}"`);
  } catch (e) {
    studio.getState().notify('warn', messageOf(e));
    return Promise.resolve();
  }
}

export async function setBackend(choice: BackendChoice): Promise<void> {
  const s = studio.getState();
  s.setBackendChoice(choice);
  if (lastSource && s.model.status !== 'loading')
    await loadPackage(lastSource.source, lastSource.label, lastSource.bundledId);
}

/** Loads a package; `bundledId` names it when it is one of the bundled ones (the URL then says so). */
export async function loadPackage(source: PackageSource, label: string, bundledId?: string): Promise<void> {
  const s = studio.getState();
  const engine = currentEngine();
  if (!engine) {
    s.notify('warn', 'The engine is not part of this build yet, so no model can be loaded.');
    return;
  }
  if (s.generation.status !== 'idle') {
    s.notify('warn', 'A generation is running: cancel it or wait before loading another model.');
    return;
  }
  loadAbort?.abort();
  const abort = new AbortController();
  loadAbort = abort;
  s.modelLoading(label, bundledId);
  try {
    const result = await engine.load(
      { source, backend: s.model.backendChoice },
      { onProgress: (p) => studio.getState().modelLoadProgress(p), signal: abort.signal },
    );
    if (loadAbort !== abort) return; // a newer load took over
    lastSource = { source, label, bundledId };
    studio.getState().modelReady(result);
    adoptLimits(result.manifest, false);
    s.notify('info', `${result.manifest.name} is ready on ${result.backend === 'webgpu' ? 'WebGPU' : 'WASM'}.`);
    const uncached = result.uncachedFiles?.length ?? 0;
    if (uncached > 0)
      s.notify(
        'warn',
        `Browser storage is full, so ${uncached} file${uncached === 1 ? '' : 's'} of ${result.manifest.name} could not be kept for offline use: ` +
          'it works now but needs the network next time. Delete clips in the Gallery or remove cached models in the Model panel.',
        'open-model',
      );
    void refreshStorage();
  } catch (e) {
    if (loadAbort !== abort) return;
    studio.getState().modelFailed(messageOf(e));
    notifyEngineFailure(e, 'Loading the model');
  }
}

/** Switches the controls to a model's ranges: its defaults when previewed at start-up, else clamping what is set. */
function adoptLimits(
  manifest: Parameters<typeof limitsFromManifest>[0],
  resetToDefaults: boolean,
  movedSince?: SettingValues,
): void {
  const s = studio.getState();
  const limits = limitsFromManifest(manifest);
  for (const n of s.applyLimits(limits, resetToDefaults, movedSince)) s.notify('warn', n);
  if (limits.lambda && s.reference.status === 'empty') s.setReferenceStrength(limits.lambda.default);
  // Now, not once the model has loaded: until then the panel would show the new frame count over the old window.
  void referenceFollowsModel();
}
