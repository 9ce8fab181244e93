/**
 * The pure rules of exporting a clip: its file name, the output size (integer upscale, even
 * dimensions for H.264's 4:2:0 chroma) and the nearest-neighbour upscale that keeps pixels crisp.
 */

/** H.264 level 4.x's frame-area cap (1920x1088 in macroblocks), which every encoder supports. */
export const MAX_EXPORT_PIXELS = 1920 * 1088;
export const MAX_EXPORT_SCALE = 8;

/**
 * `a-red-circle-moving-right-s42.mp4`: lower-case ASCII words from the prompt (accents folded),
 * cut at a word boundary near 60 characters, the seed appended so sweeps do not collide.
 */
export function exportFileName(prompt: string, seed: number, extension: 'mp4' | 'webm'): string {
  const words = prompt
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  let slug = '';
  for (const w of words) {
    const next = slug ? `${slug}-${w}` : w;
    if (next.length > 60) {
      if (!slug) slug = w.slice(0, 60);
      break;
    }
    slug = next;
  }
  return `${slug || 'turbo-clip'}-s${seed}.${extension}`;
}

/** Upscale factors offered for a clip: 1x up to the largest that stays within the area cap. */
export function upscaleChoices(width: number, height: number): number[] {
  const out: number[] = [];
  for (let s = 1; s <= MAX_EXPORT_SCALE; s++) {
    const { width: w, height: h } = exportSize(width, height, s);
    if (s > 1 && w * h > MAX_EXPORT_PIXELS) break;
    out.push(s);
  }
  return out;
}

/** Output size for an integer scale, rounded up to even (one replicated edge row/column at most). */
export function exportSize(width: number, height: number, scale: number): { width: number; height: number } {
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`upscale must be a whole number ≥ 1, got ${scale}`);
  const even = (n: number) => n + (n % 2);
  return { width: even(width * scale), height: even(height * scale) };
}

/**
 * Nearest-neighbour upscale of one RGBA8 frame by an integer factor into an `outW` x `outH` frame;
 * rows and columns past the scaled image (the even-size padding) repeat the last one.
 */
export function upscaleFrame(
  src: Uint8ClampedArray | Uint8Array,
  width: number,
  height: number,
  scale: number,
  outW: number,
  outH: number,
): Uint8ClampedArray {
  if (src.length !== width * height * 4)
    throw new Error(`frame has ${src.length} bytes, expected ${width}x${height}x4 = ${width * height * 4}`);
  const out = new Uint8ClampedArray(outW * outH * 4);
  // Whole pixels are copied as 32-bit words; a view needs 4-byte alignment, a copy always has it.
  const aligned = src.byteOffset % 4 === 0 ? src : src.slice();
  const src32 = new Uint32Array(aligned.buffer, aligned.byteOffset, width * height);
  const out32 = new Uint32Array(out.buffer);
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(height - 1, Math.floor(y / scale));
    for (let x = 0; x < outW; x++) {
      const sx = Math.min(width - 1, Math.floor(x / scale));
      out32[y * outW + x] = src32[sy * width + sx];
    }
  }
  return out;
}
