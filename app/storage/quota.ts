/** The origin's storage: how much is used, the quota, and whether it is protected from eviction. */
import type { StorageInfo } from '../state/slices/model';

export async function storageEstimate(): Promise<StorageInfo> {
  const s = globalThis.navigator?.storage;
  if (!s?.estimate) return {};
  const [{ usage, quota }, persisted] = await Promise.all([s.estimate(), s.persisted?.() ?? Promise.resolve(false)]);
  return { usage, quota, persisted };
}

/**
 * Asks the browser not to evict the gallery and cached models under storage pressure. Chrome
 * grants it silently to installed or engaged sites and refuses otherwise; both are fine.
 */
export async function requestPersistence(): Promise<boolean> {
  const s = globalThis.navigator?.storage;
  if (!s?.persist) return false;
  if (await s.persisted()) return true;
  return s.persist();
}

/** "1.2 GB", "340 MB", "12 kB": storage sizes for people. */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '—';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 || u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}
