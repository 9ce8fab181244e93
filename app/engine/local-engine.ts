/**
 * LocalEngine: the engine in the current thread (the worker hosts one; tests and benchmarks use it
 * directly). Load builds one ORT session per graph on the planned backend, takes ORT's GPUDevice
 * and compiles our kernels on it; generate/score/extractMotion run the pipelines in pipeline/.
 */
import { configureRuntime, createSession, ortDevice, type RuntimeOptions } from './backend/ort';
import { cancelledError, deviceLostError, EngineError } from './errors';
import { probeGpu } from './gpu/probe';
import { KernelSet } from './kernels/index';
import { openPackage } from './loader/package';
import type { FileRef, GraphRole } from './manifest/schema';
import { CancelToken, generate, type ReferenceMotion } from './pipeline/generate';
import type { Ops } from './pipeline/ops';
import { CpuOps } from './pipeline/ops-cpu';
import { GpuOps, guardMemory } from './pipeline/ops-gpu';
import { extractMotion } from './pipeline/reference';
import { checkGenerateRequest } from './pipeline/request';
import { planFiles, requireFit } from './pipeline/requirements';
import type { ModelRuntime } from './pipeline/runtime';
import { scoreClip } from './pipeline/score';
import { planLoad } from './pipeline/variants';
import type {
  CallOptions,
  Engine,
  ExtractMotionRequest,
  ExtractMotionResult,
  GenerateRequest,
  GenerateResult,
  LoadRequest,
  LoadResult,
  ScoreRequest,
  ScoreResult,
  TestingHooks,
} from './protocol';
import { lcmSchedule } from './scheduler/lcm';
import { createTokenizer } from './tokenizer/index';

/** Reference motions kept at once (each holds a few MB of attention maps). */
const MAX_REFERENCES = 4;

interface Loaded {
  runtime: ModelRuntime;
  gpu?: { device: GPUDevice; kernels: KernelSet };
}

export class LocalEngine implements Engine {
  private loaded?: Loaded;
  private lost?: string;
  private readonly references = new Map<string, ReferenceMotion>();
  private readonly running = new Set<CancelToken>();
  private nextReference = 1;
  /** Test hook (see TestingHooks): a pause before each denoising step. */
  private stepDelayMs = 0;

  constructor(private readonly runtimeOptions: RuntimeOptions = {}) {}

  async load(request: LoadRequest, options: CallOptions = {}): Promise<LoadResult> {
    const token = this.begin(options.signal);
    const t0 = performance.now();
    const timings: Record<string, number> = {};
    const progress = options.onProgress;
    const sessions: ModelRuntime['sessions'] = {}; // released here if the load fails part-way
    try {
      await this.unload();
      configureRuntime(this.runtimeOptions);
      const caps = await probeGpu();
      const pkg = await openPackage(request.source, { signal: options.signal });
      const manifest = pkg.manifest;
      const plan = planLoad(manifest, request.backend, request.precision ?? 'auto', caps);
      // Before any weights are fetched: a device that cannot run the package is told what it lacks.
      requireFit(manifest, plan, caps);

      // Graph by graph: fetch and verify its files (progress by bytes, each shared shard counted
      // once), build its session, drop the bytes. At most one graph's weights are in memory, each
      // file in its own buffer (a shard is <= 256 MB), never the whole package.
      const total = planFiles(manifest, plan).reduce((a, f) => a + f.bytes, 0);
      let done = 0;
      const counted = new Set<string>();
      const read = async (ref: FileRef) => {
        const first = !counted.has(ref.path);
        counted.add(ref.path);
        const data = await pkg.read(ref, {
          signal: options.signal,
          onProgress: (loaded) =>
            first &&
            progress?.({
              stage: 'download',
              done: done + loaded,
              total,
              file: ref.path,
              elapsedMs: performance.now() - t0,
            }),
        });
        if (first) done += ref.bytes;
        return data;
      };
      const vocab = new TextDecoder().decode(await read(manifest.text.tokenizer.vocab));
      const tokenizer = createTokenizer(manifest.text.tokenizer, vocab);
      for (const [role, g] of Object.entries(plan.graphs) as [
        GraphRole,
        NonNullable<(typeof plan.graphs)[GraphRole]>,
      ][]) {
        const model = await read(g.variant.file);
        const externalData = [];
        for (const e of g.variant.external_data) externalData.push({ path: e.path, data: await read(e) });
        token.check();
        const t = performance.now();
        progress?.({ stage: 'compile', file: g.variant.file.path, elapsedMs: t - t0 });
        const gpuOutputs = g.backend === 'webgpu' ? manifest.graphs[role]?.outputs.map((o) => o.name) : undefined;
        sessions[role] = await createSession({ name: role, model, externalData, backend: g.backend, gpuOutputs });
        timings.sessions = (timings.sessions ?? 0) + performance.now() - t;
        token.check();
      }
      timings.fetch = performance.now() - t0 - timings.sessions;

      let gpu: Loaded['gpu'];
      if (plan.backend === 'webgpu') {
        const device = await ortDevice();
        const kernels = await KernelSet.create(device);
        this.lost = undefined;
        device.lost.then((info) => {
          this.lost = info.message || info.reason || 'unknown reason';
        });
        gpu = { device, kernels };
      }
      const runtime: ModelRuntime = { manifest, plan, schedule: lcmSchedule(manifest), tokenizer, sessions };
      this.loaded = { runtime, gpu };

      // Warm-up behind the loading indicator: compiles every shader of the sampling path once.
      const t = performance.now();
      progress?.({ stage: 'warmup', elapsedMs: t - t0 });
      await this.runGenerate(
        {
          prompt: 'warm up',
          steps: 1,
          guidance: manifest.sampler.guidance.default,
          motion: manifest.sampler.motion.default,
          seed: 0,
        },
        token,
      );
      timings.warmup = performance.now() - t;
      timings.total = performance.now() - t0;
      return {
        manifest,
        backend: plan.backend,
        precision: plan.precision,
        reason: plan.reason,
        timings,
        uncachedFiles: [...pkg.uncached],
      };
    } catch (e) {
      if (this.loaded?.runtime.sessions !== sessions)
        await Promise.all(Object.values(sessions).map((s) => s?.release().catch(() => undefined)));
      if (!(e instanceof EngineError && e.kind === 'cancelled') && options.signal?.aborted) throw cancelledError();
      await this.unload();
      throw e;
    } finally {
      this.running.delete(token);
    }
  }

  async generate(request: GenerateRequest, options: CallOptions = {}): Promise<GenerateResult> {
    const token = this.begin(options.signal);
    try {
      const loaded = this.ready();
      checkGenerateRequest(request, loaded.runtime.manifest);
      return await this.runGenerate(request, token, options);
    } finally {
      this.running.delete(token);
    }
  }

  private async runGenerate(
    request: GenerateRequest,
    token: CancelToken,
    options: CallOptions = {},
  ): Promise<GenerateResult> {
    const loaded = this.ready();
    const { runtime } = loaded;
    const reference = request.reference ? this.references.get(request.reference.referenceId) : undefined;
    if (request.reference && !reference) {
      throw new EngineError(
        'bad-input',
        'The reference video is no longer loaded; add it again in the reference panel.',
        {
          referenceId: request.reference.referenceId,
        },
      );
    }
    const ops = this.ops(loaded);
    try {
      const work = () =>
        generate(runtime, ops, request, reference, {
          onProgress: options.onProgress,
          checkCancelled: async () => {
            if (this.stepDelayMs > 0) await new Promise((r) => setTimeout(r, this.stepDelayMs));
            token.check();
            this.checkDevice();
          },
        });
      const out = loaded.gpu ? await guardMemory(loaded.gpu.device, 'generation', work) : await work();
      this.checkDevice();
      const { video } = runtime.manifest;
      return {
        frames: out.frames,
        frameCount: video.frames,
        width: video.width,
        height: video.height,
        fps: request.fps ?? video.fps,
        seed: request.seed,
        tokens: out.tokens,
        timings: out.timings,
        readbacks: ops.readbacks,
        backend: runtime.plan.backend,
      };
    } catch (e) {
      this.checkDevice();
      throw e;
    } finally {
      ops.release();
    }
  }

  async score(request: ScoreRequest, options: CallOptions = {}): Promise<ScoreResult> {
    const token = this.begin(options.signal);
    const loaded = this.ready();
    const ops = this.ops(loaded);
    try {
      const timings: Record<string, number> = {};
      const t0 = performance.now();
      options.onProgress?.({ stage: 'score', elapsedMs: 0 });
      const scores = await scoreClip(loaded.runtime, ops, request.prompt, request.clip, timings);
      token.check();
      timings.total = performance.now() - t0;
      return { scores, timings };
    } finally {
      ops.release();
      this.running.delete(token);
    }
  }

  async extractMotion(request: ExtractMotionRequest, options: CallOptions = {}): Promise<ExtractMotionResult> {
    const token = this.begin(options.signal);
    const loaded = this.ready();
    const ops = this.ops(loaded); // kept with the reference until it is evicted
    try {
      const t0 = performance.now();
      options.onProgress?.({ stage: 'extract', elapsedMs: 0 });
      const id = `ref-${this.nextReference++}`;
      const { reference, motionMap } = await extractMotion(loaded.runtime, ops, request.clip, request.seed ?? 0, id);
      token.check();
      this.references.set(id, reference);
      while (this.references.size > MAX_REFERENCES) {
        const [oldest] = this.references.keys();
        this.references.get(oldest)?.ops.release();
        this.references.delete(oldest);
      }
      return { referenceId: id, motionMap, timings: { total: performance.now() - t0 } };
    } catch (e) {
      ops.release();
      throw e;
    } finally {
      this.running.delete(token);
    }
  }

  cancel(): void {
    for (const token of this.running) token.cancel();
  }

  async dispose(): Promise<void> {
    this.cancel();
    await this.unload();
  }

  /** Test hook: destroys ORT's device, exactly what a driver reset or GPU OOM does to it. */
  loseDeviceForTesting(): void {
    this.loaded?.gpu?.device.destroy();
  }

  /** Test hooks, reached through the worker's `testing` request in test builds (protocol.ts). */
  applyTestingHooks(hooks: TestingHooks): void {
    if (hooks.stepDelayMs !== undefined) this.stepDelayMs = Math.max(0, hooks.stepDelayMs);
    if (hooks.loseDevice) this.loseDeviceForTesting();
  }

  private begin(signal?: AbortSignal): CancelToken {
    const token = new CancelToken(signal);
    this.running.add(token);
    return token;
  }

  private ready(): Loaded {
    this.checkDevice();
    if (!this.loaded) throw new EngineError('not-loaded', 'No model is loaded yet. Load a model package first.');
    return this.loaded;
  }

  private checkDevice(): void {
    if (this.lost !== undefined) throw deviceLostError(this.lost);
  }

  private ops(loaded: Loaded): Ops {
    return loaded.gpu ? new GpuOps(loaded.gpu.device, loaded.gpu.kernels) : new CpuOps();
  }

  private async unload(): Promise<void> {
    for (const r of this.references.values()) r.ops.release();
    this.references.clear();
    const sessions = Object.values(this.loaded?.runtime.sessions ?? {});
    this.loaded = undefined;
    await Promise.all(sessions.map((s) => s?.release().catch(() => undefined)));
  }
}
