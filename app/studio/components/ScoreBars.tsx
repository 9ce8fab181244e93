import { useId } from 'react';
import type { Score } from '../../engine/protocol';
import { barFraction, formatScore, type ScoreColumn } from '../../state/scores';

/** A score's label that explains itself on hover and keyboard focus. */
export function ScoreLabel({ column }: { column: Pick<ScoreColumn, 'label' | 'description' | 'higherIsBetter'> }) {
  const tipId = useId();
  return (
    <span className="tip-anchor">
      {/* A button only to be focusable: keyboard users reach the explanation as mouse users hover to it. */}
      <button type="button" className="score-label" aria-describedby={tipId}>
        {column.label}
        <span className="direction" aria-hidden="true">
          {column.higherIsBetter ? '↑' : '↓'}
        </span>
      </button>
      <span role="tooltip" id={tipId} className="tooltip">
        {column.description} {column.higherIsBetter ? 'Higher is better.' : 'Lower is better.'}
      </span>
    </span>
  );
}

/** One clip's scores as labelled numbers (the create view). */
export function ScoreList({ scores }: { scores: Score[] }) {
  if (scores.length === 0) return <p className="muted small">No scores for this clip.</p>;
  return (
    <dl className="score-list">
      {scores.map((s) => (
        <div key={s.id} className="score-item">
          <dt>
            <ScoreLabel column={s} />
          </dt>
          <dd>{formatScore(s.value)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** One clip's scores as bars against the other compared clips, the best marked. */
export function ScoreBars(props: {
  columns: ScoreColumn[];
  scores: Score[];
  /** Every compared clip's value per score id, to scale the bars. */
  values: Map<string, number[]>;
  best: Map<string, Set<string>>;
  clipId: string;
}) {
  const { columns, scores, values, best, clipId } = props;
  return (
    <ul className="score-bars">
      {columns.map((col) => {
        const v = scores.find((s) => s.id === col.id)?.value;
        const isBest = best.get(col.id)?.has(clipId) ?? false;
        const fraction = v === undefined ? 0 : barFraction(v, values.get(col.id) ?? [v], col.higherIsBetter);
        return (
          <li key={col.id} className={isBest ? 'score-bar best' : 'score-bar'}>
            <ScoreLabel column={col} />
            <span className="bar-track" aria-hidden="true">
              <span className="bar-fill" style={{ width: `${Math.round(fraction * 100)}%` }} />
            </span>
            <span className="bar-value">
              {v === undefined ? '—' : formatScore(v)}
              {isBest && (
                <span className="best-mark" title={`Best ${col.label} of the clips shown`}>
                  {' '}
                  ★<span className="visually-hidden"> best</span>
                </span>
              )}
            </span>
          </li>
        );
      })}
    </ul>
  );
}
