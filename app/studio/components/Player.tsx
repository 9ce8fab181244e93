import { useRef } from 'react';
import type { Clip } from '../../engine/protocol';
import { integerFit, useElementSize } from '../hooks';
import { ClipCanvas } from './ClipCanvas';
import { frameAt, usePlayback } from './usePlayback';

interface Props {
  clip: Clip;
  label: string;
  /** Largest display scale; small models look best at 4x-6x. */
  maxScale?: number;
}

/** Looping playback at the clip's fps with play/pause, a frame scrubber and crisp integer scaling. */
export function Player({ clip, label, maxScale = 8 }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const size = useElementSize(box);
  const scale = integerFit(clip.width, clip.height, size, maxScale);
  const duration = clip.frameCount / clip.fps;
  const { time, playing, setPlaying, seek } = usePlayback(duration, clip.fps);
  const frame = frameAt(time, clip.fps, clip.frameCount);
  return (
    <figure className="player">
      <div className="player-screen" ref={box}>
        <ClipCanvas clip={clip} frame={frame} scale={scale} label={label} />
      </div>
      <figcaption className="player-controls">
        <button
          type="button"
          className="icon-button"
          onClick={() => setPlaying(!playing)}
          aria-label={playing ? 'Pause' : 'Play'}
          title={playing ? 'Pause' : 'Play'}
        >
          {playing ? '❚❚' : '▶'}
        </button>
        <input
          type="range"
          className="scrubber"
          min={0}
          max={clip.frameCount - 1}
          step={1}
          value={frame}
          onChange={(e) => seek(Number(e.target.value) / clip.fps)}
          aria-label="Frame"
          aria-valuetext={`frame ${frame + 1} of ${clip.frameCount}`}
        />
        <span className="frame-counter" aria-hidden="true">
          {frame + 1}/{clip.frameCount}
        </span>
        <span className="muted small" title="Display scale: whole multiples keep pixels sharp">
          {clip.width}×{clip.height} · {clip.fps} fps · {scale}×
        </span>
      </figcaption>
    </figure>
  );
}
