import { useMemo, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { sweep } from '../../state/actions/generate';
import { bestPerScore, scoreColumns, scoreOf, sortByScore } from '../../state/scores';
import { MAX_COMPARE, MIN_COMPARE, type SweepSetting } from '../../state/slices/compare';
import type { GalleryItem } from '../../state/slices/gallery';
import { useStudio } from '../../state/store';
import { SWEEP_LABELS } from '../../state/sweep';
import { backendName } from '../format';
import { integerFit, useElementSize, useGalleryClip } from '../hooks';
import { ClipCanvas } from './ClipCanvas';
import { ScoreBars } from './ScoreBars';
import { frameAt, usePlayback } from './usePlayback';

/** 2-6 clips side by side, in sync, with their reward scores; made by a sweep or picked in the gallery. */
export function ComparePanel() {
  const { ids, sortBy } = useStudio(useShallow((s) => ({ ids: s.compare.ids, sortBy: s.compare.sortBy })));
  const allItems = useStudio((s) => s.gallery.items);
  const items = useMemo(
    () => ids.map((id) => allItems.find((i) => i.id === id)).filter((i): i is GalleryItem => i !== undefined),
    [ids, allItems],
  );
  const columns = useMemo(() => scoreColumns(items), [items]);
  const best = useMemo(() => bestPerScore(items), [items]);
  const values = useMemo(
    () =>
      new Map(
        columns.map((c) => [c.id, items.map((i) => scoreOf(i, c.id)).filter((v): v is number => v !== undefined)]),
      ),
    [columns, items],
  );
  const shown = sortBy ? sortByScore(items, sortBy) : items;
  const longest = Math.max(1e-3, ...items.map((i) => i.frameCount / i.fps));
  const fastest = Math.max(1, ...items.map((i) => i.fps));
  const playback = usePlayback(longest, fastest);
  const setSortBy = useStudio((s) => s.setSortBy);
  const clearCompare = useStudio((s) => s.clearCompare);
  const differing = differingSettings(items);
  return (
    <div className="compare">
      <SweepBar />
      <div className="compare-toolbar">
        <h2 className="section-title">
          Comparing {items.length} clip{items.length === 1 ? '' : 's'}
        </h2>
        {items.length > 0 && (
          <>
            <label className="inline-field">
              Sort by
              <select
                value={sortBy ?? ''}
                onChange={(e) => setSortBy(e.target.value || undefined)}
                aria-describedby="sort-hint"
              >
                <option value="">Order added</option>
                {columns.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.label}
                  </option>
                ))}
              </select>
              <span id="sort-hint" className="hint">
                best first
              </span>
            </label>
            <button
              type="button"
              onClick={() => playback.setPlaying(!playback.playing)}
              aria-label={playback.playing ? 'Pause all' : 'Play all'}
            >
              {playback.playing ? '❚❚ Pause' : '▶ Play'}
            </button>
            <input
              type="range"
              className="scrubber"
              min={0}
              max={Math.max(0, Math.round(longest * 1000) - 1)}
              value={Math.round(playback.time * 1000)}
              onChange={(e) => playback.seek(Number(e.target.value) / 1000)}
              aria-label="Time in all clips"
              aria-valuetext={`${playback.time.toFixed(2)} s`}
            />
            <button type="button" onClick={clearCompare}>
              Clear
            </button>
          </>
        )}
      </div>
      {items.length < MIN_COMPARE && (
        <div className="empty-state compact">
          <h2>{items.length === 0 ? 'Nothing to compare yet' : 'Add one more clip'}</h2>
          <p>
            Run a sweep above (one setting varied at a fixed seed), or press <em>Compare</em> on {MIN_COMPARE}–
            {MAX_COMPARE} clips in the Gallery. Each clip shows its reward scores as bars; the best per score is
            starred.
          </p>
        </div>
      )}
      {items.length > 0 && (
        <ul className={`compare-grid n${shown.length}`}>
          {shown.map((item) => (
            <li key={item.id}>
              <CompareCard
                item={item}
                time={playback.time}
                differing={differing}
                columns={columns}
                values={values}
                best={best}
                maxHeight={shown.length <= 2 ? 320 : shown.length <= 4 ? 256 : 200}
              />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function CompareCard(props: {
  item: GalleryItem;
  time: number;
  differing: Set<string>;
  columns: ReturnType<typeof scoreColumns>;
  values: Map<string, number[]>;
  best: Map<string, Set<string>>;
  /** Screen height budget: all clips should fit on a laptop screen at once. */
  maxHeight: number;
}) {
  const { item, time, differing, columns, values, best, maxHeight } = props;
  const clip = useGalleryClip(item);
  const box = useRef<HTMLDivElement>(null);
  const size = useElementSize(box);
  const scale = integerFit(item.width, item.height, { width: size.width, height: maxHeight }, 6);
  const toggleCompare = useStudio((s) => s.toggleCompare);
  const s = item.settings;
  const part = (key: string, text: string) =>
    differing.has(key) ? <strong key={key}>{text}</strong> : <span key={key}>{text}</span>;
  return (
    <article className="compare-card" aria-label={`Compared clip: ${item.prompt}, seed ${s.seed}`}>
      <div className="compare-screen" ref={box}>
        {clip ? (
          <ClipCanvas
            clip={clip}
            frame={frameAt(time % (clip.frameCount / clip.fps), clip.fps, clip.frameCount)}
            scale={scale}
            label={`Clip: ${item.prompt}`}
          />
        ) : (
          <div className="player-loading">Loading…</div>
        )}
      </div>
      <p className="compare-prompt" title={item.prompt}>
        {differing.has('prompt') ? <strong>{item.prompt}</strong> : item.prompt}
      </p>
      <p className="settings-line small">
        {part('steps', `${s.steps} steps`)} · {part('guidance', `w ${s.guidance}`)} ·{' '}
        {part('motion', `motion ${s.motion}`)} · {part('seed', `seed ${s.seed}`)} · {backendName(item.backend)}
        {item.reference ? (
          <span className="badge" title={`Motion from ${item.reference.name}, strength ${item.reference.strength}`}>
            reference
          </span>
        ) : (
          differing.has('reference') && <span className="badge subtle">no reference</span>
        )}
      </p>
      <ScoreBars columns={columns} scores={item.scores} values={values} best={best} clipId={item.id} />
      <button
        type="button"
        className="link-button"
        onClick={() => toggleCompare(item.id)}
        aria-label={`Remove from compare: ${item.prompt}, seed ${s.seed}`}
      >
        Remove
      </button>
    </article>
  );
}

/** Which settings differ among the clips (the swept one, usually), to highlight them. */
function differingSettings(items: GalleryItem[]): Set<string> {
  const out = new Set<string>();
  if (items.length < 2) return out;
  const first = items[0];
  for (const i of items) {
    if (i.prompt !== first.prompt) out.add('prompt');
    for (const k of ['steps', 'guidance', 'motion', 'seed'] as const)
      if (i.settings[k] !== first.settings[k]) out.add(k);
    if (Boolean(i.reference) !== Boolean(first.reference)) out.add('reference');
  }
  return out;
}

function SweepBar() {
  const { setting, count, running, refReady } = useStudio(
    useShallow((s) => ({
      setting: s.compare.sweepSetting,
      count: s.compare.sweepCount,
      running: s.generation.status !== 'idle',
      refReady: s.reference.status === 'ready',
    })),
  );
  const setSweep = useStudio((s) => s.setSweep);
  return (
    <section className="sweep-bar" aria-labelledby="sweep-title">
      <h2 id="sweep-title" className="section-title">
        Sweep
      </h2>
      <label className="inline-field">
        Vary
        <select value={setting} onChange={(e) => setSweep(e.target.value as SweepSetting)}>
          {(Object.keys(SWEEP_LABELS) as SweepSetting[]).map((k) => (
            <option key={k} value={k} disabled={k === 'reference' && !refReady}>
              {SWEEP_LABELS[k]}
              {k === 'reference' && !refReady ? ' (add a reference first)' : ''}
            </option>
          ))}
        </select>
      </label>
      {setting !== 'reference' && (
        <label className="inline-field">
          Clips
          <select value={count} onChange={(e) => setSweep(setting, Number(e.target.value))}>
            {[2, 3, 4, 5, 6].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      )}
      <button type="button" className="primary" disabled={running} onClick={() => void sweep()}>
        Run sweep
      </button>
      <span className="hint">Same prompt and seed; only the chosen setting changes.</span>
    </section>
  );
}
