import { formatScore } from '../../state/scores';
import { useStudio } from '../../state/store';
import { backendName, formatDate, formatDuration, settingsLine } from '../format';
import { ClipActions } from './ClipActions';

/** Every clip made, newest first, with what made it; kept across reloads. */
export function Gallery() {
  const { items, loaded, error } = useStudio((s) => s.gallery);
  const selectClip = useStudio((s) => s.selectClip);
  const setView = useStudio((s) => s.setView);
  if (!loaded) return <p className="muted">Opening the gallery…</p>;
  return (
    <div className="gallery">
      <h2 className="section-title">
        Gallery <span className="muted">({items.length})</span>
      </h2>
      {error && (
        <p className="run-error" role="alert">
          {error}
        </p>
      )}
      {items.length === 0 ? (
        <div className="empty-state compact">
          <h2>No clips yet</h2>
          <p>Every clip you generate is kept here with its prompt, settings and scores, and stays after a reload.</p>
        </div>
      ) : (
        <ul className="gallery-grid" aria-label="Saved clips">
          {items.map((item) => (
            <li key={item.id} className="gallery-card" data-testid="gallery-item">
              <button
                type="button"
                className="poster-button"
                onClick={() => {
                  selectClip(item.id);
                  setView('create');
                }}
                aria-label={`Open “${item.prompt}” in the player`}
              >
                {item.posterUrl ? (
                  <img src={item.posterUrl} alt="" width={item.width} height={item.height} className="poster" />
                ) : (
                  <span className="poster placeholder" />
                )}
              </button>
              <div className="gallery-meta">
                <p className="gallery-prompt">{item.prompt}</p>
                <p className="muted small">{settingsLine(item.settings)}</p>
                <p className="muted small">
                  {item.modelName} · {backendName(item.backend)} · {formatDuration(item.timeMs)} ·{' '}
                  {formatDate(item.created)}
                </p>
                <p className="badges">
                  {item.reference && (
                    <span
                      className="badge"
                      title={`Motion from ${item.reference.name}, strength ${item.reference.strength}`}
                    >
                      reference
                    </span>
                  )}
                  {!item.saved && <span className="badge warn">not saved</span>}
                  {item.tokens?.truncated && (
                    <span className="badge subtle" title={`Only the first ${item.tokens.max} tokens were read`}>
                      prompt cut
                    </span>
                  )}
                </p>
                {item.scores.length > 0 && (
                  <p className="small gallery-scores">
                    {item.scores.map((s) => (
                      <span key={s.id} title={s.description}>
                        {s.label} {formatScore(s.value)}
                      </span>
                    ))}
                  </p>
                )}
              </div>
              <ClipActions item={item} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
