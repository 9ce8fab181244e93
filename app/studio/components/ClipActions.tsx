import { useState } from 'react';
import { upscaleChoices } from '../../media/export-rules';
import { deleteFromGallery, exportGalleryClip, saveAgain } from '../../state/actions/gallery';
import { rerun } from '../../state/actions/generate';
import type { GalleryItem } from '../../state/slices/gallery';
import { useStudio } from '../../state/store';

/** What one can do with a clip: export, re-run, compare, save (if storage refused it), delete. */
export function ClipActions({ item, compact = false }: { item: GalleryItem; compact?: boolean }) {
  const inCompare = useStudio((s) => s.compare.ids.includes(item.id));
  const toggleCompare = useStudio((s) => s.toggleCompare);
  const notify = useStudio((s) => s.notify);
  const running = useStudio((s) => s.generation.status !== 'idle');
  const scales = upscaleChoices(item.width, item.height);
  const [scale, setScale] = useState(() => scales.find((s) => item.width * s >= 256) ?? scales[scales.length - 1]);
  const [format, setFormat] = useState<'mp4' | 'webm'>('mp4');
  const [busy, setBusy] = useState(false);
  const name = `“${item.prompt.slice(0, 40)}”`;
  return (
    <fieldset className="clip-actions">
      <legend className="visually-hidden">Actions for {name}</legend>
      <span className="export-group">
        <select
          value={scale}
          onChange={(e) => setScale(Number(e.target.value))}
          aria-label={`Export size for ${name}`}
          title="Whole-number upscale keeps pixels crisp"
        >
          {scales.map((s) => (
            <option key={s} value={s}>
              {s}× ({item.width * s}×{item.height * s})
            </option>
          ))}
        </select>
        <select
          value={format}
          onChange={(e) => setFormat(e.target.value as 'mp4' | 'webm')}
          aria-label={`Export format for ${name}`}
          title="MP4 plays everywhere; WebM is used anyway where this browser cannot encode H.264"
        >
          <option value="mp4">MP4 (H.264)</option>
          <option value="webm">WebM (VP9)</option>
        </select>
        <button
          type="button"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            await exportGalleryClip(item.id, scale, format === 'webm');
            setBusy(false);
          }}
          aria-label={`Export ${name}`}
        >
          {busy ? 'Exporting…' : 'Export'}
        </button>
      </span>
      <button type="button" onClick={() => void rerun(item.id)} disabled={running} aria-label={`Re-run ${name}`}>
        Re-run
      </button>
      <button
        type="button"
        aria-pressed={inCompare}
        onClick={() => {
          if (!toggleCompare(item.id)) notify('warn', 'Compare holds at most 6 clips; remove one first.');
        }}
        aria-label={`${inCompare ? 'Remove from' : 'Add to'} compare: ${name}`}
      >
        {inCompare ? 'In compare ✓' : 'Compare'}
      </button>
      {!item.saved && (
        <button type="button" className="warn" onClick={() => void saveAgain(item.id)} aria-label={`Save ${name}`}>
          Save
        </button>
      )}
      {!compact && (
        <button
          type="button"
          className="danger"
          onClick={() => {
            if (confirm(`Delete ${name} from the gallery? This cannot be undone.`)) void deleteFromGallery(item.id);
          }}
          aria-label={`Delete ${name}`}
        >
          Delete
        </button>
      )}
    </fieldset>
  );
}
