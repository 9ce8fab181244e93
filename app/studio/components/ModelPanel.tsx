import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { loadBundled, loadFromFolder, loadFromUrl } from '../../state/actions/model';
import { askPersistence, refreshStorage, removeCached } from '../../state/actions/storage';
import { useStudio } from '../../state/store';
import { formatBytes } from '../../storage/quota';
import { backendName } from '../format';
import { PackageFit } from './PackageFit';

/** Which model runs; loading another (bundled, a folder, a same-origin URL); the cache and storage. */
export function ModelPanel() {
  return (
    <div className="model-panel">
      <CurrentModel />
      <Sources />
      <StoragePanel />
    </div>
  );
}

function CurrentModel() {
  const m = useStudio(
    useShallow((s) => ({
      engine: s.model.engineAvailable,
      status: s.model.status,
      label: s.model.sourceLabel,
      bundled: s.model.bundledId !== undefined,
      manifest: s.model.manifest,
      backend: s.model.backend,
      precision: s.model.precision,
      reason: s.model.reason,
      progress: s.model.loadProgress,
      error: s.model.error,
    })),
  );
  return (
    <section className="card" aria-labelledby="current-model-title">
      <h2 id="current-model-title" className="section-title">
        Current model
      </h2>
      {!m.engine && (
        <p data-testid="model-status">
          <strong>Model not loaded.</strong> The generation engine is not part of this build yet; models can be listed
          here but not loaded.
        </p>
      )}
      {m.engine && m.status === 'none' && <p data-testid="model-status">No model loaded. Choose one below.</p>}
      {m.status === 'loading' && (
        <div data-testid="model-status" aria-live="polite">
          <p>Loading {m.label}…</p>
          {m.progress && (
            <>
              <progress value={m.progress.done} max={m.progress.total} aria-label="Model download progress" />
              <p className="muted small">
                {m.progress.stage}
                {m.progress.file ? `: ${m.progress.file}` : ''}
                {m.progress.done !== undefined && m.progress.total
                  ? ` — ${formatBytes(m.progress.done)} of ${formatBytes(m.progress.total)}`
                  : ''}
              </p>
            </>
          )}
        </div>
      )}
      {m.status === 'ready' && m.manifest && (
        <div data-testid="model-status">
          <p>
            <strong>{m.manifest.name}</strong>{' '}
            <span className="muted">({m.bundled ? 'bundled with the app' : m.label})</span>
          </p>
          <p className="muted small">{m.manifest.description}</p>
          <p className="small">
            {m.manifest.video.frames} frames · {m.manifest.video.width}×{m.manifest.video.height} ·{' '}
            {m.manifest.video.fps} fps · {backendName(m.backend)} {m.precision} — {m.reason}
          </p>
        </div>
      )}
      {m.status === 'error' && (
        <p className="run-error" role="alert">
          {m.error}
        </p>
      )}
    </section>
  );
}

function Sources() {
  const bundled = useStudio((s) => s.model.bundled);
  const checked = useStudio((s) => s.model.bundledChecked);
  const loading = useStudio((s) => s.model.status === 'loading');
  const [url, setUrl] = useState('');
  return (
    <section className="card" aria-labelledby="sources-title">
      <h2 id="sources-title" className="section-title">
        Load a model
      </h2>
      <h3 className="subsection-title">Bundled with the app</h3>
      {!checked ? (
        <p className="muted">Looking for bundled models…</p>
      ) : bundled.length === 0 ? (
        <p className="muted" data-testid="no-bundled">
          This build ships no model package (none listed in /models/index.json).
        </p>
      ) : (
        <ul className="plain-list">
          {bundled.map((b) => (
            <li key={b.id} className="row">
              <span>
                <strong>{b.name}</strong> <span className="muted small">{formatBytes(b.weightBytes)} of weights</span>
                <br />
                <PackageFit baseUrl={b.baseUrl} />
              </span>
              <button type="button" disabled={loading} onClick={() => void loadBundled(b)}>
                Load {b.name}
              </button>
            </li>
          ))}
        </ul>
      )}
      <h3 className="subsection-title">From a folder on this computer</h3>
      <label className="file-button">
        <input
          type="file"
          webkitdirectory=""
          multiple
          disabled={loading}
          onChange={(e) => {
            if (e.target.files) void loadFromFolder(e.target.files);
            e.target.value = '';
          }}
        />
        Choose package folder…
      </label>
      <p className="hint">The folder holding manifest.json (an export from the companion). Files are read locally.</p>
      <h3 className="subsection-title">From a URL on this site</h3>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void loadFromUrl(url);
        }}
      >
        <label htmlFor="model-url" className="visually-hidden">
          Model package URL
        </label>
        <input
          id="model-url"
          type="text"
          placeholder="/models/my-model/"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
        />
        <button type="submit" disabled={loading}>
          Load URL
        </button>
      </form>
    </section>
  );
}

function StoragePanel() {
  const { cached, storage } = useStudio(useShallow((s) => ({ cached: s.model.cached, storage: s.model.storage })));
  const pct = storage.usage !== undefined && storage.quota ? (storage.usage / storage.quota) * 100 : undefined;
  return (
    <section className="card" aria-labelledby="storage-title">
      <h2 id="storage-title" className="section-title">
        Storage
      </h2>
      <p data-testid="storage-usage">
        Using {formatBytes(storage.usage)} of {formatBytes(storage.quota)}
        {pct !== undefined ? ` (${pct < 1 ? pct.toFixed(2) : pct.toFixed(0)}%)` : ''} for the gallery and cached models.
      </p>
      {pct !== undefined && <meter min={0} max={100} value={pct} high={80} aria-label="Storage used" />}
      <p className="small">
        {storage.persisted
          ? 'Storage is persistent: the browser will not evict it under pressure.'
          : 'Storage is not persistent yet: the browser may clear it when the disk runs low.'}{' '}
        {!storage.persisted && (
          <button type="button" className="link-button" onClick={() => void askPersistence()}>
            Ask again
          </button>
        )}
      </p>
      <h3 className="subsection-title">Cached models</h3>
      {cached.length === 0 ? (
        <p className="muted">No model is cached for offline use yet.</p>
      ) : (
        <ul className="plain-list">
          {cached.map((c) => (
            <li key={c.baseUrl} className="row">
              <span>
                <strong>{c.name}</strong>{' '}
                <span className="muted small">
                  {c.id} · {formatBytes(c.bytes)} · {new URL(c.baseUrl, location.href).pathname}
                </span>
              </span>
              <button type="button" className="danger" onClick={() => void removeCached(c.baseUrl)}>
                Remove {c.name} from cache
              </button>
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="link-button" onClick={() => void refreshStorage()}>
        Refresh
      </button>
    </section>
  );
}
