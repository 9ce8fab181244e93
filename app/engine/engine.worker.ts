/**
 * Worker host: runs a LocalEngine off the main thread. One switch over the request kinds; results
 * go back as `return`, failures as `throw` (typed, see errors.ts), progress as `progress`.
 * Frames are transferred, not copied.
 */
/// <reference lib="webworker" />
import { toWire } from './errors';
import { LocalEngine } from './local-engine';
import type { Progress, WorkerRequest, WorkerResponse } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

const engine = new LocalEngine();

function post(message: WorkerResponse, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

/** Buffers of RGBA frames inside a result, to transfer rather than copy. */
function transferables(result: unknown): Transferable[] {
  const out: Transferable[] = [];
  const visit = (v: unknown) => {
    if (v instanceof Uint8ClampedArray || v instanceof Uint8Array) out.push(v.buffer as ArrayBuffer);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) visit(x);
  };
  visit(result);
  return [...new Set(out)];
}

async function handle(request: WorkerRequest): Promise<unknown> {
  const onProgress = (content: Progress) => post({ kind: 'progress', id: request.id, content });
  switch (request.kind) {
    case 'load':
      return engine.load(request.content, { onProgress });
    case 'generate':
      return engine.generate(request.content, { onProgress });
    case 'score':
      return engine.score(request.content, { onProgress });
    case 'extractMotion':
      return engine.extractMotion(request.content, { onProgress });
    case 'cancel':
      engine.cancel();
      return undefined;
    case 'dispose':
      return engine.dispose();
    case 'testing':
      if (import.meta.env.MODE !== 'test') throw new Error('Test hooks exist only in test builds.');
      engine.applyTestingHooks(request.content);
      return undefined;
    default: {
      const unknown: never = request;
      throw new Error(`unknown request ${JSON.stringify(unknown)}`);
    }
  }
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  handle(request).then(
    (content) => post({ kind: 'return', id: request.id, content }, transferables(content)),
    (error) => post({ kind: 'throw', id: request.id, error: toWire(error) }),
  );
};
