/** top1_mask.wgsl and its twin: 1 at each row's argmax (first on ties), 0 elsewhere. */
import { type DispatchPlan, TypedKernel } from '../gpu/compute';
import { kernelError, UniformLayout } from '../gpu/uniform';
import code from './top1_mask.wgsl?raw';

export interface Top1MaskParams {
  /** Attention rows: batch · pixels · heads · query frames. */
  rows: number;
  /** Key frames T (the last axis). */
  cols: number;
}

/** Twin of top1_mask.wgsl. */
export function top1Mask(
  attn: Float32Array,
  p: Top1MaskParams,
  out: Float32Array = new Float32Array(attn.length),
): Float32Array {
  checkShape(p);
  if (attn.length !== p.rows * p.cols || out.length !== attn.length) {
    throw kernelError(
      'top1_mask',
      `attn (${attn.length}) and out (${out.length}) must hold rows x cols = ${p.rows * p.cols} values`,
    );
  }
  out.fill(0);
  for (let r = 0; r < p.rows; r++) {
    const base = r * p.cols;
    let best = 0;
    for (let c = 1; c < p.cols; c++) if (attn[base + c] > attn[base + best]) best = c;
    out[base + best] = 1;
  }
  return out;
}

export const TOP1_MASK_PARAMS = new UniformLayout('top1_mask', {
  rows: 'u32',
  cols: 'u32',
  _pad0: 'u32',
  _pad1: 'u32',
});

export type Top1MaskBuffers = 'attn' | 'mask';

/** `bind({attn, mask})`. */
export class Top1MaskKernel extends TypedKernel<Top1MaskBuffers, Top1MaskParams> {
  constructor(device: GPUDevice) {
    super(device, code, 'top1_mask', ['attn', 'mask'], TOP1_MASK_PARAMS);
  }

  plan(p: Top1MaskParams): DispatchPlan<Top1MaskBuffers> {
    checkShape(p);
    const bytes = 4 * p.rows * p.cols;
    return { uniform: TOP1_MASK_PARAMS.pack(p), invocations: p.rows, bytes: { attn: bytes, mask: bytes } };
  }
}

function checkShape({ rows, cols }: Top1MaskParams): void {
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(cols) || cols < 1) {
    throw kernelError('top1_mask', `rows and cols must be positive integers, got ${rows} x ${cols}`);
  }
}
