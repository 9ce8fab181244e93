/** Gallery persistence: loading saved clips, saving new ones (quota-safe), deleting, exporting. */
import type { Clip } from '../../engine/protocol';
import { downloadBlob, exportClip } from '../../media/export';
import { deleteClip, listClips, StorageFullError, saveClip } from '../../storage/gallery-db';
import type { GalleryRecord } from '../../storage/gallery-record';
import { dropClip, frameOf, getClip, peekClip, putClip, unpinClip } from '../clips';
import type { GalleryItem } from '../slices/gallery';
import { studio } from '../store';
import { messageOf } from './failure';
import { refreshStorage } from './storage';

export async function loadGallery(): Promise<void> {
  const s = studio.getState();
  try {
    const { records, skipped } = await listClips();
    const items: GalleryItem[] = records.map(({ poster, ...record }) => ({
      ...record,
      saved: true,
      posterUrl: poster ? URL.createObjectURL(poster) : undefined,
    }));
    s.galleryLoaded(items);
    if (skipped > 0)
      s.notify(
        'warn',
        `${skipped} saved clip${skipped === 1 ? ' is' : 's are'} damaged or from an incompatible version and ${skipped === 1 ? 'was' : 'were'} not shown.`,
      );
  } catch (e) {
    const message = `The gallery could not be opened: ${messageOf(e)}. New clips will not be kept after a reload.`;
    s.galleryLoaded([], message);
    s.notify('error', message);
  }
}

/**
 * Adds a finished clip to the gallery and stores it. The clip is shown at once; if storage is full
 * it stays in memory (pinned) with a Save button, and nothing already stored is touched.
 */
export async function addToGallery(record: GalleryRecord, clip: Clip): Promise<void> {
  const s = studio.getState();
  putClip(record.id, clip, true);
  const poster = await posterOf(clip).catch(() => undefined);
  s.addGalleryItem({ ...record, saved: false, posterUrl: poster ? URL.createObjectURL(poster) : undefined });
  await persist(record, clip, poster);
}

/** Tries again to store a clip that storage refused before. */
export async function saveAgain(id: string): Promise<void> {
  const s = studio.getState();
  const item = s.gallery.items.find((i) => i.id === id);
  const clip = peekClip(id);
  if (!item || !clip) {
    s.notify('error', 'This clip is no longer in memory, so it cannot be saved.');
    return;
  }
  const { posterUrl: _p, saved: _s, ...record } = item;
  const poster = await posterOf(clip).catch(() => undefined);
  await persist(record, clip, poster);
}

async function persist(record: GalleryRecord, clip: Clip, poster: Blob | undefined): Promise<void> {
  const s = studio.getState();
  try {
    await saveClip(record, new Blob([clip.frames as Uint8ClampedArray<ArrayBuffer>]), poster);
    s.markSaved(record.id);
    unpinClip(record.id);
  } catch (e) {
    if (e instanceof StorageFullError) s.notify('error', e.message, 'open-gallery');
    else s.notify('error', `The clip could not be saved: ${messageOf(e)}. It stays here until you reload.`);
  }
  void refreshStorage();
}

export async function deleteFromGallery(id: string): Promise<void> {
  const s = studio.getState();
  const item = s.gallery.items.find((i) => i.id === id);
  try {
    if (item?.saved) await deleteClip(id);
  } catch (e) {
    s.notify('error', `The clip could not be deleted: ${messageOf(e)}`);
    return;
  }
  if (item?.posterUrl) URL.revokeObjectURL(item.posterUrl);
  dropClip(id);
  s.removeGalleryItem(id);
  void refreshStorage();
}

/** The frames of a gallery clip, from memory or storage; a notice if they are gone. */
export async function clipFor(item: GalleryItem): Promise<Clip | undefined> {
  try {
    const clip = await getClip(item.id, item);
    if (!clip) studio.getState().notify('error', `The frames of "${item.prompt}" are missing from storage.`);
    return clip;
  } catch (e) {
    studio.getState().notify('error', `The clip could not be read: ${messageOf(e)}`);
    return undefined;
  }
}

export async function exportGalleryClip(id: string, scale: number, forceWebm = false): Promise<void> {
  const s = studio.getState();
  const item = s.gallery.items.find((i) => i.id === id);
  if (!item) return;
  const clip = await clipFor(item);
  if (!clip) return;
  try {
    const file = await exportClip(clip, { prompt: item.prompt, seed: item.settings.seed, scale, forceWebm });
    downloadBlob(file.blob, file.fileName);
    s.notify(
      'info',
      `Exported ${file.fileName} (${file.codec === 'avc' ? 'H.264 MP4' : 'VP9 WebM'}, ${file.width}×${file.height}).`,
    );
  } catch (e) {
    s.notify('error', messageOf(e));
  }
}

/** The first frame as a PNG, for thumbnails that need no frame decoding. */
async function posterOf(clip: Clip): Promise<Blob> {
  const canvas = new OffscreenCanvas(clip.width, clip.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  ctx.putImageData(new ImageData(new Uint8ClampedArray(frameOf(clip, 0)), clip.width, clip.height), 0, 0);
  return canvas.convertToBlob({ type: 'image/png' });
}
