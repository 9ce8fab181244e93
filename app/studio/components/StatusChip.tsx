import { useShallow } from 'zustand/react/shallow';
import { useStudio } from '../../state/store';
import { backendName } from '../format';

/** The header's one-line answer to "can I generate, with what, on what?". */
export function StatusChip() {
  const m = useStudio(
    useShallow((s) => ({
      engine: s.model.engineAvailable,
      status: s.model.status,
      name: s.model.manifest?.name,
      backend: s.model.backend,
      reason: s.model.reason,
    })),
  );
  const setView = useStudio((s) => s.setView);
  const text =
    m.status === 'ready'
      ? `${m.name} · ${backendName(m.backend)}`
      : m.status === 'loading'
        ? 'Loading model…'
        : m.status === 'error'
          ? 'Model failed to load'
          : 'Model not loaded';
  const tone = m.status === 'ready' ? 'ok' : m.status === 'error' ? 'bad' : m.status === 'loading' ? 'busy' : 'idle';
  return (
    <button
      type="button"
      className={`status-chip ${tone}`}
      onClick={() => setView('model')}
      title={m.status === 'ready' ? m.reason : 'Open the Model panel'}
      data-testid="model-chip"
    >
      <span className="dot" aria-hidden="true" />
      {text}
    </button>
  );
}
