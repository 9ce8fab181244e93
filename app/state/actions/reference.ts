/** The motion reference: checking and decoding the file, the window, and motion extraction. */
import { type OpenReference, openReference } from '../../media/reference-decode';
import { clampWindow, defaultWindow, ReferenceVideoError } from '../../media/reference-limits';
import { dropClip, peekClip, putClip } from '../clips';
import { currentEngine } from '../engine';
import { studio } from '../store';
import { messageOf, notifyEngineFailure } from './failure';

/** The open file (mediabunny Input) stays here; only its facts go into the store. */
let open: OpenReference | undefined;
/** Bumped on every pick/decode so a slow older decode cannot overwrite a newer one. */
let generation = 0;
/** Whether the user moved the window; until then it is the model's clip length from 0 s, whichever model loads. */
let windowChosen = false;
let decodeTimer: ReturnType<typeof setTimeout> | undefined;
/** The extraction in flight and the decoded frames it is for, shared by everyone who asks meanwhile. */
let extracting: { framesId: string | undefined; promise: Promise<string | undefined> } | undefined;

export async function pickReference(file: File): Promise<void> {
  const s = studio.getState();
  const mine = ++generation;
  windowChosen = false;
  closeCurrent();
  s.referencePicked(file.name, file.size);
  const frames = s.create.limits.frames;
  try {
    const ref = await openReference(file, frames);
    if (mine !== generation) return ref.dispose();
    open = ref;
    const window = defaultWindow(ref.info, frames, s.create.limits.fps);
    studio.getState().referenceProbed(ref.info, window);
    await decode(mine);
  } catch (e) {
    if (mine !== generation) return;
    fail(e);
  }
}

/** Moves the window; decoding follows once the user pauses (sliders fire on every pixel). */
export function setWindow(requested: { start: number; end: number }): void {
  const s = studio.getState();
  const info = s.reference.info;
  if (!info || !open) return;
  const window = clampWindow(requested, info, s.create.limits.frames);
  s.setReferenceWindow(window);
  windowChosen = true;
  clearTimeout(decodeTimer);
  const mine = ++generation;
  decodeTimer = setTimeout(() => void decode(mine), 250);
}

export function removeReference(): void {
  generation++;
  clearTimeout(decodeTimer);
  closeCurrent();
  studio.getState().clearReference();
}

async function decode(mine: number): Promise<void> {
  const s = studio.getState();
  if (!open) return;
  try {
    const clip = await open.decodeWindow(s.reference.window, s.create.limits.frames);
    if (mine !== generation) return;
    const old = studio.getState().reference.framesId;
    const framesId = `reference:${mine}`;
    putClip(framesId, clip, true);
    if (old) dropClip(old);
    dropMotion();
    studio.getState().referenceDecoded(framesId);
    // A model (or the bundled manifest) that arrived while decoding may want other frames or a window.
    if (wantedWindow() && !matchesModel(clip.frameCount)) {
      void referenceFollowsModel();
      return;
    }
    void ensureMotionExtracted();
  } catch (e) {
    if (mine !== generation) return;
    fail(e);
  }
}

/**
 * A model was loaded, or its manifest previewed before loading: the engine's extracted motion belongs
 * to the old one, and the new one may want another frame count or window. Re-decode if so, then
 * extract again (which waits for a loaded model).
 */
export async function referenceFollowsModel(): Promise<void> {
  const s = studio.getState();
  if (s.reference.status !== 'ready' || !open) return;
  dropMotion();
  const framesId = s.reference.framesId;
  const decoded = framesId ? peekClip(framesId) : undefined;
  const window = wantedWindow();
  if (window && !matchesModel(decoded?.frameCount)) {
    s.setReferenceWindow(window);
    await decode(++generation); // extracts motion when done
    return;
  }
  await ensureMotionExtracted();
}

/** The window the current model asks for: the user's, kept inside the video, or the default one. */
function wantedWindow(): { start: number; end: number } | undefined {
  const s = studio.getState();
  const info = s.reference.info;
  if (!info) return undefined;
  const { frames, fps } = s.create.limits;
  return windowChosen ? clampWindow(s.reference.window, info, frames) : defaultWindow(info, frames, fps);
}

/** Whether frames decoded as `frameCount` over the current window are what the current model wants. */
function matchesModel(frameCount: number | undefined): boolean {
  const s = studio.getState();
  const want = wantedWindow();
  const have = s.reference.window;
  const near = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) < 1e-6; // seconds
  return frameCount === s.create.limits.frames && near(want?.start, have.start) && near(want?.end, have.end);
}

function fail(e: unknown): void {
  closeCurrent();
  const message = e instanceof ReferenceVideoError ? e.message : `This video could not be read: ${messageOf(e)}`;
  studio.getState().referenceFailed(message);
}

function closeCurrent(): void {
  const s = studio.getState();
  open?.dispose();
  open = undefined;
  if (s.reference.framesId) dropClip(s.reference.framesId);
  dropMotion();
}

function dropMotion(): void {
  const m = studio.getState().reference.motion;
  if (m.mapId) dropClip(m.mapId);
  studio.getState().setReferenceMotion({ status: 'none' });
}

/**
 * Runs the engine's motion extraction for the decoded reference once a model with motion guidance
 * is ready; a guided generation awaits the same call first. Resolves to the engine's reference id,
 * or undefined when guidance is not possible (no reference, no model, no motion-guidance graph).
 */
export function ensureMotionExtracted(): Promise<string | undefined> {
  const framesId = studio.getState().reference.framesId;
  if (extracting && extracting.framesId === framesId) return extracting.promise;
  // One extraction at a time: a newer reference waits for the older run, then extracts its own frames.
  const before = extracting?.promise.catch(() => undefined) ?? Promise.resolve(undefined);
  const promise: Promise<string | undefined> = before
    .then(() => extract())
    .finally(() => {
      if (extracting?.promise === promise) extracting = undefined;
    });
  extracting = { framesId, promise };
  return promise;
}

async function extract(): Promise<string | undefined> {
  const s = studio.getState();
  const ref = s.reference;
  if (ref.status !== 'ready' || !ref.framesId) return undefined;
  if (ref.motion.status === 'ready') return ref.motion.referenceId;
  const engine = currentEngine();
  if (!engine || s.model.status !== 'ready') return undefined;
  if (!s.model.manifest?.motion_guidance) {
    s.setReferenceMotion({
      status: 'unavailable',
      message: 'This model has no motion guidance; the reference cannot be used.',
    });
    return undefined;
  }
  const clip = peekClip(ref.framesId);
  if (!clip) return undefined;
  const framesId = ref.framesId;
  s.setReferenceMotion({ status: 'extracting' });
  try {
    // A copy: a worker engine may take ownership of the buffer it is sent.
    const result = await engine.extractMotion({ clip: { ...clip, frames: clip.frames.slice() } });
    if (studio.getState().reference.framesId !== framesId) return undefined; // the reference changed meanwhile
    const mapId = `motion:${result.referenceId}`;
    putClip(mapId, result.motionMap, true);
    studio.getState().setReferenceMotion({ status: 'ready', referenceId: result.referenceId, mapId });
    return result.referenceId;
  } catch (e) {
    if (studio.getState().reference.framesId === framesId)
      studio.getState().setReferenceMotion({ status: 'error', message: messageOf(e) });
    notifyEngineFailure(e, 'Extracting motion from the reference');
    return undefined;
  }
}

/** The reference facts a gallery record keeps. */
export function referenceRecord():
  | { name: string; strength: number; window: { start: number; end: number } }
  | undefined {
  const r = studio.getState().reference;
  if (r.status !== 'ready' || !r.fileName) return undefined;
  return { name: r.fileName, strength: r.strength, window: r.window };
}
