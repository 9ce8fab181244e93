/**
 * WorkerEngine: the app's Engine, a proxy to engine.worker.ts. Calls become messages with ids;
 * an AbortSignal or `cancel()` sends a cancel request, which the worker's engine honours within
 * one denoising step. If the worker dies, every pending call fails with a typed error.
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
  WorkerRequest,
  WorkerResponse,
} from './protocol';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: EngineError) => void;
  onProgress?: (p: Progress) => void;
}

export class WorkerEngine implements Engine {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(worker?: Worker) {
    this.worker =
      worker ?? new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'engine' });
    this.worker.onmessage = (event: MessageEvent<WorkerResponse>) => this.receive(event.data);
    this.worker.onerror = (event) => this.failAll(`The engine worker crashed: ${event.message || 'unknown error'}`);
    this.worker.onmessageerror = () => this.failAll('The engine worker sent a message that could not be read.');
  }

  load(request: LoadRequest, options?: CallOptions): Promise<LoadResult> {
    return this.call('load', request, options) as Promise<LoadResult>;
  }

  generate(request: GenerateRequest, options?: CallOptions): Promise<GenerateResult> {
    return this.call('generate', request, options) as Promise<GenerateResult>;
  }

  score(request: ScoreRequest, options?: CallOptions): Promise<ScoreResult> {
    return this.call('score', request, options) as Promise<ScoreResult>;
  }

  extractMotion(request: ExtractMotionRequest, options?: CallOptions): Promise<ExtractMotionResult> {
    return this.call('extractMotion', request, options) as Promise<ExtractMotionResult>;
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
    else pending.reject(fromWire(message.error));
  }

  private failAll(message: string): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new EngineError('internal', message));
    }
  }
}
