/**
 * The TypeScript mirror of a kernel's WGSL `struct Params`. Every field is a 4-byte scalar, so the
 * WGSL layout is simply the declaration order at 4-byte steps; the block is padded to 16 bytes.
 * `kernels/layouts.test.ts` checks each layout against its .wgsl struct, name for name and type for type.
 */
import { EngineError } from '../errors';

export type Scalar = 'u32' | 'i32' | 'f32';

/** Values to pack: every field except padding (`_name`), which is written as zero. */
export type UniformValues<K extends string> = Record<Exclude<K, `_${string}`>, number>;

export class UniformLayout<K extends string> {
  readonly fields: readonly (readonly [K, Scalar])[];
  /** Size of the uniform block, a multiple of 16. */
  readonly bytes: number;

  constructor(
    readonly label: string,
    fields: Record<K, Scalar>,
  ) {
    this.fields = Object.entries(fields) as [K, Scalar][];
    this.bytes = Math.max(16, Math.ceil((this.fields.length * 4) / 16) * 16);
  }

  pack(values: UniformValues<K>): ArrayBuffer {
    const buffer = new ArrayBuffer(this.bytes);
    const view = new DataView(buffer);
    this.fields.forEach(([name, type], i) => {
      if (name.startsWith('_')) return;
      const v = (values as Record<string, number>)[name];
      const where = `${this.label}.${name}`;
      if (type === 'f32') {
        if (!Number.isFinite(v)) throw kernelError(this.label, `${where} must be a finite number, got ${v}`);
        view.setFloat32(i * 4, v, true);
      } else if (type === 'u32') {
        if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
          throw kernelError(this.label, `${where} must be an integer in [0, 4294967295], got ${v}`);
        }
        view.setUint32(i * 4, v, true);
      } else {
        if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
          throw kernelError(this.label, `${where} must be a 32-bit signed integer, got ${v}`);
        }
        view.setInt32(i * 4, v, true);
      }
    });
    return buffer;
  }
}

/**
 * A kernel was asked to do something impossible (wrong sizes, indices out of range). These are
 * engine bugs or unusable inputs caught before they reach the GPU, where they would fail silently.
 */
export function kernelError(kernel: string, problem: string): EngineError {
  return new EngineError('internal', `Kernel ${kernel}: ${problem}.`, { kernel });
}
