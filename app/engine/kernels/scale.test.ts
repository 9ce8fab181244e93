import { describe, expect, it } from 'vitest';
import { gaussianNoise } from './noise';
import { scale } from './scale';

describe('scale twin', () => {
  it('divides by the SD latent scale and back to within float32 rounding', () => {
    const latent = gaussianNoise(4096, 3, 0);
    const unscaled = scale(latent, 1 / 0.18215);
    for (let i = 0; i < latent.length; i++) {
      expect(Math.abs(unscaled[i] - latent[i] / 0.18215)).toBeLessThanOrEqual(2e-7 * Math.abs(latent[i] / 0.18215));
    }
    const back = scale(unscaled, 0.18215);
    for (let i = 0; i < latent.length; i++)
      expect(Math.abs(back[i] - latent[i])).toBeLessThanOrEqual(4e-7 * Math.abs(latent[i]) + 1e-12);
    expect(() => scale(latent, 2, new Float32Array(3))).toThrow(/scale: out has 3 elements, input 4096/);
  });
});
