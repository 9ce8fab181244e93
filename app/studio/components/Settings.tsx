import { useId } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { BackendChoice } from '../../engine/protocol';
import { randomSeed } from '../../state/actions/generate';
import { setBackend } from '../../state/actions/model';
import { MAX_SEED, sliderStep, stepChoices } from '../../state/limits';
import { useStudio } from '../../state/store';
import { backendName } from '../format';

/** Steps, guidance scale w, motion strength, seed and backend: the settings of the next run. */
export function Settings() {
  const c = useStudio(useShallow((s) => s.create));
  const { setSteps, setGuidance, setMotion, setSeed, setSeedLocked } = useStudio(
    useShallow((s) => ({
      setSteps: s.setSteps,
      setGuidance: s.setGuidance,
      setMotion: s.setMotion,
      setSeed: s.setSeed,
      setSeedLocked: s.setSeedLocked,
    })),
  );
  const steps = stepChoices(c.limits.steps);
  return (
    <section className="panel-section" aria-labelledby="settings-title">
      <h2 id="settings-title" className="section-title">
        Settings
      </h2>
      <div className="field">
        <label htmlFor="steps">Steps</label>
        <select
          id="steps"
          value={c.steps}
          onChange={(e) => setSteps(Number(e.target.value))}
          aria-describedby="steps-hint"
        >
          <optgroup label="Recommended">
            {steps.recommended.map((s) => (
              <option key={s} value={s}>
                {s} step{s === 1 ? '' : 's'}
                {s === c.limits.steps.default ? ' (default)' : ''}
              </option>
            ))}
          </optgroup>
          {steps.other.length > 0 && (
            <optgroup label="Other">
              {steps.other.map((s) => (
                <option key={s} value={s}>
                  {s} step{s === 1 ? '' : 's'}
                </option>
              ))}
            </optgroup>
          )}
        </select>
        <p id="steps-hint" className="hint">
          More steps: finer detail, proportionally slower.
        </p>
      </div>
      <Slider
        id="guidance"
        label="Guidance scale w"
        hint="How literally the clip follows the prompt."
        value={c.guidance}
        range={c.limits.guidance}
        onChange={setGuidance}
      />
      <Slider
        id="motion"
        label="Motion strength"
        hint="How much things move."
        value={c.motion}
        range={c.limits.motion}
        onChange={setMotion}
      />
      <SeedField seed={c.seed} locked={c.seedLocked} setSeed={setSeed} setLocked={setSeedLocked} />
      <BackendField />
    </section>
  );
}

function Slider(props: {
  id: string;
  label: string;
  hint: string;
  value: number;
  range: { min: number; max: number; default: number };
  onChange(v: number): void;
}) {
  const { id, label, hint, value, range, onChange } = props;
  const step = sliderStep(range);
  return (
    <div className="field">
      <div className="field-row">
        <label htmlFor={id}>{label}</label>
        <output htmlFor={id} className="value">
          {value}
        </output>
      </div>
      <input
        id={id}
        type="range"
        min={range.min}
        max={range.max}
        step={step}
        value={value}
        onChange={(e) => onChange(Number(e.target.value))}
        aria-describedby={`${id}-hint`}
      />
      <p id={`${id}-hint`} className="hint">
        {hint} Range {range.min}–{range.max}, default {range.default}.
      </p>
    </div>
  );
}

function SeedField(props: { seed: number; locked: boolean; setSeed(n: number): void; setLocked(l: boolean): void }) {
  const { seed, locked, setSeed, setLocked } = props;
  const hintId = useId();
  return (
    <div className="field">
      <label htmlFor="seed">Seed</label>
      <div className="field-row">
        <input
          id="seed"
          type="number"
          inputMode="numeric"
          min={0}
          max={MAX_SEED}
          step={1}
          value={seed}
          onChange={(e) => {
            if (e.target.value !== '') setSeed(Number(e.target.value));
            setLocked(true);
          }}
          aria-describedby={hintId}
        />
        <label className="toggle">
          <input type="checkbox" checked={locked} onChange={(e) => setLocked(e.target.checked)} />
          Lock seed
        </label>
        <button
          type="button"
          className="icon-button"
          onClick={() => setSeed(randomSeed())}
          aria-label="New random seed"
          title="New random seed"
        >
          ⟳
        </button>
      </div>
      <p id={hintId} className="hint">
        {locked
          ? 'Locked: every run uses this seed, so the same settings make the same clip.'
          : 'Unlocked: each run draws a new seed; the one used is shown here.'}
      </p>
    </div>
  );
}

function BackendField() {
  const { choice, backend, reason, status } = useStudio(
    useShallow((s) => ({
      choice: s.model.backendChoice,
      backend: s.model.backend,
      reason: s.model.reason,
      status: s.model.status,
    })),
  );
  return (
    <div className="field">
      <label htmlFor="backend">Backend</label>
      <select
        id="backend"
        value={choice}
        onChange={(e) => void setBackend(e.target.value as BackendChoice)}
        aria-describedby="backend-in-use"
      >
        <option value="auto">Auto (WebGPU when available)</option>
        <option value="webgpu">WebGPU (GPU)</option>
        <option value="wasm">WASM (CPU)</option>
      </select>
      <p id="backend-in-use" className="hint" data-testid="backend-in-use">
        {status === 'ready' ? `In use: ${backendName(backend)} — ${reason}` : 'In use: none yet (no model loaded).'}
      </p>
    </div>
  );
}
