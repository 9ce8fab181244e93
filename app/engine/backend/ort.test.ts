import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors';
import { classifyOrtError } from './ort';

/** Messages as onnxruntime-web 1.30 raised them in Chromium (e2e/fixtures/craft_package.py makes the packages). */
const UNKNOWN_OP =
  "Can't create a session. ERROR_CODE: 1, ERROR_MESSAGE: Fatal error: org.turbostudio.test:Frobnicate(-1) is not a registered function/op";
const WASM_OOM = 'failed to call OrtRun(). ERROR_CODE: 6, ERROR_MESSAGE: std::bad_alloc';

describe('classifyOrtError', () => {
  it('names an operator no backend implements', () => {
    const e = classifyOrtError(new Error(UNKNOWN_OP), 'loading the unet graph');
    expect(e.kind).toBe('unsupported-op');
    expect(e.detail).toEqual({ op: 'org.turbostudio.test:Frobnicate', where: 'loading the unet graph' });
    expect(e.message).toContain('(org.turbostudio.test:Frobnicate) while loading the unet graph');
    expect(classifyOrtError(new Error('Could not find an implementation for Foo(7) node'), 'x').detail.op).toBe('Foo');
  });

  it("maps the WebAssembly heap's allocation failure to out-of-memory with the remedy for that heap", () => {
    const e = classifyOrtError(new Error(WASM_OOM), 'running the vae_decoder graph');
    expect(e.kind).toBe('out-of-memory');
    expect(e.detail).toMatchObject({ memory: 'wasm' });
    expect(e.message).toMatch(/^Out of memory while running the vae_decoder graph: .* 4 GB .*smaller model package/);
    expect(
      classifyOrtError(new RangeError('RangeError: WebAssembly.Memory(): could not allocate memory'), 'x').kind,
    ).toBe('out-of-memory');
  });

  it('keeps anything else as an internal error with the original message', () => {
    const e = classifyOrtError(new Error('input "sample" has the wrong shape'), 'running the unet graph');
    expect(e.kind).toBe('internal');
    expect(e.message).toBe('onnxruntime failed while running the unet graph: input "sample" has the wrong shape');
    const typed = new EngineError('cancelled', 'Generation was cancelled.');
    expect(classifyOrtError(typed, 'x')).toBe(typed);
  });
});
