/** Test helpers for the exact float -> byte rounding shared by frames_to_rgba and motion_map. */

const bits = new DataView(new ArrayBuffer(4));

/** The float32 next to x (a float32) towards +inf (1) or -inf (-1). */
function nextF32(x: number, direction: 1 | -1): number {
  if (x === 0) return direction * 2 ** -149;
  bits.setFloat32(0, x);
  // Positive floats order like their bit patterns, negative ones in reverse.
  bits.setUint32(0, bits.getUint32(0) + (x > 0 ? direction : -direction));
  return bits.getFloat32(0);
}

/**
 * Values of x in [-1, 1] whose byte sits on a rounding edge: for every k the float32 values nearest
 * to x_k = 2 (k - 1/2) / 255 - 1 (where the byte steps from k - 1 to k) and 3 neighbours each side.
 */
export function roundingEdgeValues(): number[] {
  const out: number[] = [];
  for (let k = 1; k <= 255; k++) {
    let x = Math.fround((2 * (k - 0.5)) / 255 - 1);
    for (let j = 0; j < 3; j++) x = nextF32(x, -1);
    for (let j = 0; j < 7; j++) {
      out.push(x);
      x = nextF32(x, 1);
    }
  }
  return out;
}

/** The WGSL `unorm8` of frames_to_rgba.wgsl, step for step on the float32 bits of v (in [0, 1]). */
export function unorm8Bits(v: number): number {
  if (v >= 1) return 255;
  if (!(v > 0)) return 0;
  bits.setFloat32(0, v);
  const u = bits.getUint32(0);
  const s = 150 - (u >>> 23);
  if (s > 32) return 0;
  const m = (u & 0x007fffff) | 0x00800000;
  const p = (255 * m) >>> 0;
  return ((p >>> (s - 1)) + 1) >>> 1;
}
