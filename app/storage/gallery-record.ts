/**
 * What the gallery keeps per clip, and where: IndexedDB database `turbo-studio`, store `clips`
 * (one record per clip: this metadata plus a PNG poster) and store `frames` (`{id, frames}`: the
 * RGBA8 frames, T x H x W x 4, as one Blob). Records are validated when read, so a damaged or
 * older record is skipped rather than breaking the gallery.
 */
import { z } from 'zod';

export const GALLERY_DB_NAME = 'turbo-studio';
export const GALLERY_DB_VERSION = 1;
export const CLIPS_STORE = 'clips';
export const FRAMES_STORE = 'frames';

const finite = () => z.number().finite();
const posInt = () => z.number().int().positive();

export const ScoreRecord = z.object({
  id: z.string(),
  label: z.string(),
  description: z.string(),
  value: z.number(),
  higherIsBetter: z.boolean(),
  kind: z.enum(['reward', 'metric']),
});

export const GalleryRecord = z.object({
  id: z.string().min(1),
  /** Milliseconds since the epoch. */
  created: finite(),
  prompt: z.string(),
  settings: z.object({
    steps: posInt(),
    guidance: finite(),
    motion: finite(),
    seed: z.number().int().nonnegative(),
  }),
  /** The motion reference used, if any. */
  reference: z
    .object({
      name: z.string(),
      strength: finite(),
      window: z.object({ start: finite(), end: finite() }),
    })
    .optional(),
  modelId: z.string(),
  modelName: z.string(),
  backend: z.enum(['webgpu', 'wasm']),
  width: posInt(),
  height: posInt(),
  frameCount: posInt(),
  fps: finite().positive(),
  scores: z.array(ScoreRecord),
  /** Wall time of the generation in milliseconds. */
  timeMs: finite().nonnegative(),
  tokens: z.object({ count: z.number().int(), max: z.number().int(), truncated: z.boolean() }).optional(),
});

export type GalleryRecord = z.infer<typeof GalleryRecord>;

/** The record as stored: metadata plus the first frame as a PNG for thumbnails. */
export type StoredClip = GalleryRecord & { poster?: Blob };

export interface StoredFrames {
  id: string;
  frames: Blob;
}
