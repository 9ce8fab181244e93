/** Notices slice: messages for the user (clamped URL values, failures, storage warnings). */
import type { StateCreator } from 'zustand/vanilla';
import type { Studio } from '../store';

export type NoticeLevel = 'info' | 'warn' | 'error';

/** Follow-ups a notice can offer; the Notices component maps each to its action. */
export type NoticeAction = 'retry-generate' | 'rerun-interrupted' | 'open-gallery' | 'open-model';

export interface Notice {
  id: number;
  level: NoticeLevel;
  text: string;
  action?: NoticeAction;
}

/** Older notices drop off so the list never covers the studio. */
export const MAX_NOTICES = 6;

export interface NoticesState {
  items: Notice[];
  nextId: number;
}

export const initialNotices: NoticesState = { items: [], nextId: 1 };

export interface NoticesSlice {
  notices: NoticesState;
  notify(level: NoticeLevel, text: string, action?: NoticeAction): number;
  dismissNotice(id: number): void;
}

export const createNoticesSlice: StateCreator<Studio, [], [], NoticesSlice> = (set, get) => ({
  notices: initialNotices,
  notify: (level, text, action) => {
    const id = get().notices.nextId;
    set((s) => {
      // The same message twice in a row is shown once.
      const rest = s.notices.items.filter((n) => n.text !== text);
      const items = [...rest, { id, level, text, action }].slice(-MAX_NOTICES);
      return { notices: { items, nextId: id + 1 } };
    });
    return id;
  },
  dismissNotice: (id) => set((s) => ({ notices: { ...s.notices, items: s.notices.items.filter((n) => n.id !== id) } })),
});
