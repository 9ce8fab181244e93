import { useEffect, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { Progress } from '../../engine/protocol';
import { cancelRun, generate } from '../../state/actions/generate';
import { useStudio } from '../../state/store';
import { formatDuration } from '../format';

/** Generate and Cancel, with what stops Generate from working said next to it. */
export function RunBar() {
  const { status, modelStatus, engine, prompt } = useStudio(
    useShallow((s) => ({
      status: s.generation.status,
      modelStatus: s.model.status,
      engine: s.model.engineAvailable,
      prompt: s.create.prompt,
    })),
  );
  const running = status !== 'idle';
  const why = !engine
    ? 'Model not loaded: the generation engine is not part of this build yet.'
    : modelStatus === 'loading'
      ? 'The model is loading…'
      : modelStatus !== 'ready'
        ? 'Model not loaded: load one in the Model panel.'
        : !prompt.trim()
          ? 'Write a prompt to generate.'
          : undefined;
  return (
    <section className="run-bar" aria-label="Run">
      <div className="run-buttons">
        <button
          type="button"
          className="primary"
          onClick={() => void generate()}
          disabled={running}
          aria-describedby="run-why"
          aria-keyshortcuts="Control+Enter Meta+Enter"
        >
          Generate
        </button>
        <button type="button" onClick={cancelRun} disabled={status !== 'running'}>
          {status === 'cancelling' ? 'Cancelling…' : 'Cancel'}
        </button>
      </div>
      <p id="run-why" className="hint" data-testid="run-why">
        {why ?? 'Ready.'}
      </p>
    </section>
  );
}

/** Step count, elapsed time and an estimate of what is left, while a run is in progress. */
export function ProgressPanel() {
  const { status, label, progress, startedAt, lastError } = useStudio(useShallow((s) => s.generation));
  const now = useNow(status !== 'idle');
  if (status === 'idle') {
    if (!lastError) return null;
    return (
      <p className="run-error" role="alert">
        Last run failed: {lastError.message}
      </p>
    );
  }
  const elapsed = startedAt !== undefined ? now - startedAt : (progress?.elapsedMs ?? 0);
  const { value, max, text } = describe(progress);
  const eta = progress?.etaMs ?? stepEstimate(progress);
  return (
    <div className="progress" aria-live="polite">
      <div className="progress-head">
        <strong>{label}</strong>
        <span>{text}</span>
      </div>
      <progress value={value} max={max} aria-label="Generation progress" aria-valuetext={text} />
      <div className="progress-foot muted small">
        <span>Elapsed {formatDuration(elapsed)}</span>
        <span>{eta !== undefined ? `About ${formatDuration(eta)} left` : 'Estimating…'}</span>
      </div>
    </div>
  );
}

const STAGE_WORDS: Record<Progress['stage'], string> = {
  download: 'Downloading',
  verify: 'Verifying',
  compile: 'Compiling',
  warmup: 'Warming up',
  tokenize: 'Reading the prompt',
  text: 'Encoding the prompt',
  denoise: 'Denoising',
  decode: 'Decoding frames',
  score: 'Scoring',
  extract: 'Extracting motion',
};

function describe(p: Progress | undefined): { value?: number; max?: number; text: string } {
  if (!p) return { text: 'Starting…' };
  const word = STAGE_WORDS[p.stage];
  if (p.stage === 'denoise' && p.done !== undefined && p.total)
    return { value: p.done, max: p.total, text: `${word}: step ${p.done} of ${p.total}` };
  if (p.done !== undefined && p.total) return { value: p.done, max: p.total, text: `${word}…` };
  return { text: `${word}…` };
}

/** Without the engine's estimate: time per denoising step so far times the steps left. */
function stepEstimate(p: Progress | undefined): number | undefined {
  if (p?.stage !== 'denoise' || !p.done || !p.total) return undefined;
  return (p.elapsedMs / p.done) * (p.total - p.done);
}

/** performance.now(), refreshed a few times a second while `active`. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    if (!active) return;
    const id = setInterval(() => setNow(performance.now()), 200);
    return () => clearInterval(id);
  }, [active]);
  return now;
}
