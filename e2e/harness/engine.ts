/**
 * Test harness page (built only in `--mode test`): a LocalEngine in the page, plus a count of every
 * GPU buffer mapped for reading — ORT's own readbacks included — so the residency test can assert
 * that a generation reads back exactly once (the final frames).
 */

import { EngineError } from '../../app/engine/errors';
import { LocalEngine } from '../../app/engine/local-engine';
import type { BackendChoice, Clip, GenerateRequest } from '../../app/engine/protocol';

const mapped = { reads: 0 };
if (typeof GPUBuffer !== 'undefined') {
  const original = GPUBuffer.prototype.mapAsync;
  GPUBuffer.prototype.mapAsync = function (mode: GPUMapModeFlags, offset?: number, size?: number) {
    if (mode & GPUMapMode.READ) mapped.reads++;
    return original.call(this, mode, offset, size);
  };
}

const engine = new LocalEngine();

/** Engine errors cross page.evaluate as plain objects with their kind. */
async function settle<T>(work: Promise<T>): Promise<T | { error: { kind: string; message: string } }> {
  try {
    return await work;
  } catch (e) {
    if (e instanceof EngineError) return { error: { kind: e.kind, message: e.message } };
    return { error: { kind: 'unexpected', message: String(e) } };
  }
}

/** A synthetic reference clip: a bright square sliding right over a dark background. */
function slidingSquare(frames: number, size: number): Clip {
  const data = new Uint8ClampedArray(frames * size * size * 4);
  for (let t = 0; t < frames; t++) {
    const x0 = Math.round((t / Math.max(1, frames - 1)) * (size * 0.6));
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const on = x >= x0 && x < x0 + size * 0.3 && y >= size * 0.35 && y < size * 0.65;
        const i = ((t * size + y) * size + x) * 4;
        data.set(on ? [250, 220, 40, 255] : [20, 30, 60, 255], i);
      }
    }
  }
  return { frames: data, frameCount: frames, width: size, height: size, fps: 8 };
}

const harness = {
  engine,
  mapped,
  load(baseUrl: string, backend: BackendChoice) {
    return settle(
      engine
        .load({ source: { kind: 'url', baseUrl }, backend })
        .then((r) => ({ backend: r.backend, precision: r.precision, reason: r.reason, timings: r.timings })),
    );
  },
  extractMotion(frames = 16, size = 48) {
    return settle(
      engine.extractMotion({ clip: slidingSquare(frames, size), seed: 7 }).then((r) => ({
        referenceId: r.referenceId,
        mapFrames: r.motionMap.frameCount,
        mapBytes: Array.from(r.motionMap.frames.slice(0, 64)),
      })),
    );
  },
  /** Starts a generation and cancels it after `afterSteps` denoising steps have completed. */
  async cancelAfter(request: GenerateRequest, afterSteps: number) {
    let done = 0;
    const started = performance.now();
    let cancelledAt = 0;
    const outcome = await settle(
      engine.generate(request, {
        onProgress: (p) => {
          if (p.stage === 'denoise' && p.done !== undefined) {
            done = p.done;
            if (done === afterSteps) {
              cancelledAt = performance.now();
              engine.cancel();
            }
          }
        },
      }),
    );
    return { outcome, stepsDone: done, msAfterCancel: performance.now() - (cancelledAt || started) };
  },
  loseDevice() {
    engine.loseDeviceForTesting();
  },
  generate(request: GenerateRequest) {
    return settle(run(request));
  },
};

async function run(request: GenerateRequest) {
  {
    const before = mapped.reads;
    const r = await engine.generate(request);
    return {
      frames: Array.from(r.frames),
      frameCount: r.frameCount,
      width: r.width,
      height: r.height,
      readbacks: r.readbacks,
      mappedReads: mapped.reads - before,
      timings: r.timings,
      backend: r.backend,
    };
  }
}

declare global {
  interface Window {
    harness: typeof harness;
  }
}
window.harness = harness;
document.body.dataset.ready = 'true';
