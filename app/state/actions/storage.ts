/** Storage facts for the Model panel: what is cached, how much is used, and persistence. */
import { listCachedModels, removeCachedModel } from '../../engine/loader/cache';
import { formatBytes, requestPersistence, storageEstimate } from '../../storage/quota';
import { studio } from '../store';
import { messageOf } from './failure';

export async function refreshStorage(): Promise<void> {
  const s = studio.getState();
  try {
    const [cached, estimate] = await Promise.all([listCachedModels(), storageEstimate()]);
    s.setCached(cached);
    s.setStorage(estimate);
  } catch (e) {
    s.notify('warn', `Could not read what is stored: ${messageOf(e)}`);
  }
}

export async function askPersistence(): Promise<void> {
  const persisted = await requestPersistence().catch(() => false);
  studio.getState().setStorage({ persisted });
}

export async function removeCached(baseUrl: string): Promise<void> {
  const s = studio.getState();
  const entry = s.model.cached.find((c) => c.baseUrl === baseUrl);
  try {
    const freed = await removeCachedModel(baseUrl);
    s.notify('info', `Removed the cached model "${entry?.name ?? baseUrl}" (${formatBytes(freed)} freed).`);
  } catch (e) {
    s.notify('error', `Could not remove the cached model: ${messageOf(e)}`);
  }
  await refreshStorage();
}
