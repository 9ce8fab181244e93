import { retry } from '../../state/actions/generate';
import type { NoticeAction } from '../../state/slices/notices';
import { studio, useStudio } from '../../state/store';

const ACTIONS: Record<NoticeAction, { label: string; run(): void }> = {
  'retry-generate': { label: 'Try again', run: () => void retry() },
  'rerun-interrupted': { label: 'Run it again', run: () => void retry() },
  'open-gallery': { label: 'Open Gallery', run: () => studio.getState().setView('gallery') },
  'open-model': { label: 'Open Model panel', run: () => studio.getState().setView('model') },
};

/** Messages for the user, newest last; errors are announced assertively, the rest politely. */
export function Notices() {
  const items = useStudio((s) => s.notices.items);
  const dismiss = useStudio((s) => s.dismissNotice);
  return (
    <div className="notices">
      <div role="status" aria-live="polite" className="notice-stack">
        {items
          .filter((n) => n.level !== 'error')
          .map((n) => (
            <NoticeCard key={n.id} {...n} onDismiss={() => dismiss(n.id)} />
          ))}
      </div>
      <div role="alert" aria-live="assertive" className="notice-stack">
        {items
          .filter((n) => n.level === 'error')
          .map((n) => (
            <NoticeCard key={n.id} {...n} onDismiss={() => dismiss(n.id)} />
          ))}
      </div>
    </div>
  );
}

function NoticeCard(props: { level: string; text: string; action?: NoticeAction; onDismiss(): void }) {
  const action = props.action ? ACTIONS[props.action] : undefined;
  return (
    <div className={`notice ${props.level}`} data-testid="notice">
      <p>{props.text}</p>
      <div className="notice-buttons">
        {action && (
          <button
            type="button"
            onClick={() => {
              action.run();
              props.onDismiss();
            }}
          >
            {action.label}
          </button>
        )}
        <button type="button" className="icon-button" onClick={props.onDismiss} aria-label="Dismiss notice">
          ✕
        </button>
      </div>
    </div>
  );
}
