import { useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { Clip } from '../../engine/protocol';
import { minWindowS, REFERENCE_LIMITS } from '../../media/reference-limits';
import { pickReference, removeReference, setWindow } from '../../state/actions/reference';
import { peekClip } from '../../state/clips';
import { sliderStep } from '../../state/limits';
import { useStudio } from '../../state/store';
import { formatBytes } from '../../storage/quota';
import { Player } from './Player';

/** Motion guidance: a reference video whose motion the next clips follow. */
export function ReferencePanel() {
  const r = useStudio(useShallow((s) => s.reference));
  const frames = useStudio((s) => s.create.limits.frames);
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const choose = () => input.current?.click();
  const onFiles = (files: FileList | null) => {
    const file = files?.[0];
    if (file) void pickReference(file);
  };
  return (
    <section className="panel-section reference" aria-labelledby="reference-title">
      <h2 id="reference-title" className="section-title">
        Motion reference <span className="muted small">(optional)</span>
      </h2>
      <input
        ref={input}
        id="reference-file"
        type="file"
        accept="video/*,.mp4,.webm,.mov,.m4v,.mkv"
        className="visually-hidden"
        tabIndex={-1}
        aria-label="Reference video file"
        onChange={(e) => {
          onFiles(e.target.files);
          e.target.value = ''; // picking the same file again still fires
        }}
      />
      {r.status === 'empty' || r.status === 'error' ? (
        // biome-ignore lint/a11y/noStaticElementInteractions: the drop target; the button inside is the keyboard way in
        <div
          className={dragging ? 'drop-zone dragging' : 'drop-zone'}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => {
            e.preventDefault();
            setDragging(false);
            onFiles(e.dataTransfer.files);
          }}
          data-testid="reference-drop"
        >
          <p>Drop a video here, or</p>
          <button type="button" onClick={choose}>
            Choose reference video
          </button>
          <p className="hint" id="reference-limits">
            MP4, WebM or MOV the browser can decode · up to {formatBytes(REFERENCE_LIMITS.maxBytes)} ·{' '}
            {REFERENCE_LIMITS.maxDurationS} s · {REFERENCE_LIMITS.maxWidth}×{REFERENCE_LIMITS.maxHeight} · at least{' '}
            {frames} frames. The video stays on this device.
          </p>
        </div>
      ) : null}
      {r.status === 'error' && (
        <p className="run-error" role="alert" data-testid="reference-error">
          <strong>{r.fileName}:</strong> {r.error}
        </p>
      )}
      {(r.status === 'checking' || r.status === 'decoding') && (
        <p className="muted" role="status">
          {r.status === 'checking' ? `Checking ${r.fileName}…` : `Decoding ${frames} frames of ${r.fileName}…`}
        </p>
      )}
      {r.status === 'ready' && r.info && <ReadyReference frames={frames} onReplace={choose} />}
    </section>
  );
}

function ReadyReference({ frames, onReplace }: { frames: number; onReplace(): void }) {
  const r = useStudio(useShallow((s) => s.reference));
  const lambda = useStudio((s) => s.create.limits.lambda);
  const { setReferenceStrength, setReferenceEnabled } = useStudio(
    useShallow((s) => ({ setReferenceStrength: s.setReferenceStrength, setReferenceEnabled: s.setReferenceEnabled })),
  );
  const info = r.info!;
  const preview: Clip | undefined = r.framesId ? peekClip(r.framesId) : undefined;
  const minLen = minWindowS(info, frames);
  const step = Math.max(0.01, Math.round(100 / info.fps) / 100);
  return (
    <div className="reference-ready" data-testid="reference-ready">
      <p className="reference-file">
        <strong>{r.fileName}</strong>
        <span className="muted small">
          {' '}
          {info.codec} · {info.width}×{info.height} · {info.durationS.toFixed(1)} s · {Math.round(info.fps)} fps
        </span>
      </p>
      {preview && (
        <div className="reference-preview" data-testid="reference-preview">
          <Player clip={preview} label={`Reference frames from ${r.fileName}`} maxScale={2} />
        </div>
      )}
      <p className="hint" data-testid="reference-window-text">
        {frames} frames from {r.window.start.toFixed(2)} s to {r.window.end.toFixed(2)} s
      </p>
      <div className="field">
        <label htmlFor="ref-start">Window start (s)</label>
        <input
          id="ref-start"
          type="range"
          min={0}
          max={Math.max(0, info.durationS - minLen)}
          step={step}
          value={r.window.start}
          onChange={(e) => {
            const start = Number(e.target.value);
            const len = r.window.end - r.window.start;
            setWindow({ start, end: start + len });
          }}
        />
      </div>
      <div className="field">
        <label htmlFor="ref-end">Window end (s)</label>
        <input
          id="ref-end"
          type="range"
          min={Math.min(info.durationS, minLen)}
          max={info.durationS}
          step={step}
          value={r.window.end}
          onChange={(e) => {
            // Range values are min + k * step, so the last one can fall short of the video's end.
            const end = Number(e.target.value);
            setWindow({ start: r.window.start, end: end > info.durationS - step ? info.durationS : end });
          }}
        />
      </div>
      {lambda && (
        <div className="field">
          <div className="field-row">
            <label htmlFor="ref-strength">Reference strength λ</label>
            <output htmlFor="ref-strength" className="value">
              {r.strength}
            </output>
          </div>
          <input
            id="ref-strength"
            type="range"
            min={lambda.min}
            max={lambda.max}
            step={sliderStep(lambda)}
            value={r.strength}
            onChange={(e) => setReferenceStrength(Number(e.target.value))}
            aria-describedby="ref-strength-hint"
          />
          <p id="ref-strength-hint" className="hint">
            How closely the clip follows the reference's motion. Default {lambda.default}.
          </p>
        </div>
      )}
      <label className="toggle">
        <input type="checkbox" checked={r.enabled} onChange={(e) => setReferenceEnabled(e.target.checked)} />
        Use for the next generation
      </label>
      <MotionPicture />
      <div className="row">
        <button type="button" onClick={onReplace}>
          Replace…
        </button>
        <button type="button" className="danger" onClick={removeReference}>
          Remove reference
        </button>
      </div>
    </div>
  );
}

/** The engine's picture of the extracted motion, or why there is none yet. */
function MotionPicture() {
  const motion = useStudio((s) => s.reference.motion);
  const engine = useStudio((s) => s.model.engineAvailable);
  const ready = useStudio((s) => s.model.status === 'ready');
  const map = motion.mapId ? peekClip(motion.mapId) : undefined;
  return (
    <div className="motion-picture" data-testid="motion-picture">
      <h3 className="subsection-title">Extracted motion</h3>
      {motion.status === 'ready' && map ? (
        <Player clip={map} label="Extracted motion heat map" maxScale={4} />
      ) : (
        <p className="hint">
          {motion.status === 'extracting'
            ? 'Extracting motion…'
            : motion.status === 'unavailable' || motion.status === 'error'
              ? motion.message
              : !engine
                ? 'Shown once a model is loaded (the engine is not part of this build yet).'
                : !ready
                  ? 'Shown once a model is loaded.'
                  : 'Shown once extracted.'}
        </p>
      )}
    </div>
  );
}
