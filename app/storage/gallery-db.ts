/**
 * The gallery's persistence: clips survive reloads and restarts. Metadata and frames are written
 * in one transaction, so a clip is either wholly saved or not at all; a failed write never touches
 * what is already stored.
 */
import {
  CLIPS_STORE,
  FRAMES_STORE,
  GALLERY_DB_NAME,
  GALLERY_DB_VERSION,
  GalleryRecord,
  type StoredClip,
  type StoredFrames,
} from './gallery-record';
import { done, isQuotaError, openDatabase, request } from './idb';

/** Storage refused a clip because the origin's quota is used up. */
export class StorageFullError extends Error {
  constructor() {
    super(
      'Browser storage is full, so this clip was not saved (it stays on screen until you reload). ' +
        'Delete clips in the Gallery or remove cached models in the Model panel, then press Save.',
    );
    this.name = 'StorageFullError';
  }
}

let opened: Promise<IDBDatabase> | undefined;

function db(): Promise<IDBDatabase> {
  opened ??= openDatabase(GALLERY_DB_NAME, GALLERY_DB_VERSION, (d) => {
    if (!d.objectStoreNames.contains(CLIPS_STORE)) d.createObjectStore(CLIPS_STORE, { keyPath: 'id' });
    if (!d.objectStoreNames.contains(FRAMES_STORE)) d.createObjectStore(FRAMES_STORE, { keyPath: 'id' });
  }).catch((e) => {
    opened = undefined; // let a later call try again
    throw e;
  });
  return opened;
}

export interface LoadedGallery {
  records: (GalleryRecord & { poster?: Blob })[];
  /** Records that failed validation (damaged or from an incompatible version); left in place. */
  skipped: number;
}

/** All saved clips' metadata, newest first. */
export async function listClips(): Promise<LoadedGallery> {
  const d = await db();
  const tx = d.transaction(CLIPS_STORE, 'readonly');
  const raw = (await request(tx.objectStore(CLIPS_STORE).getAll())) as unknown[];
  const records: LoadedGallery['records'] = [];
  let skipped = 0;
  for (const r of raw) {
    const parsed = GalleryRecord.safeParse(r);
    if (!parsed.success) {
      skipped++;
      continue;
    }
    const poster = (r as StoredClip).poster;
    records.push({ ...parsed.data, poster: poster instanceof Blob ? poster : undefined });
  }
  records.sort((a, b) => b.created - a.created);
  return { records, skipped };
}

/** Saves a clip's metadata, poster and frames atomically; throws StorageFullError on quota. */
export async function saveClip(record: GalleryRecord, frames: Blob, poster?: Blob): Promise<void> {
  const d = await db();
  try {
    const tx = d.transaction([CLIPS_STORE, FRAMES_STORE], 'readwrite');
    const stored: StoredClip = { ...record, poster };
    const framesRecord: StoredFrames = { id: record.id, frames };
    tx.objectStore(FRAMES_STORE).put(framesRecord);
    tx.objectStore(CLIPS_STORE).put(stored);
    await done(tx);
  } catch (e) {
    if (isQuotaError(e)) throw new StorageFullError();
    throw e;
  }
}

/** The frames of a saved clip, or undefined if they are not stored. */
export async function loadFrames(id: string): Promise<Blob | undefined> {
  const d = await db();
  const tx = d.transaction(FRAMES_STORE, 'readonly');
  const r = (await request(tx.objectStore(FRAMES_STORE).get(id))) as StoredFrames | undefined;
  return r?.frames instanceof Blob ? r.frames : undefined;
}

export async function deleteClip(id: string): Promise<void> {
  const d = await db();
  const tx = d.transaction([CLIPS_STORE, FRAMES_STORE], 'readwrite');
  tx.objectStore(CLIPS_STORE).delete(id);
  tx.objectStore(FRAMES_STORE).delete(id);
  await done(tx);
}
