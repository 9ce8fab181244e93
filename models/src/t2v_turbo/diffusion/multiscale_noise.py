"""Training noise with extra energy at coarse scales, so that a small latent cannot leak its layout.

VideoCrafter2's schedule ends at abar_999 = 0.0047, not 0: the last noise level still carries 7 % of
the clip. Summed over the many latent elements that an object or a background covers across 16
frames, that residue is easy to read (Lin et al. 2024, "Common diffusion noise schedules and sample
steps are flawed"): the demo teacher, fed a real clip noised to t = 999 and the EMPTY caption,
predicts an x0 whose cosine with the true clip is 0.67 (0.78 for the frame-averaged layout). Trained
so, a denoiser takes the layout and the motion from z_t rather than from the caption, and sampling
from pure noise, where there is no layout to read, makes every frame invent its own.

Adding Gaussian noise that is constant over coarse blocks of (T, h, w) hides those low frequencies
at high t (offset noise is the one-block case; "pyramid noise" the multi-level one). Here level l
draws a grid of (T/2^l, h/2^l, w/2^l) samples, upsamples it by nearest neighbour (each element keeps
unit variance) and weights it discount^l, down to one sample per clip and channel; the sum is
divided by sqrt(sum of squared weights), so every element is still N(0, 1) and the schedule's
marginal variances are unchanged. Only training noise changes: samplers still start from white
noise, and discount 0 draws exactly `torch.randn` (the generator's stream included).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .noise import multiscale_levels, multiscale_weights


def multiscale_noise(shape: tuple[int, ...], generator: torch.Generator, discount: float) -> torch.Tensor:
    """Unit-variance noise of `shape` (B, C, T, h, w), white plus coarse levels weighted discount^l."""
    if not 0.0 <= discount < 1.0:
        raise ValueError(f"discount must lie in [0, 1), got {discount}")
    noise = torch.randn(shape, generator=generator)
    if discount == 0.0:
        return noise
    if len(shape) != 5:
        raise ValueError(f"multiscale noise needs a (B, C, T, h, w) shape, got {tuple(shape)}")
    b, c, *full = shape
    levels = multiscale_levels(*full)  # the seeded sampler noise's levels and weights, shared
    weights = multiscale_weights(discount, levels)
    noise = float(weights[0]) * noise
    for level in range(1, levels + 1):
        coarse_size = [max(1, n >> level) for n in full]
        coarse = torch.randn((b, c, *coarse_size), generator=generator)  # (B, C, T', h', w')
        noise = noise + float(weights[level]) * F.interpolate(coarse, size=full, mode="nearest")
    return noise
