import { useEffect, useRef } from 'react';
import type { Clip } from '../../engine/protocol';
import { frameOf } from '../../state/clips';

interface Props {
  clip: Clip;
  frame: number;
  /** Whole-number display scale; the canvas keeps the clip's own pixels and CSS enlarges them crisply. */
  scale: number;
  label: string;
}

/** One frame of a clip on a canvas at its native size, shown `scale` times larger with pixelated scaling. */
export function ClipCanvas({ clip, frame, scale, label }: Props) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const t = ((frame % clip.frameCount) + clip.frameCount) % clip.frameCount;
    ctx.putImageData(new ImageData(new Uint8ClampedArray(frameOf(clip, t)), clip.width, clip.height), 0, 0);
  }, [clip, frame]);
  return (
    <canvas
      ref={ref}
      className="clip-canvas"
      width={clip.width}
      height={clip.height}
      style={{ width: clip.width * scale, height: clip.height * scale }}
      role="img"
      aria-label={label}
    />
  );
}
