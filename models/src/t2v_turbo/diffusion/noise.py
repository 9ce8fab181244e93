"""Seeded standard-normal noise, bit-identical to the browser engine's (app/engine/kernels/noise.wgsl).

Philox4x32-10 (Salmon et al., SC'11) gives 4 random words per counter; element i of stream s uses
pair p = i // 2, block = philox([p, s, 0, 0], [seed, 0]), and Box-Muller with our own float32
polynomials for ln, cos and sin (the GPU's built-ins are not exact enough to agree across devices).
The same (seed, stream) therefore gives the same latent noise in PyTorch, onnxruntime and Chrome.

A model trained with multiscale noise (diffusion/multiscale_noise.py) must also be sampled from it:
`multiscale_gaussian_like` draws its coarse level l from counter word 2 = l, so level 0 is the white
noise above, unchanged.
"""

from __future__ import annotations

import numpy as np

_M0, _M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
_W0, _W1 = np.uint32(0x9E3779B9), np.uint32(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)
f32 = np.float32


def philox4x32(ctr: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """Philox4x32-10 over counters `ctr` of shape (n, 4) uint32; returns (n, 4) uint32."""
    c = [ctr[:, i].astype(np.uint64) for i in range(4)]
    k0, k1 = np.uint32(key[0]), np.uint32(key[1])
    with np.errstate(over="ignore"):
        for _ in range(10):
            p0 = _M0 * c[0]
            p1 = _M1 * c[2]
            hi0, lo0 = p0 >> np.uint64(32), p0 & _MASK
            hi1, lo1 = p1 >> np.uint64(32), p1 & _MASK
            c = [hi1 ^ c[1] ^ np.uint64(k0), lo1, hi0 ^ c[3] ^ np.uint64(k1), lo0]
            k0, k1 = k0 + _W0, k1 + _W1
    return np.stack(c, axis=1).astype(np.uint32)


def _unit(u: np.ndarray) -> np.ndarray:
    return (((u >> np.uint32(8)).astype(f32) + f32(0.5)) * f32(1.0 / 16777216.0)).astype(f32)


def ln_f32(x: np.ndarray) -> np.ndarray:
    """ln x for float32 x > 0, the kernel's polynomial in float32 arithmetic."""
    bits = x.astype(f32).view(np.uint32)
    e = ((bits >> np.uint32(23)) & np.uint32(0xFF)).astype(np.int32) - 127
    m = ((bits & np.uint32(0x007FFFFF)) | np.uint32(0x3F800000)).view(f32)
    big = m > f32(1.41421356)
    m = np.where(big, m * f32(0.5), m).astype(f32)
    e = e + big
    s = ((m - f32(1)) / (m + f32(1))).astype(f32)
    s2 = s * s
    p = f32(0.2857143) + s2 * f32(0.2222222)
    p = f32(0.4) + s2 * p
    p = f32(0.6666667) + s2 * p
    p = f32(2) + s2 * p
    return (e.astype(f32) * f32(0.6931472) + s * p).astype(f32)


def cos_sin_turn(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cos, sin) of 2 pi u for float32 u in [0, 1): exact quadrant, polynomial on [0, pi/2)."""
    q = (u * f32(4)).astype(f32)
    k = np.floor(q)
    t = ((q - k) * f32(1.5707964)).astype(f32)
    t2 = t * t
    c = f32(0.0000248016) + t2 * f32(-2.7557319e-7)
    c = f32(-0.0013888889) + t2 * c
    c = f32(0.041666668) + t2 * c
    c = f32(-0.5) + t2 * c
    c = f32(1) + t2 * c
    s = f32(2.7557319e-6) + t2 * f32(-2.5052108e-8)
    s = f32(-0.0001984127) + t2 * s
    s = f32(0.008333334) + t2 * s
    s = f32(-0.16666667) + t2 * s
    s = t * (f32(1) + t2 * s)
    k = k.astype(np.int32)
    cos = np.select([k == 0, k == 1, k == 2], [c, -s, -c], s)
    sin = np.select([k == 0, k == 1, k == 2], [s, c, -s], -c)
    return cos.astype(f32), sin.astype(f32)


def gaussian_noise(count: int, seed: int, stream: int, level: int = 0) -> np.ndarray:
    """`count` float32 standard-normal samples of (seed, stream), as the browser engine draws them."""
    pairs = (count + 1) // 2
    ctr = np.zeros((pairs, 4), dtype=np.uint32)
    ctr[:, 0] = np.arange(pairs, dtype=np.uint32)
    ctr[:, 1] = np.uint32(stream)
    ctr[:, 2] = np.uint32(level)
    bits = philox4x32(ctr, (seed & 0xFFFFFFFF, 0))
    radius = np.sqrt(f32(-2) * ln_f32(_unit(bits[:, 0]))).astype(f32)
    cos, sin = cos_sin_turn(_unit(bits[:, 1]))
    out = np.empty(pairs * 2, dtype=f32)
    out[0::2] = radius * cos
    out[1::2] = radius * sin
    return out[:count]


def gaussian_like(shape: tuple[int, ...], seed: int, stream: int, level: int = 0) -> np.ndarray:
    """Noise of a given shape, filled in C order (the layout of the engine's flat buffers)."""
    return gaussian_noise(int(np.prod(shape)), seed, stream, level).reshape(shape)


def multiscale_levels(frames: int, height: int, width: int) -> int:
    """Coarse levels of multiscale noise for a (T, h, w) latent: down to one sample per clip and channel."""
    return max(1, max(int(n).bit_length() - 1 for n in (frames, height, width)))


def multiscale_weights(discount: float, levels: int) -> np.ndarray:
    """float32 weights of the white noise (index 0) and of levels 1..L; their squares sum to 1."""
    powers = [1.0]
    for _ in range(levels):  # repeated products and a running sum: the TypeScript twin rounds alike
        powers.append(powers[-1] * discount)
    total = 0.0
    for p in powers:
        total += p * p
    return (np.array(powers) / np.sqrt(total)).astype(f32)


def multiscale_gaussian_like(shape: tuple[int, ...], seed: int, stream: int, discount: float) -> np.ndarray:
    """The seeded counterpart of multiscale_noise for a (B, C, T, h, w) shape; discount 0 = gaussian_like.

    Level l is a (B, C, T >> l, h >> l, w >> l) grid (at least 1 each) from counter word 2 = l, upsampled
    by nearest neighbour (coarse index = fine index * coarse size // fine size). Summed in float32 in
    level order, as the engine's kernel (app/engine/kernels/noise.wgsl) and its twin do.
    """
    white = gaussian_like(shape, seed, stream)
    if discount == 0.0:
        return white
    if len(shape) != 5 or not 0.0 < discount < 1.0:
        raise ValueError(f"multiscale noise needs a (B, C, T, h, w) shape and a discount in [0, 1), got "
                         f"{tuple(shape)} and {discount}")
    b, c, *full = shape
    levels = multiscale_levels(*full)
    weights = multiscale_weights(discount, levels)
    out = (weights[0] * white).astype(f32)
    for level in range(1, levels + 1):
        coarse_size = [max(1, n >> level) for n in full]
        coarse = gaussian_like((b, c, *coarse_size), seed, stream, level)
        index = np.ix_(*[np.arange(n) * m // n for n, m in zip(full, coarse_size, strict=True)])
        out = (out + (weights[level] * coarse[(slice(None), slice(None), *index)]).astype(f32)).astype(f32)
    return out
