/** React hooks over the clip registry and the browser. */
import { type RefObject, useEffect, useState } from 'react';
import type { Clip } from '../engine/protocol';
import { clipFor } from '../state/actions/gallery';
import { peekClip } from '../state/clips';
import type { GalleryItem } from '../state/slices/gallery';

/** A gallery clip's frames, loaded from memory or IndexedDB. */
export function useGalleryClip(item: GalleryItem | undefined): Clip | undefined {
  const [clip, setClip] = useState<Clip | undefined>(() => (item ? peekClip(item.id) : undefined));
  useEffect(() => {
    let live = true;
    if (!item) {
      setClip(undefined);
      return;
    }
    const hit = peekClip(item.id);
    if (hit) setClip(hit);
    else void clipFor(item).then((c) => live && setClip(c));
    return () => {
      live = false;
    };
  }, [item]);
  return clip;
}

/** The content box of an element, kept current as it resizes. */
export function useElementSize(ref: RefObject<HTMLElement | null>): { width: number; height: number } {
  const [size, setSize] = useState({ width: 0, height: 0 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(([entry]) => {
      const { width, height } = entry.contentRect;
      setSize((s) => (s.width === width && s.height === height ? s : { width, height }));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return size;
}

/** The largest whole-number scale at which a w x h clip fits the box (1 at least, 8 at most). */
export function integerFit(w: number, h: number, box: { width: number; height: number }, max = 8): number {
  if (!box.width || !box.height) return 1;
  return Math.max(1, Math.min(max, Math.floor(Math.min(box.width / w, box.height / h))));
}
