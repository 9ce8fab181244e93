/** Gallery slice: every clip made (metadata only; frames live in IndexedDB and app/state/clips.ts). */
import type { StateCreator } from 'zustand/vanilla';
import type { GalleryRecord } from '../../storage/gallery-record';
import type { Studio } from '../store';

export interface GalleryItem extends GalleryRecord {
  /** Object URL of the first frame (PNG), for the thumbnail. */
  posterUrl?: string;
  /** False when storage refused it (quota): shown this session, lost on reload unless saved. */
  saved: boolean;
}

export interface GalleryState {
  items: GalleryItem[];
  loaded: boolean;
  /** Why the gallery could not be read, if it could not. */
  error?: string;
  /** The clip in the player. */
  selectedId?: string;
}

export const initialGallery: GalleryState = { items: [], loaded: false };

export interface GallerySlice {
  gallery: GalleryState;
  galleryLoaded(items: GalleryItem[], error?: string): void;
  addGalleryItem(item: GalleryItem): void;
  markSaved(id: string): void;
  removeGalleryItem(id: string): void;
  selectClip(id: string | undefined): void;
}

export const createGallerySlice: StateCreator<Studio, [], [], GallerySlice> = (set) => ({
  gallery: initialGallery,
  galleryLoaded: (items, error) =>
    set((s) => {
      // Clips made before the saved ones finished loading stay (newest first).
      const fresh = s.gallery.items.filter((i) => !items.some((j) => j.id === i.id));
      const all = [...fresh, ...items].sort((a, b) => b.created - a.created);
      return { gallery: { ...s.gallery, items: all, loaded: true, error } };
    }),
  addGalleryItem: (item) =>
    set((s) => ({ gallery: { ...s.gallery, items: [item, ...s.gallery.items.filter((i) => i.id !== item.id)] } })),
  markSaved: (id) =>
    set((s) => ({
      gallery: { ...s.gallery, items: s.gallery.items.map((i) => (i.id === id ? { ...i, saved: true } : i)) },
    })),
  removeGalleryItem: (id) =>
    set((s) => ({
      gallery: {
        ...s.gallery,
        items: s.gallery.items.filter((i) => i.id !== id),
        selectedId: s.gallery.selectedId === id ? undefined : s.gallery.selectedId,
      },
      compare: { ...s.compare, ids: s.compare.ids.filter((c) => c !== id) },
    })),
  selectClip: (selectedId) => set((s) => ({ gallery: { ...s.gallery, selectedId } })),
});
