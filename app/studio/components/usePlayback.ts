import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * A looping playback clock in seconds, driven by requestAnimationFrame. Several canvases reading
 * the same clock play in sync; scrubbing pauses it. The clock only ticks (re-renders) when it
 * crosses a frame boundary at `tickFps`, not on every animation frame.
 */
export function usePlayback(
  durationS: number,
  tickFps: number,
): {
  time: number;
  playing: boolean;
  setPlaying(p: boolean): void;
  seek(t: number): void;
} {
  const [time, setTime] = useState(0);
  const [playing, setPlaying] = useState(true);
  const origin = useRef(0);
  const timeRef = useRef(0);
  timeRef.current = time;

  useEffect(() => {
    if (!playing || !(durationS > 0)) return;
    // Continue from where the clock stands.
    origin.current = performance.now() - timeRef.current * 1000;
    let raf = 0;
    const tick = (now: number) => {
      const t = ((now - origin.current) / 1000) % durationS;
      const snapped = Math.floor(t * tickFps + 1e-6) / tickFps;
      setTime((old) => (old === snapped ? old : snapped));
      raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(raf);
  }, [playing, durationS, tickFps]);

  const seek = useCallback((t: number) => {
    setPlaying(false);
    setTime(t);
  }, []);
  return { time, playing, setPlaying, seek };
}

/** The frame shown at `time` for a clip of `frameCount` frames at `fps`. */
export const frameAt = (time: number, fps: number, frameCount: number): number =>
  Math.min(frameCount - 1, Math.floor(time * fps + 1e-6)) % frameCount;
