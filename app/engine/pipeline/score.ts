/**
 * Scores a clip: every reward model of the package (pre-processed as its manifest entry says) plus
 * the video metrics computed by our own kernels. Scoring runs after generation, so its few small
 * readbacks do not touch the sampling loop.
 */
import { badInputError } from '../errors';
import { stridedFrameIndices } from '../kernels/resize_crop_normalize';
import { VIDEO_METRIC_INFO } from '../kernels/video_metrics';
import type { Clip, Score } from '../protocol';
import type { Feed, Ops } from './ops';
import { encodeText, type ModelRuntime, session } from './runtime';

export async function scoreClip(
  rt: ModelRuntime,
  ops: Ops,
  prompt: string,
  clip: Clip,
  timings: Record<string, number>,
): Promise<Score[]> {
  if (clip.frames.length !== clip.frameCount * clip.height * clip.width * 4 || clip.frameCount < 2) {
    throw badInputError('Clip', 'needs at least 2 frames of RGBA data matching its stated size.');
  }
  const frames = ops.framesFromHost(clip.frames, { frames: clip.frameCount, height: clip.height, width: clip.width });
  const scores: Score[] = [];
  const text = prompt.trim() ? await encodeText(rt, ops, prompt) : undefined;

  for (const reward of rt.manifest.rewards) {
    const t0 = performance.now();
    const graph = rt.manifest.graphs[reward.graph];
    const needsText = graph?.inputs.some((i) => i.name === 'context') ?? false;
    if (needsText && !text) continue; // alignment needs a prompt
    const { kind, frames: n, height, width, mean, std } = reward.input;
    const dims = kind === 'frames' ? [n, 3, height, width] : [1, 3, n, height, width];
    const pixels = ops.alloc(dims, `${reward.id}.pixels`);
    ops.resizeCropNormalize(
      frames,
      {
        height,
        width,
        frameIndices: stridedFrameIndices(clip.frameCount, n),
        mean: mean as [number, number, number],
        std: std as [number, number, number],
        layout: kind === 'frames' ? 'frames' : 'video',
      },
      pixels,
    );
    const out = ops.alloc([kind === 'frames' ? n : 1], `${reward.id}.score`);
    const feeds: Record<string, Feed> = { pixels };
    if (needsText && text) Object.assign(feeds, { context: text.context, mask: text.mask });
    await ops.run(session(rt, reward.graph), reward.graph, feeds, { score: out });
    const values = await ops.read(out);
    const value = values.reduce((a, b) => a + b, 0) / values.length;
    scores.push({
      id: reward.id,
      label: reward.label,
      description: reward.description,
      value,
      higherIsBetter: reward.higher_is_better,
      kind: 'reward',
    });
    timings[`reward.${reward.id}`] = performance.now() - t0;
  }

  const t0 = performance.now();
  const metrics = await ops.videoMetrics(frames);
  timings.metrics = performance.now() - t0;
  for (const id of ['motion', 'flicker', 'consistency'] as const) {
    scores.push({
      id,
      label: VIDEO_METRIC_INFO[id].label,
      description: VIDEO_METRIC_INFO[id].explanation,
      value: metrics[id],
      // Dynamic degree and consistency count up, as in VBench; flicker counts down.
      higherIsBetter: id !== 'flicker',
      kind: 'metric',
    });
  }
  return scores;
}
