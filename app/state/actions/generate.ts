/**
 * Generation: one run, a sweep of runs, cancel, re-run. A run's clip is saved to the gallery the
 * moment it is done, so a later failure or a reload loses only the run in flight; a marker in
 * localStorage lets the next page load say that one was interrupted.
 */
import type { GenerateRequest, Score } from '../../engine/protocol';
import type { GalleryRecord } from '../../storage/gallery-record';
import { currentEngine } from '../engine';
import { MAX_SEED } from '../limits';
import { studio } from '../store';
import { type RunSettings, SWEEP_LABELS, sweepPoints } from '../sweep';
import { kindOf, messageOf, notifyEngineFailure } from './failure';
import { addToGallery } from './gallery';
import { ensureMotionExtracted, referenceRecord } from './reference';

const INTERRUPTED_KEY = 'turbo-studio:running';

let abort: AbortController | undefined;
/** The settings of the last failed or interrupted run, for "Retry". */
let retrySettings: RunSettings | undefined;

export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] % (MAX_SEED + 1);
}

/** The settings the next run uses: the create panel's, with a fresh seed unless it is locked. */
export function currentRunSettings(): RunSettings {
  const c = studio.getState().create;
  return {
    prompt: c.prompt,
    steps: c.steps,
    guidance: c.guidance,
    motion: c.motion,
    seed: c.seedLocked ? c.seed : randomSeed(),
    useReference: studio.getState().reference.enabled,
  };
}

/** Why a run cannot start now, or undefined when it can. */
function blocker(settings: RunSettings): string | undefined {
  const s = studio.getState();
  if (!currentEngine()) return 'The model is not loaded: the engine is not part of this build yet.';
  if (s.model.status === 'loading') return 'The model is still loading.';
  if (s.model.status !== 'ready') return 'Load a model first (Model panel).';
  if (s.generation.status !== 'idle') return 'A generation is already running.';
  if (!settings.prompt.trim())
    return 'Write a prompt first: describe the clip you want, e.g. "a red circle moving right".';
  return undefined;
}

/** Generate button / Ctrl+Enter. Returns the new clip's id. */
export async function generate(settings: RunSettings = currentRunSettings()): Promise<string | undefined> {
  const problem = blocker(settings);
  if (problem) {
    studio.getState().notify('warn', problem, studio.getState().model.status === 'ready' ? undefined : 'open-model');
    return undefined;
  }
  // The seed shown is the seed used, so "lock" keeps this clip's seed.
  studio.getState().setSeed(settings.seed);
  const ids = await withRun('Generating', async (signal) => [await runOne(settings, signal)]);
  const id = ids?.[0];
  if (id) studio.getState().selectClip(id);
  return id;
}

/** Makes one variation per sweep value at one seed, then opens them side by side. */
export async function sweep(): Promise<string[]> {
  const s = studio.getState();
  const base = currentRunSettings();
  const problem = blocker(base);
  if (problem) {
    s.notify('warn', problem);
    return [];
  }
  const { sweepSetting, sweepCount } = s.compare;
  if (sweepSetting === 'reference' && s.reference.status !== 'ready') {
    s.notify('warn', 'Add a reference video first (Reference panel) to compare with and without it.');
    return [];
  }
  s.setSeed(base.seed);
  const points = sweepPoints(sweepSetting, sweepCount, base, s.create.limits);
  const ids: string[] = [];
  await withRun(`Sweep: ${SWEEP_LABELS[sweepSetting]}`, async (signal) => {
    for (const [i, point] of points.entries()) {
      studio.getState().runLabel(`Sweep: ${point.label} (${i + 1} of ${points.length})`);
      ids.push(await runOne({ ...base, ...point.overrides }, signal));
    }
    return ids;
  });
  // Even a cancelled sweep shows what it made.
  if (ids.length > 0) {
    studio.getState().setCompare(ids);
    studio.getState().setView('compare');
  }
  return ids;
}

/** Re-runs a gallery clip with exactly its settings (its seed included). */
export function rerun(id: string): Promise<string | undefined> {
  const item = studio.getState().gallery.items.find((i) => i.id === id);
  if (!item) return Promise.resolve(undefined);
  const s = studio.getState();
  s.setPrompt(item.prompt);
  s.setSteps(item.settings.steps);
  s.setGuidance(item.settings.guidance);
  s.setMotion(item.settings.motion);
  s.setSeed(item.settings.seed);
  s.setSeedLocked(true);
  s.setView('create');
  return generate({ ...item.settings, prompt: item.prompt, useReference: item.reference !== undefined });
}

export function retry(): Promise<string | undefined> {
  return generate(retrySettings ?? currentRunSettings());
}

export function cancelRun(): void {
  const s = studio.getState();
  if (s.generation.status !== 'running') return;
  s.runCancelling();
  abort?.abort();
  currentEngine()?.cancel();
}

/** Runs `body` as the one active run: status, progress clock, cancel, the reload marker, failures. */
async function withRun<T>(label: string, body: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
  const s = studio.getState();
  abort = new AbortController();
  s.runStarted(label, performance.now());
  try {
    const result = await body(abort.signal);
    studio.getState().runFinished();
    return result;
  } catch (e) {
    studio.getState().runFinished(kindOf(e) === 'cancelled' ? undefined : { kind: kindOf(e), message: messageOf(e) });
    notifyEngineFailure(e, 'Generation');
    return undefined;
  } finally {
    abort = undefined;
    clearInterrupted();
  }
}

async function runOne(settings: RunSettings, signal: AbortSignal): Promise<string> {
  const engine = currentEngine();
  if (!engine) throw new Error('the engine went away');
  const s = studio.getState();
  markInterrupted(settings);
  retrySettings = settings;

  let reference: GenerateRequest['reference'];
  let referenceUsed: GalleryRecord['reference'];
  if (settings.useReference && s.reference.status === 'ready') {
    const referenceId = await ensureMotionExtracted();
    if (referenceId) {
      reference = { referenceId, strength: s.reference.strength };
      referenceUsed = referenceRecord();
    } else if (s.reference.motion.status === 'unavailable') {
      s.notify('warn', 'This model has no motion guidance, so the reference video was not used.');
    }
  }

  const request: GenerateRequest = {
    prompt: settings.prompt,
    steps: settings.steps,
    guidance: settings.guidance,
    motion: settings.motion,
    seed: settings.seed,
    ...(reference && { reference }),
  };
  const onProgress = (p: Parameters<typeof s.runProgress>[0]) => studio.getState().runProgress(p);
  const t0 = performance.now();
  const result = await engine.generate(request, { onProgress, signal });
  const timeMs = performance.now() - t0;
  if (result.tokens.truncated)
    s.notify(
      'info',
      `The prompt is longer than the model reads: only its first ${result.tokens.max} tokens were used.`,
    );

  let scores: Score[] = [];
  try {
    // A copy: a worker engine may take ownership of the buffer it is sent.
    const clip = { ...result, frames: result.frames.slice() };
    scores = (await engine.score({ prompt: settings.prompt, clip }, { onProgress, signal })).scores;
  } catch (e) {
    if (kindOf(e) === 'cancelled') throw e;
    s.notify('warn', `The clip was made but could not be scored: ${messageOf(e)}`);
  }

  const manifest = studio.getState().model.manifest;
  const record: GalleryRecord = {
    id: crypto.randomUUID(),
    created: Date.now(),
    prompt: settings.prompt,
    settings: { steps: settings.steps, guidance: settings.guidance, motion: settings.motion, seed: result.seed },
    ...(referenceUsed && { reference: referenceUsed }),
    modelId: manifest?.id ?? 'unknown',
    modelName: manifest?.name ?? 'unknown model',
    backend: result.backend,
    width: result.width,
    height: result.height,
    frameCount: result.frameCount,
    fps: result.fps,
    scores,
    timeMs,
    tokens: result.tokens,
  };
  const { frames, width, height, frameCount, fps } = result;
  await addToGallery(record, { frames, width, height, frameCount, fps });
  clearInterrupted();
  return record.id;
}

function markInterrupted(settings: RunSettings): void {
  try {
    localStorage.setItem(INTERRUPTED_KEY, JSON.stringify({ ...settings, at: Date.now() }));
  } catch {
    // Storage full or disabled: only the interrupted-run notice is lost.
  }
}

function clearInterrupted(): void {
  try {
    localStorage.removeItem(INTERRUPTED_KEY);
  } catch {
    // see markInterrupted
  }
}

/** At start-up: was a run in flight when the page went away? Offers to run it again. */
export function checkInterrupted(): void {
  let raw: string | null = null;
  try {
    raw = localStorage.getItem(INTERRUPTED_KEY);
  } catch {
    return;
  }
  if (!raw) return;
  clearInterrupted();
  try {
    const r = JSON.parse(raw) as Partial<RunSettings>;
    const numbers = [r.steps, r.guidance, r.motion, r.seed];
    if (typeof r.prompt !== 'string' || !numbers.every((n) => typeof n === 'number' && Number.isFinite(n))) return;
    retrySettings = {
      prompt: r.prompt,
      steps: r.steps as number,
      guidance: r.guidance as number,
      motion: r.motion as number,
      seed: r.seed as number,
      useReference: false,
    };
    studio
      .getState()
      .notify(
        'info',
        `A generation ("${r.prompt.slice(0, 60)}") was interrupted when the page closed. Every finished clip is in the Gallery.`,
        'rerun-interrupted',
      );
  } catch {
    // A damaged marker is just dropped.
  }
}
