/**
 * Frames live here, never in the store: a small in-memory cache of clips by id (generated this
 * session, decoded references, motion maps), backed by IndexedDB for gallery clips.
 */
import type { Clip } from '../engine/protocol';
import { loadFrames } from '../storage/gallery-db';

/** Enough for a compare view of six plus the player and the reference without refetching. */
const CAPACITY = 12;
const cache = new Map<string, Clip>();
/** Clips that must stay: unsaved gallery clips (only copy) and the current reference. */
const pinned = new Set<string>();

export function putClip(id: string, clip: Clip, pin = false): void {
  cache.delete(id);
  cache.set(id, clip);
  if (pin) pinned.add(id);
  evict();
}

export function unpinClip(id: string): void {
  pinned.delete(id);
  evict();
}

export function dropClip(id: string): void {
  cache.delete(id);
  pinned.delete(id);
}

export function peekClip(id: string): Clip | undefined {
  return cache.get(id);
}

/** The clip's frames, from memory or from the gallery database (then cached). */
export async function getClip(
  id: string,
  meta: { width: number; height: number; frameCount: number; fps: number },
): Promise<Clip | undefined> {
  const hit = cache.get(id);
  if (hit) {
    cache.delete(id); // most recently used goes last
    cache.set(id, hit);
    return hit;
  }
  const blob = await loadFrames(id);
  if (!blob) return undefined;
  const frames = new Uint8ClampedArray(await blob.arrayBuffer());
  const expected = meta.width * meta.height * meta.frameCount * 4;
  if (frames.length !== expected)
    throw new Error(`stored frames of clip ${id} hold ${frames.length} bytes, expected ${expected}`);
  const clip: Clip = { frames, width: meta.width, height: meta.height, frameCount: meta.frameCount, fps: meta.fps };
  putClip(id, clip);
  return clip;
}

function evict(): void {
  for (const id of cache.keys()) {
    if (cache.size <= CAPACITY) break;
    if (!pinned.has(id)) cache.delete(id);
  }
}

/** The RGBA8 bytes of frame `t`. */
export function frameOf(clip: Clip, t: number): Uint8ClampedArray {
  const size = clip.width * clip.height * 4;
  return clip.frames.subarray(t * size, (t + 1) * size);
}
