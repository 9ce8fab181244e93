/**
 * WorkerEngine: the app's Engine, a proxy to engine.worker.ts. Calls become messages with ids;
 * an AbortSignal or `cancel()` sends a cancel request, which the worker's engine honours within
 * one denoising step. If the worker dies, every pending call fails with a typed error.
 *
 * Device loss: onnxruntime-web cannot rebuild its WebGPU backend in a realm whose device was lost,
 * so the proxy replaces the whole worker and reloads the last package there (from Cache Storage,
 * so no download); the failed call still rejects with 'device-lost' so the UI can offer a retry,
 * and the next call waits for the reload.
 */
import { cancelledError, EngineError, fromWire } from './errors';
import type {
  CallOptions,
  Engine,
  ExtractMotionRequest,
  ExtractMotionResult,
  GenerateRequest,
  GenerateResult,
  LoadRequest,
  LoadResult,
  Progress,
  RequestKind,
  ScoreRequest,
  ScoreResult,
  TestingHooks,
  WorkerRequest,
  WorkerResponse,
} from './protocol';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: EngineError) => void;
  onProgress?: (p: Progress) => void;
}

const spawnEngineWorker = () =>
  new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'engine' });

export class WorkerEngine implements Engine {
  private worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private lastLoad?: LoadRequest;
  private recovering?: Promise<unknown>;

  constructor(private readonly spawn: () => Worker = spawnEngineWorker) {
    this.worker = this.start();
  }

  private start(): Worker {
    const worker = this.spawn();
    worker.onmessage = (event: MessageEvent<WorkerResponse>) => this.receive(event.data);
    worker.onerror = (event) => this.failAll(`The engine worker crashed: ${event.message || 'unknown error'}`);
    worker.onmessageerror = () => this.failAll('The engine worker sent a message that could not be read.');
    return worker;
  }

  async load(request: LoadRequest, options?: CallOptions): Promise<LoadResult> {
    await this.recovering;
    const result = (await this.call('load', request, options)) as LoadResult;
    this.lastLoad = request;
    return result;
  }

  async generate(request: GenerateRequest, options?: CallOptions): Promise<GenerateResult> {
    await this.recovering;
    return this.call('generate', request, options) as Promise<GenerateResult>;
  }

  async score(request: ScoreRequest, options?: CallOptions): Promise<ScoreResult> {
    await this.recovering;
    return this.call('score', request, options) as Promise<ScoreResult>;
  }

  async extractMotion(request: ExtractMotionRequest, options?: CallOptions): Promise<ExtractMotionResult> {
    await this.recovering;
    return this.call('extractMotion', request, options) as Promise<ExtractMotionResult>;
  }

  /** Test builds only: slows the denoising loop or loses the GPU device in the worker (TestingHooks). */
  async testing(hooks: TestingHooks): Promise<void> {
    await this.call('testing', hooks);
  }

  cancel(): void {
    this.worker.postMessage({ kind: 'cancel', id: this.nextId++, content: {} } satisfies WorkerRequest);
  }

  async dispose(): Promise<void> {
    await this.call('dispose', {});
    this.worker.terminate();
    this.failAll('The engine was disposed.');
  }

  private call(kind: RequestKind, content: unknown, options: CallOptions = {}): Promise<unknown> {
    if (options.signal?.aborted) return Promise.reject(cancelledError());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => this.cancel();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => options.signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: (v) => {
          done();
          resolve(v);
        },
        reject: (e) => {
          done();
          reject(e);
        },
        onProgress: options.onProgress,
      });
      this.worker.postMessage({ kind, id, content } as WorkerRequest);
    });
  }

  private receive(message: WorkerResponse): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.kind === 'progress') {
      pending.onProgress?.(message.content);
      return;
    }
    this.pending.delete(message.id);
    if (message.kind === 'return') pending.resolve(message.content);
    else {
      if (message.error.kind === 'device-lost') this.recover();
      pending.reject(fromWire(message.error));
    }
  }

  /** A fresh worker (and with it a fresh onnxruntime and GPUDevice), reloading the last package. */
  private recover(): void {
    if (this.recovering) return;
    this.worker.terminate();
    this.failAll('The GPU device was lost; the engine is restarting.');
    this.worker = this.start();
    const reload = this.lastLoad ? this.call('load', this.lastLoad) : Promise.resolve();
    this.recovering = reload
      .catch(() => undefined)
      .finally(() => {
        this.recovering = undefined;
      });
  }

  private failAll(message: string): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new EngineError('internal', message));
    }
  }
}
