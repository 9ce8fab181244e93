/** Session slice: which model package is loaded, on which backend, and what is cached. */
import type { StateCreator } from 'zustand/vanilla';
import type { CachedModel } from '../../engine/loader/cache';
import type { Manifest } from '../../engine/manifest/schema';
import type { BackendChoice, BackendName, LoadResult, Progress } from '../../engine/protocol';
import type { Studio } from '../store';

/** A package shipped with the app under /models/<id>/. */
export interface BundledPackage {
  id: string;
  name: string;
  baseUrl: string;
  description: string;
  weightBytes: number;
}

/** A model package held in Cache Storage (the engine's loader owns the format). */
export type { CachedModel } from '../../engine/loader/cache';

export interface StorageInfo {
  usage?: number;
  quota?: number;
  /** Whether the browser promised not to evict our data; undefined until asked. */
  persisted?: boolean;
}

export type ModelStatus = 'none' | 'loading' | 'ready' | 'error';

export interface ModelState {
  /** False until main.tsx wires an engine in (see app/state/engine.ts). */
  engineAvailable: boolean;
  status: ModelStatus;
  backendChoice: BackendChoice;
  bundled: BundledPackage[];
  /** True once /models/index.json was looked at (so "no bundled model" can be said). */
  bundledChecked: boolean;
  /** What is loaded or loading, in words: "Demo (bundled)", "folder my-model", "/models/x/". */
  sourceLabel?: string;
  /** Id of the bundled package loaded or loading (the URL's `model`); undefined for other sources. */
  bundledId?: string;
  /** The manifest of the model in use, or of the bundled one read ahead of loading. */
  manifest?: Manifest;
  backend?: BackendName;
  precision?: 'fp32' | 'fp16';
  /** Why this backend, from the engine (LoadResult.reason). */
  reason?: string;
  loadProgress?: Progress;
  error?: string;
  cached: CachedModel[];
  storage: StorageInfo;
}

export const initialModel: ModelState = {
  engineAvailable: false,
  status: 'none',
  backendChoice: 'auto',
  bundled: [],
  bundledChecked: false,
  cached: [],
  storage: {},
};

export interface ModelSlice {
  model: ModelState;
  setEngineAvailable(available: boolean): void;
  setBackendChoice(choice: BackendChoice): void;
  /** The bundled packages, and the one chosen to load at start (the URL's `model`, else the first). */
  setBundled(bundled: BundledPackage[], chosenId?: string): void;
  setManifestPreview(manifest: Manifest): void;
  modelLoading(sourceLabel: string, bundledId?: string): void;
  modelLoadProgress(p: Progress): void;
  modelReady(result: LoadResult): void;
  modelFailed(message: string): void;
  setCached(cached: CachedModel[]): void;
  setStorage(info: StorageInfo): void;
}

export const createModelSlice: StateCreator<Studio, [], [], ModelSlice> = (set) => {
  const patch = (p: Partial<ModelState>) => set((s) => ({ model: { ...s.model, ...p } }));
  return {
    model: initialModel,
    setEngineAvailable: (engineAvailable) => patch({ engineAvailable }),
    setBackendChoice: (backendChoice) => patch({ backendChoice }),
    setBundled: (bundled, bundledId) => patch({ bundled, bundledChecked: true, bundledId }),
    setManifestPreview: (manifest) => patch({ manifest }),
    modelLoading: (sourceLabel, bundledId) =>
      patch({
        status: 'loading',
        sourceLabel,
        bundledId,
        error: undefined,
        loadProgress: undefined,
        reason: undefined,
      }),
    modelLoadProgress: (loadProgress) => patch({ loadProgress }),
    modelReady: (r) =>
      patch({
        status: 'ready',
        manifest: r.manifest,
        backend: r.backend,
        precision: r.precision,
        reason: r.reason,
        loadProgress: undefined,
      }),
    modelFailed: (error) => patch({ status: 'error', error, loadProgress: undefined }),
    setCached: (cached) => patch({ cached }),
    setStorage: (info) => set((s) => ({ model: { ...s.model, storage: { ...s.model.storage, ...info } } })),
  };
};
