/**
 * Benchmark page (built only with `--mode test`, driven by scripts/bench.mjs): the engine and the
 * plain onnxruntime-web loop side by side in one page, plus single-graph timings for the cost
 * curves. Everything returns plain JSON; times are milliseconds from performance.now().
 *
 * `instrument` is imported first so that its hooks see onnxruntime's own buffers and wasm memory.
 */

import {
  configureRuntime,
  cpuTensor,
  createSession,
  type OrtSession,
  ortDevice,
  runSession,
  wasmThreads,
} from '../../app/engine/backend/ort';
import { EngineError } from '../../app/engine/errors';
import { probeGpu } from '../../app/engine/gpu/probe';
import { LocalEngine } from '../../app/engine/local-engine';
import type { BackendName, Clip, GenerateRequest } from '../../app/engine/protocol';
import { byteDiff } from '../fixtures/byte-diff';
import { captureExperiment, unetCaptureExperiment } from './graph-capture';
import { counters, resetPeak, since, snapshot, userAgentMemory, wasmBytes } from './instrument';
import { PlainLoop } from './plain-loop';

type Loop = 'engine' | 'plain';

let engine: LocalEngine | undefined;
let plain: PlainLoop | undefined;
const lastFrames: Partial<Record<Loop, Uint8ClampedArray>> = {};

// ── Model-run profiler ──────────────────────────────────────────────────────────────────────────
// Wraps InferenceSession.run for every session in the page. While a profile is being taken, each run
// also waits for the GPU queue to drain, so its time is the network's compute, not its submission.

interface RunRecord {
  role: string;
  ms: number;
}

let records: RunRecord[] | undefined;
let syncDevice: GPUDevice | undefined;
const patched = new WeakSet<object>();

/** The graph's role from its input names (the manifest's contract, docs/MODEL_FORMAT.md). */
function roleOf(session: OrtSession): string {
  const inputs = session.inputNames;
  if (inputs.includes('input_ids')) return 'text_encoder';
  if (inputs.includes('ref_attn_0')) return 'motion_grad';
  if (inputs.includes('sample')) return 'unet';
  if (inputs.includes('latent')) return 'vae_decoder';
  if (inputs.includes('video')) return 'vae_encoder';
  if (inputs.includes('pixels')) return 'reward';
  return inputs.join('+');
}

function installProfiler(session: OrtSession): void {
  const proto = Object.getPrototypeOf(session) as { run: OrtSession['run'] };
  if (patched.has(proto)) return;
  patched.add(proto);
  const run = proto.run;
  proto.run = async function (this: OrtSession, ...args: Parameters<OrtSession['run']>) {
    if (!records) return run.apply(this, args);
    const t0 = performance.now();
    const out = await run.apply(this, args);
    if (syncDevice) await syncDevice.queue.onSubmittedWorkDone();
    records.push({ role: roleOf(this), ms: performance.now() - t0 });
    return out;
  } as OrtSession['run'];
}

// ── Helpers ─────────────────────────────────────────────────────────────────────────────────────

async function settle<T>(work: Promise<T>): Promise<T | { error: { kind: string; message: string } }> {
  try {
    return await work;
  } catch (e) {
    if (e instanceof EngineError) return { error: { kind: e.kind, message: e.message } };
    return { error: { kind: 'unexpected', message: e instanceof Error ? `${e.message}\n${e.stack}` : String(e) } };
  }
}

function requireEngine(): LocalEngine {
  if (!engine) throw new Error('load the engine first');
  return engine;
}

function requirePlain(): PlainLoop {
  if (!plain) throw new Error('load the plain loop first');
  return plain;
}

/** The loaded model's clip geometry (from whichever loop was loaded last). */
let manifestSeen: PlainLoop['manifest'] | undefined;
function geometry(): { frames: number; height: number; width: number; fps: number } {
  if (!manifestSeen) throw new Error('load a loop first');
  const { frames, height, width, fps } = manifestSeen.video;
  return { frames, height, width, fps };
}

/** A bright square sliding right: a reference clip with unmistakable motion, at the model's geometry. */
function slidingSquare(frames: number, height: number, width: number, fps: number): Clip {
  const data = new Uint8ClampedArray(frames * height * width * 4);
  for (let t = 0; t < frames; t++) {
    const x0 = Math.round((t / Math.max(1, frames - 1)) * width * 0.6);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const on = x >= x0 && x < x0 + width * 0.3 && y >= height * 0.35 && y < height * 0.65;
        data.set(on ? [250, 220, 40, 255] : [20, 30, 60, 255], ((t * height + y) * width + x) * 4);
      }
    }
  }
  return { frames: data, frameCount: frames, width, height, fps };
}

function randomFill(n: number, seed: number): Float32Array {
  // A small LCG: reproducible inputs without pulling in the noise kernel.
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

interface GraphInput {
  name: string;
  dims: number[];
}

// ── The page's API ──────────────────────────────────────────────────────────────────────────────

const bench = {
  async info() {
    configureRuntime();
    const caps = await probeGpu();
    return {
      userAgent: navigator.userAgent,
      hardwareConcurrency: navigator.hardwareConcurrency,
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      wasmThreads: wasmThreads(),
      gpu: caps,
    };
  },

  loadEngine(baseUrl: string, backend: BackendName) {
    return settle(
      (async () => {
        await engine?.dispose();
        engine = new LocalEngine();
        // Per graph: from its 'compile' event to the next stage's event = its session creation (plus
        // reading the next graph's files, which come from the local server or Cache Storage).
        const marks: { stage: string; file?: string; at: number }[] = [];
        const r = await engine.load(
          { source: { kind: 'url', baseUrl }, backend },
          {
            onProgress: (p) => {
              if (p.stage === 'compile' || p.stage === 'warmup')
                marks.push({ stage: p.stage, file: p.file, at: p.elapsedMs });
            },
          },
        );
        const sessions = marks.slice(0, -1).map((m, i) => ({ file: m.file ?? '?', ms: marks[i + 1].at - m.at }));
        manifestSeen = r.manifest;
        if (backend === 'webgpu') syncDevice = await ortDevice();
        return {
          backend: r.backend,
          precision: r.precision,
          reason: r.reason,
          timings: r.timings,
          sessions,
          gpuLive: counters.gpuLive,
          wasmBytes: wasmBytes(),
        };
      })(),
    );
  },

  loadPlain(baseUrl: string, backend: BackendName) {
    return settle(
      (async () => {
        await plain?.release();
        configureRuntime();
        const t0 = performance.now();
        plain = await PlainLoop.load(baseUrl, backend);
        manifestSeen = plain.manifest;
        installProfiler(plain.sessions.unet);
        if (backend === 'webgpu') syncDevice = await ortDevice();
        return {
          backend: plain.backend,
          ms: performance.now() - t0,
          gpuLive: counters.gpuLive,
          wasmBytes: wasmBytes(),
        };
      })(),
    );
  },

  /** One generation through the loop, timed from outside, with its transfers and peak GPU memory. */
  generate(loop: Loop, request: GenerateRequest) {
    return settle(
      (async () => {
        const before = snapshot();
        resetPeak();
        const t0 = performance.now();
        let frames: Uint8ClampedArray;
        let timings: Record<string, number>;
        let engineReadbacks: number | undefined;
        if (loop === 'engine') {
          const r = await requireEngine().generate(request);
          frames = r.frames;
          timings = r.timings;
          engineReadbacks = r.readbacks;
        } else {
          const r = await requirePlain().generate(request);
          frames = r.frames;
          timings = r.timings;
        }
        const e2e = performance.now() - t0;
        lastFrames[loop] = frames;
        return {
          e2e,
          timings,
          engineReadbacks,
          ...since(before),
          gpuPeak: counters.gpuPeak,
          gpuLive: counters.gpuLive,
          wasmBytes: wasmBytes(),
        };
      })(),
    );
  },

  /**
   * One engine generation with every network run timed to completion (the GPU queue drained after
   * each): the sum of the model runs, per graph. Slower than an unprofiled run on WebGPU.
   */
  profile(request: GenerateRequest) {
    return settle(
      (async () => {
        if (!plain) throw new Error('load the plain loop first: its sessions carry the profiler');
        records = [];
        const t0 = performance.now();
        try {
          const r = await requireEngine().generate(request);
          return { e2e: performance.now() - t0, timings: r.timings, runs: records };
        } finally {
          records = undefined;
        }
      })(),
    );
  },

  framesDiff(a: Loop, b: Loop) {
    const x = lastFrames[a];
    const y = lastFrames[b];
    if (!x || !y) throw new Error('generate with both loops first');
    return byteDiff(x, y);
  },

  /** The last frames of a loop as base64 RGBA (for the comparison with the native sampler). */
  framesBase64(loop: Loop): string {
    const f = lastFrames[loop];
    if (!f) throw new Error(`no frames from ${loop} yet`);
    let s = '';
    for (let i = 0; i < f.length; i += 0x8000) s += String.fromCharCode(...f.subarray(i, i + 0x8000));
    return btoa(s);
  },

  /** Rewards and metrics of the engine's last clip (engine.score), with per-reward times. */
  score(prompt: string) {
    return settle(
      (async () => {
        const frames = lastFrames.engine;
        if (!frames) throw new Error('generate with the engine first');
        const g = geometry();
        records = plain ? [] : undefined;
        try {
          const t0 = performance.now();
          const r = await requireEngine().score({
            prompt,
            clip: { frames, frameCount: g.frames, height: g.height, width: g.width, fps: g.fps },
          });
          return { e2e: performance.now() - t0, timings: r.timings, runs: records ?? [], scores: r.scores.length };
        } finally {
          records = undefined;
        }
      })(),
    );
  },

  /** Reference motion from a synthetic clip (extractMotion), then a guided generation (motion_grad). */
  reference(request: GenerateRequest, strength: number) {
    return settle(
      (async () => {
        const g = geometry();
        records = plain ? [] : undefined;
        try {
          const t0 = performance.now();
          const ref = await requireEngine().extractMotion({
            clip: slidingSquare(g.frames, g.height, g.width, g.fps),
            seed: 7,
          });
          const extract = performance.now() - t0;
          const extractRuns = records ?? [];
          records = plain ? [] : undefined;
          const t1 = performance.now();
          const guided = await requireEngine().generate({
            ...request,
            reference: { referenceId: ref.referenceId, strength },
          });
          return {
            extract,
            extractRuns,
            guidedE2e: performance.now() - t1,
            guidedTimings: guided.timings,
            guidedRuns: records ?? [],
          };
        } finally {
          records = undefined;
        }
      })(),
    );
  },

  /**
   * One graph (a UNet at another shape, or the matmul probe) timed alone: random inputs, one warm-up
   * run, then `reps` runs. On WebGPU the outputs stay on the GPU and each run waits for the queue.
   */
  runGraph(url: string, inputs: GraphInput[], outputs: string[], backend: BackendName, reps: number) {
    return settle(
      (async () => {
        configureRuntime();
        const model = new Uint8Array(await (await fetch(url)).arrayBuffer());
        const t0 = performance.now();
        const session = await createSession({
          name: url,
          model,
          backend,
          gpuOutputs: backend === 'webgpu' ? outputs : undefined,
        });
        const sessionMs = performance.now() - t0;
        const device = backend === 'webgpu' ? await ortDevice() : undefined;
        const feeds = Object.fromEntries(
          inputs.map((i, k) => [
            i.name,
            cpuTensor(
              randomFill(
                i.dims.reduce((a, b) => a * b, 1),
                k + 1,
              ),
              i.dims,
            ),
          ]),
        );
        const once = async () => {
          const t = performance.now();
          const out = await runSession(session, url, feeds, outputs);
          if (device) await device.queue.onSubmittedWorkDone();
          const ms = performance.now() - t;
          for (const o of Object.values(out)) o.dispose();
          return ms;
        };
        resetPeak();
        const warmup = await once();
        const times: number[] = [];
        for (let r = 0; r < reps; r++) times.push(await once());
        const result = { sessionMs, warmup, times, wasmBytes: wasmBytes(), gpuPeak: counters.gpuPeak };
        await session.release();
        return result;
      })(),
    );
  },

  /** The package's UNet on WebGPU with and without onnxruntime's graph capture (graph-capture.ts). */
  graphCapture(baseUrl: string, reps: number) {
    return settle(
      (async () => {
        configureRuntime();
        return unetCaptureExperiment(baseUrl, reps);
      })(),
    );
  },

  /** The same experiment on any graph file (e.g. the MatMul probe), random inputs. */
  graphCaptureFile(url: string, inputs: GraphInput[], outputs: GraphInput[], reps: number) {
    return settle(
      (async () => {
        configureRuntime();
        const model = new Uint8Array(await (await fetch(url)).arrayBuffer());
        const fill = (k: number) => Math.sin(k);
        return captureExperiment(
          model,
          [],
          inputs.map((i) => ({ ...i, fill })),
          outputs,
          reps,
        );
      })(),
    );
  },

  memory() {
    return { gpuLive: counters.gpuLive, gpuPeak: counters.gpuPeak, wasmBytes: wasmBytes() };
  },

  /** Whether performance.measureUserAgentSpecificMemory answers here, and what it says (once per run). */
  async userAgentMemory(timeoutMs: number) {
    const t0 = performance.now();
    const bytes = await userAgentMemory(timeoutMs);
    return { bytes: bytes ?? null, ms: performance.now() - t0 };
  },
};

declare global {
  interface Window {
    bench: typeof bench;
  }
}
window.bench = bench;
document.body.dataset.ready = 'true';
