/**
 * Reads a motion-reference video with mediabunny + WebCodecs. `openReference` checks the file
 * from cheapest to dearest (size, magic bytes, container, track, codec, duration, resolution,
 * frame count) without decoding a frame; `decodeWindow` then decodes only the frames the model needs.
 */
import { ALL_FORMATS, BlobSource, Input, type InputVideoTrack, VideoSampleSink } from 'mediabunny';
import type { Clip } from '../engine/protocol';
import {
  checkDurationAndSize,
  checkFileSize,
  checkFrameCount,
  looksLikeVideoContainer,
  type ReferenceInfo,
  ReferenceVideoError,
  sampleTimes,
} from './reference-limits';

/** Decoded frames are shrunk to this long side: the engine crops and resizes to a few dozen pixels anyway. */
export const REFERENCE_DECODE_SIDE = 256;

const CODEC_NAMES: Record<string, string> = {
  avc: 'H.264',
  hevc: 'H.265/HEVC',
  vp8: 'VP8',
  vp9: 'VP9',
  av1: 'AV1',
  prores: 'Apple ProRes',
};

export interface OpenReference {
  info: ReferenceInfo;
  /** Decodes `frames` frames spread over the window, as RGBA8 at most REFERENCE_DECODE_SIDE on the long side. */
  decodeWindow(window: { start: number; end: number }, frames: number): Promise<Clip>;
  dispose(): void;
}

export async function openReference(file: Blob, modelFrames: number): Promise<OpenReference> {
  checkFileSize(file.size);
  const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  const container = looksLikeVideoContainer(head);
  const input = new Input({ source: new BlobSource(file), formats: ALL_FORMATS });
  const unreadable = () =>
    container
      ? new ReferenceVideoError(
          'corrupt',
          'This video file is damaged or truncated: its header could not be read. Export or download it again.',
        )
      : new ReferenceVideoError(
          'not-video',
          'This is not a video file the browser can read. Choose an MP4, WebM or MOV video.',
        );
  try {
    let track: InputVideoTrack | null;
    try {
      if (!(await input.canRead())) throw unreadable();
      track = await input.getPrimaryVideoTrack();
    } catch (e) {
      throw e instanceof ReferenceVideoError ? e : unreadable();
    }
    if (!track) {
      // A container with no tracks at all lost its index (an MP4 cut before its moov box): damaged.
      const tracks = await input.getTracks().catch(() => []);
      if (tracks.length === 0) throw unreadable();
      throw new ReferenceVideoError(
        'no-video-track',
        'This file has no video track (it may be audio only). Choose a video.',
      );
    }

    const codec = await readCodecName(track);
    if (!(await track.canDecode()))
      throw new ReferenceVideoError(
        'undecodable',
        `This video uses the ${codec} codec, which this browser cannot decode. Re-encode it as H.264 (MP4) or VP9 (WebM).`,
      );

    let info: ReferenceInfo;
    try {
      const durationS = (await track.getDurationFromMetadata()) ?? (await track.computeDuration());
      const width = await track.getDisplayWidth();
      const height = await track.getDisplayHeight();
      checkDurationAndSize({ durationS, width, height });
      const stats = await track.computePacketStats();
      const formatName = (await input.getFormat()).name;
      info = {
        container: formatName,
        codec,
        width,
        height,
        durationS,
        fps: stats.averagePacketRate,
        frameCount: stats.packetCount,
      };
    } catch (e) {
      throw e instanceof ReferenceVideoError ? e : unreadable();
    }
    checkFrameCount(info.frameCount, modelFrames);

    const firstTimestamp = await track.getFirstTimestamp().catch(() => 0);
    return {
      info,
      decodeWindow: (window, frames) => decodeFrames(track, window, frames, firstTimestamp, info),
      dispose: () => input.dispose(),
    };
  } catch (e) {
    input.dispose();
    throw e;
  }
}

async function readCodecName(track: InputVideoTrack): Promise<string> {
  const codec = await track.getCodec().catch(() => null);
  if (codec) return CODEC_NAMES[codec] ?? codec;
  const internal = await track.getInternalCodecId().catch(() => null);
  return typeof internal === 'string' || typeof internal === 'number' ? `"${String(internal).trim()}"` : 'unknown';
}

async function decodeFrames(
  track: InputVideoTrack,
  window: { start: number; end: number },
  frames: number,
  firstTimestamp: number,
  info: ReferenceInfo,
): Promise<Clip> {
  const scale = Math.min(1, REFERENCE_DECODE_SIDE / Math.max(info.width, info.height));
  const width = Math.max(1, Math.round(info.width * scale));
  const height = Math.max(1, Math.round(info.height * scale));
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2D canvas context for decoding');
  const out = new Uint8ClampedArray(frames * width * height * 4);
  const times = sampleTimes(window, frames).map((t) => t + firstTimestamp);
  const sink = new VideoSampleSink(track);
  let i = 0;
  try {
    for await (const sample of sink.samplesAtTimestamps(times)) {
      if (!sample) throw new Error(`no frame at ${times[i].toFixed(2)} s`);
      try {
        ctx.clearRect(0, 0, width, height);
        sample.draw(ctx, 0, 0, width, height);
      } finally {
        sample.close();
      }
      out.set(ctx.getImageData(0, 0, width, height).data, i * width * height * 4);
      i++;
    }
  } catch (e) {
    const at = times[Math.min(i, times.length - 1)] ?? 0;
    throw new ReferenceVideoError(
      'corrupt',
      `The video could not be decoded at ${at.toFixed(1)} s: the file is truncated or damaged (${(e as Error).message}). Export or download it again.`,
    );
  }
  if (i < frames)
    throw new ReferenceVideoError(
      'corrupt',
      `The video ended after ${i} of ${frames} frames: the file is truncated or damaged. Export or download it again.`,
    );
  const span = Math.max(1e-6, window.end - window.start);
  return { frames: out, frameCount: frames, width, height, fps: frames / span };
}
