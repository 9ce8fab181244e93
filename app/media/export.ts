/**
 * Encodes a clip as a file people can share: MP4 (H.264, fast-start) through WebCodecs and
 * mediabunny, or WebM (VP9) where this browser cannot encode H.264. Timestamps are exact
 * multiples of 1/fps, so players and ffprobe see the clip's own frame rate.
 */
import {
  BufferTarget,
  canEncodeVideo,
  Mp4OutputFormat,
  Output,
  QUALITY_VERY_HIGH,
  VideoSample,
  VideoSampleSource,
  WebMOutputFormat,
} from 'mediabunny';
import type { Clip } from '../engine/protocol';
import { exportFileName, exportSize, upscaleFrame } from './export-rules';

export interface ExportedFile {
  blob: Blob;
  fileName: string;
  container: 'mp4' | 'webm';
  codec: 'avc' | 'vp9';
  width: number;
  height: number;
}

export interface ExportOptions {
  prompt: string;
  seed: number;
  /** Integer upscale; 1 keeps the model's pixels. */
  scale: number;
  /** The user chose WebM: skip H.264 even where it is available. */
  forceWebm?: boolean;
}

export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

/** Which container and codec this browser can write at this size. */
export async function chooseFormat(
  width: number,
  height: number,
  forceWebm = false,
): Promise<{ container: 'mp4' | 'webm'; codec: 'avc' | 'vp9' }> {
  if (!globalThis.VideoEncoder)
    throw new ExportError('This browser has no WebCodecs VideoEncoder, so it cannot export video. Use Chrome or Edge.');
  if (!forceWebm && (await canEncodeVideo('avc', { width, height, quality: QUALITY_VERY_HIGH })))
    return { container: 'mp4', codec: 'avc' };
  if (await canEncodeVideo('vp9', { width, height, quality: QUALITY_VERY_HIGH }))
    return { container: 'webm', codec: 'vp9' };
  throw new ExportError(`This browser can encode neither H.264 nor VP9 at ${width}×${height}.`);
}

export async function exportClip(clip: Clip, options: ExportOptions): Promise<ExportedFile> {
  const { width, height } = exportSize(clip.width, clip.height, options.scale);
  const { container, codec } = await chooseFormat(width, height, options.forceWebm);
  const target = new BufferTarget();
  const output = new Output({
    // fastStart 'in-memory': the moov index goes first, so the file plays while it downloads.
    format: container === 'mp4' ? new Mp4OutputFormat({ fastStart: 'in-memory' }) : new WebMOutputFormat(),
    target,
  });
  // Short clips: every frame a key frame would bloat little, but one per second seeks well enough.
  const source = new VideoSampleSource({ codec, quality: QUALITY_VERY_HIGH, keyFrameInterval: 1 });
  output.addVideoTrack(source, { frameRate: clip.fps });
  await output.start();
  const frameBytes = clip.width * clip.height * 4;
  try {
    for (let t = 0; t < clip.frameCount; t++) {
      const src = clip.frames.subarray(t * frameBytes, (t + 1) * frameBytes);
      const pixels = upscaleFrame(src, clip.width, clip.height, options.scale, width, height);
      const sample = new VideoSample(pixels, {
        format: 'RGBA',
        codedWidth: width,
        codedHeight: height,
        timestamp: t / clip.fps,
        duration: 1 / clip.fps,
      });
      try {
        await source.add(sample);
      } finally {
        sample.close();
      }
    }
    await output.finalize();
  } catch (e) {
    await output.cancel().catch(() => undefined);
    throw new ExportError(`Encoding the clip failed: ${(e as Error).message}`);
  }
  if (!target.buffer) throw new ExportError('The encoder produced no file.');
  const mime = container === 'mp4' ? 'video/mp4' : 'video/webm';
  return {
    blob: new Blob([target.buffer], { type: mime }),
    fileName: exportFileName(options.prompt, options.seed, container),
    container,
    codec,
    width,
    height,
  };
}

/** Hands a blob to the browser's download machinery under a file name. */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has its own reference by now; a minute is generous for slow disks.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
