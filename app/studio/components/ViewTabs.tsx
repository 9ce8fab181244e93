import { type KeyboardEvent, useRef } from 'react';
import { VIEWS, type View } from '../../state/slices/ui';
import { useStudio } from '../../state/store';

const LABELS: Record<View, string> = { create: 'Create', compare: 'Compare', gallery: 'Gallery', model: 'Model' };

/** The studio's views as a tab list (arrow keys move between tabs, Tab moves into the panel). */
export function ViewTabs() {
  const view = useStudio((s) => s.ui.view);
  const setView = useStudio((s) => s.setView);
  const galleryCount = useStudio((s) => s.gallery.items.length);
  const compareCount = useStudio((s) => s.compare.ids.length);
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  const onKey = (e: KeyboardEvent) => {
    const i = VIEWS.indexOf(view);
    const next =
      e.key === 'ArrowRight'
        ? VIEWS[(i + 1) % VIEWS.length]
        : e.key === 'ArrowLeft'
          ? VIEWS[(i - 1 + VIEWS.length) % VIEWS.length]
          : e.key === 'Home'
            ? VIEWS[0]
            : e.key === 'End'
              ? VIEWS[VIEWS.length - 1]
              : undefined;
    if (!next) return;
    e.preventDefault();
    setView(next);
    refs.current[next]?.focus();
  };
  return (
    <div role="tablist" aria-label="Studio views" className="tabs" onKeyDown={onKey}>
      {VIEWS.map((v) => (
        <button
          key={v}
          ref={(el) => {
            refs.current[v] = el;
          }}
          type="button"
          role="tab"
          id={`tab-${v}`}
          aria-selected={view === v}
          aria-controls={`panel-${v}`}
          tabIndex={view === v ? 0 : -1}
          onClick={() => setView(v)}
        >
          {LABELS[v]}
          {v === 'gallery' && galleryCount > 0 && <span className="count">{galleryCount}</span>}
          {v === 'compare' && compareCount > 0 && <span className="count">{compareCount}</span>}
        </button>
      ))}
    </div>
  );
}
