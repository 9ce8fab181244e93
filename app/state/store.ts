/**
 * The studio's one store, made of typed slices. Only ids, statuses, numbers and object URLs live
 * here; frames and tensors stay in app/state/clips.ts and IndexedDB. Actions that do I/O are
 * module-level functions in app/state/actions/, never inside components.
 */
import { useStore } from 'zustand';
import { createStore } from 'zustand/vanilla';
import { type CompareSlice, createCompareSlice, initialCompare } from './slices/compare';
import { type CreateSlice, createCreateSlice, initialCreate } from './slices/create';
import { createGallerySlice, type GallerySlice, initialGallery } from './slices/gallery';
import { createGenerationSlice, type GenerationSlice, initialGeneration } from './slices/generation';
import { createModelSlice, initialModel, type ModelSlice } from './slices/model';
import { createNoticesSlice, initialNotices, type NoticesSlice } from './slices/notices';
import { createReferenceSlice, initialReference, type ReferenceSlice } from './slices/reference';
import { createUiSlice, initialUi, type UiSlice } from './slices/ui';

export type Studio = ModelSlice &
  CreateSlice &
  GenerationSlice &
  GallerySlice &
  CompareSlice &
  ReferenceSlice &
  NoticesSlice &
  UiSlice;

/** The data part of every slice at start-up; `studio.setState(initialStudioState)` resets a test. */
export const initialStudioState = {
  model: initialModel,
  create: initialCreate,
  generation: initialGeneration,
  gallery: initialGallery,
  compare: initialCompare,
  reference: initialReference,
  notices: initialNotices,
  ui: initialUi,
};

export const studio = createStore<Studio>()((...a) => ({
  ...createModelSlice(...a),
  ...createCreateSlice(...a),
  ...createGenerationSlice(...a),
  ...createGallerySlice(...a),
  ...createCompareSlice(...a),
  ...createReferenceSlice(...a),
  ...createNoticesSlice(...a),
  ...createUiSlice(...a),
}));

/** React hook: pass an atomic selector, or wrap a multi-field one in `useShallow`. */
export function useStudio<T>(selector: (s: Studio) => T): T {
  return useStore(studio, selector);
}
