/**
 * Model packages cached for offline use, as the studio lists and removes them. The engine stores
 * each package's files in Cache Storage under `modelCacheName(id)`, one entry per file; this module
 * only reads and deletes those caches.
 */
import type { CachedModel } from '../state/slices/model';

export const MODEL_CACHE_PREFIX = 'turbo-model:';

/** The Cache Storage name that holds one model package's files. */
export const modelCacheName = (modelId: string): string => `${MODEL_CACHE_PREFIX}${modelId}`;

export async function listCachedModels(): Promise<CachedModel[]> {
  if (!globalThis.caches) return [];
  const names = (await caches.keys()).filter((n) => n.startsWith(MODEL_CACHE_PREFIX));
  const models: CachedModel[] = [];
  for (const cacheName of names) {
    const cache = await caches.open(cacheName);
    const requests = await cache.keys();
    let bytes = 0;
    for (const req of requests) {
      const res = await cache.match(req);
      if (!res) continue;
      const length = Number(res.headers.get('Content-Length'));
      // Without a length header the body must be read to be measured.
      bytes += Number.isFinite(length) && length > 0 ? length : (await res.blob()).size;
    }
    models.push({ cacheName, modelId: cacheName.slice(MODEL_CACHE_PREFIX.length), files: requests.length, bytes });
  }
  return models.sort((a, b) => a.modelId.localeCompare(b.modelId));
}

export async function removeCachedModel(cacheName: string): Promise<void> {
  if (!cacheName.startsWith(MODEL_CACHE_PREFIX)) throw new Error(`"${cacheName}" is not a model cache`);
  await caches.delete(cacheName);
}
