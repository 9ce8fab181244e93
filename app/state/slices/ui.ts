/** UI slice: which view is open. */
import type { StateCreator } from 'zustand/vanilla';
import type { Studio } from '../store';

export const VIEWS = ['create', 'compare', 'gallery', 'model'] as const;
export type View = (typeof VIEWS)[number];

export interface UiState {
  view: View;
}

export const initialUi: UiState = { view: 'create' };

export interface UiSlice {
  ui: UiState;
  setView(view: View): void;
}

export const createUiSlice: StateCreator<Studio, [], [], UiSlice> = (set) => ({
  ui: initialUi,
  setView: (view) => set({ ui: { view } }),
});
