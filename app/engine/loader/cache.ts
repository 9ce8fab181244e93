/**
 * Model files in Cache Storage, stored by the app itself (not the service worker) so that a
 * download can be resumed chunk by chunk and every file is checked against the manifest's
 * SHA-256 before use. A file of any size is kept as chunks of CHUNK_BYTES, so no single
 * ArrayBuffer ever holds more than one chunk while downloading.
 *
 * Keys: `<package url>/<path>#sha256=<hex>&chunk=<k>`. A package's manifest is cached too, so the
 * studio can list what is stored and reload it offline.
 */

export const CACHE_NAME = 't2v-models-v1';
export const CHUNK_BYTES = 16 * 1024 * 1024;

export function chunkCount(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / CHUNK_BYTES));
}

export function chunkKey(fileUrl: string, sha256: string, k: number): string {
  return `${fileUrl}#sha256=${sha256}&chunk=${k}`;
}

export function manifestKey(baseUrl: string): string {
  return `${baseUrl.replace(/\/?$/, '/')}manifest.json#cached`;
}

export function hasCacheStorage(): boolean {
  return typeof caches !== 'undefined';
}

export async function openModelCache(): Promise<Cache | undefined> {
  if (!hasCacheStorage()) return undefined;
  try {
    return await caches.open(CACHE_NAME);
  } catch {
    return undefined; // e.g. storage disabled: models are then fetched every time
  }
}

export interface CachedModel {
  baseUrl: string;
  id: string;
  name: string;
  bytes: number;
}

/** Packages with a cached manifest, and the bytes of their cached chunks. */
export async function listCachedModels(): Promise<CachedModel[]> {
  const cache = await openModelCache();
  if (!cache) return [];
  const keys = await cache.keys();
  const models = new Map<string, CachedModel>();
  for (const request of keys) {
    if (!request.url.endsWith('manifest.json#cached')) continue;
    const baseUrl = request.url.replace(/manifest\.json#cached$/, '');
    const response = await cache.match(request);
    const manifest = response ? ((await response.json()) as { id?: string; name?: string }) : {};
    models.set(baseUrl, { baseUrl, id: manifest.id ?? '?', name: manifest.name ?? '?', bytes: 0 });
  }
  for (const request of keys) {
    const owner = [...models.keys()].find((base) => request.url.startsWith(base));
    if (!owner || request.url.endsWith('#cached')) continue;
    const length = (await cache.match(request))?.headers.get('content-length');
    models.get(owner)!.bytes += Number(length ?? 0);
  }
  return [...models.values()];
}

/** Removes every cached file of the package at `baseUrl`; returns the bytes freed. */
export async function removeCachedModel(baseUrl: string): Promise<number> {
  const cache = await openModelCache();
  if (!cache) return 0;
  const base = baseUrl.replace(/\/?$/, '/');
  let freed = 0;
  for (const request of await cache.keys()) {
    if (!request.url.startsWith(base)) continue;
    freed += Number((await cache.match(request))?.headers.get('content-length') ?? 0);
    await cache.delete(request);
  }
  return freed;
}
