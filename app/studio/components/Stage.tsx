import { useStudio } from '../../state/store';
import { backendName, formatDuration, settingsLine } from '../format';
import { useGalleryClip } from '../hooks';
import { ClipActions } from './ClipActions';
import { Player } from './Player';
import { ProgressPanel } from './RunBar';
import { ScoreList } from './ScoreBars';

/** The create view's main area: progress, then the selected clip in the player with its facts. */
export function Stage() {
  const selectedId = useStudio((s) => s.gallery.selectedId);
  const item = useStudio((s) => s.gallery.items.find((i) => i.id === (s.gallery.selectedId ?? s.gallery.items[0]?.id)));
  const clip = useGalleryClip(item);
  return (
    <section className="stage" aria-label="Player">
      <ProgressPanel />
      {!item ? (
        <EmptyStage />
      ) : (
        <article className="stage-clip" aria-label={`Clip: ${item.prompt}`}>
          {clip ? (
            <Player clip={clip} label={`Clip: ${item.prompt}`} />
          ) : (
            <div className="player-loading">Loading frames…</div>
          )}
          <div className="clip-facts">
            <h2 className="clip-prompt">{item.prompt}</h2>
            <p className="muted">
              {settingsLine(item.settings)} · {item.modelName} on {backendName(item.backend)} · made in{' '}
              {formatDuration(item.timeMs)}
              {item.reference && (
                <span
                  className="badge"
                  title={`Motion from ${item.reference.name}, strength ${item.reference.strength}`}
                >
                  reference: {item.reference.name}
                </span>
              )}
              {item.tokens?.truncated && (
                <span className="badge subtle" title="The model reads only the start of a long prompt">
                  prompt cut to {item.tokens.max} tokens
                </span>
              )}
              {!selectedId && <span className="badge subtle">latest</span>}
            </p>
            <ScoreList scores={item.scores} />
            <ClipActions item={item} />
          </div>
        </article>
      )}
    </section>
  );
}

function EmptyStage() {
  const engine = useStudio((s) => s.model.engineAvailable);
  const status = useStudio((s) => s.model.status);
  return (
    <div className="empty-state">
      <div className="empty-art" aria-hidden="true">
        <span />
        <span />
        <span />
      </div>
      <h2>No clip yet</h2>
      {!engine || status !== 'ready' ? (
        <p data-testid="model-not-loaded">
          <strong>Model not loaded.</strong>{' '}
          {engine
            ? 'Open the Model panel to load the bundled model or your own package.'
            : 'The generation engine is not part of this build yet. You can still prepare a prompt, settings and a reference video, and browse saved clips.'}
        </p>
      ) : (
        <p>
          Write a prompt (or pick an example) and press Generate. Clips appear here and in the Gallery, and stay after a
          reload.
        </p>
      )}
    </div>
  );
}
