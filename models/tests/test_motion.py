"""Motion guidance: the top-1 mask, the energy, its gradient against finite differences on a micro
UNet, per-clip independence, the guided epsilon, and the DDIM-inversion reference."""

from __future__ import annotations

import numpy as np
import torch

from t2v_turbo.config import resolve_config
from t2v_turbo.nets.unet3d import UNet3D
from t2v_turbo.train.motion_guidance import (
    ddim_inverted_reference,
    energy_and_grad,
    guidance_applies,
    guided_eps,
    motion_energy,
    reference_maps,
    top1_mask,
)


def micro_unet(dtype=torch.float32) -> tuple[UNet3D, object]:
    cfg = resolve_config("micro")
    torch.manual_seed(0)
    unet = UNet3D(cfg.unet)
    with torch.no_grad():  # move the zero-initialised layers, as training would, so every path matters
        for name, p in unet.named_parameters():
            if not name.startswith(("time_cond_proj", "motion_cond_proj", "combine_proj")):
                p.add_(torch.randn_like(p) * 0.1)
    return unet.to(dtype).eval().requires_grad_(False), cfg


def _inputs(cfg, batch: int, dtype=torch.float32, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    shape = (batch, *cfg.latent_shape)
    return (torch.randn(shape, generator=g, dtype=dtype), torch.full((batch,), 700.0, dtype=dtype),
            torch.randn(batch, 48, cfg.text.embed_dim, generator=g, dtype=dtype), torch.full((batch,), 8.0, dtype=dtype))


def test_top1_mask_keeps_each_rows_first_maximum():
    a = torch.tensor([[[0.1, 0.7, 0.2], [0.4, 0.4, 0.2]]])
    (m,) = top1_mask([a])
    assert m.tolist() == [[[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]]  # ties: the first, like the studio's kernel


def test_energy_is_the_masked_squared_distance_per_clip():
    g = torch.Generator().manual_seed(0)
    ref = [torch.rand(2 * 3, 4, 4, generator=g), torch.rand(2 * 5, 4, 4, generator=g)]
    cur = [torch.rand_like(r) for r in ref]
    masks = top1_mask(ref)
    energy = motion_energy(cur, ref, masks, clips=2)
    want = [sum(((m[i * (len(r) // 2):(i + 1) * (len(r) // 2)] * (r - c)[i * (len(r) // 2):(i + 1) * (len(r) // 2)]) ** 2).sum()
                for c, r, m in zip(cur, ref, masks, strict=True)) for i in range(2)]
    torch.testing.assert_close(energy, torch.stack(want))
    assert motion_energy(ref, ref, masks, clips=2).abs().max() == 0


def test_gradient_matches_finite_differences_on_a_micro_unet():
    unet, cfg = micro_unet()
    z, t, ctx, fps = _inputs(cfg, 1)
    z_ref = z + 0.5 * torch.randn(z.shape, generator=torch.Generator().manual_seed(2), dtype=z.dtype)
    ref, masks = reference_maps(unet, z_ref, t, ctx, fps)
    grad, g, eps = energy_and_grad(unet, z, t, ctx, fps, ref, masks)
    assert g.item() > 0 and grad.abs().max() > 0
    torch.testing.assert_close(eps, unet(z, t, ctx, fps))

    def energy_at(x):
        _, maps = unet(x, t, ctx, fps, return_attn=True)
        return motion_energy(maps, ref, masks).item()

    torch.testing.assert_close(torch.tensor(energy_at(z), dtype=g.dtype), g[0])
    # Central differences along random unit directions (float32: the UNet embeds in float32). Measured
    # agreement <= 2e-4 relative; 0.5 % leaves room for rounding while a wrong gradient is far off.
    for seed in range(3):
        v = torch.randn(z.shape, generator=torch.Generator().manual_seed(10 + seed), dtype=z.dtype)
        v = v / v.norm()
        h = 1e-2 * float(z.norm()) / z.numel() ** 0.5
        numeric = (energy_at(z + h * v) - energy_at(z - h * v)) / (2 * h)
        analytic = float((grad * v).sum())
        assert abs(numeric - analytic) <= 0.005 * abs(analytic) + 1e-7, (numeric, analytic)


def test_each_clip_gets_its_own_gradient():
    unet, cfg = micro_unet()
    z, t, ctx, fps = _inputs(cfg, 2)
    z_ref, *_ = _inputs(cfg, 2, seed=5)
    ref, masks = reference_maps(unet, z_ref, t, ctx, fps)
    grad, g, _ = energy_and_grad(unet, z, t, ctx, fps, ref, masks)
    for i in range(2):
        ref_i, masks_i = reference_maps(unet, z_ref[i:i + 1], t[:1], ctx[i:i + 1], fps[:1])
        grad_i, g_i, _ = energy_and_grad(unet, z[i:i + 1], t[:1], ctx[i:i + 1], fps[:1], ref_i, masks_i)
        torch.testing.assert_close(grad[i:i + 1], grad_i)
        torch.testing.assert_close(g[i:i + 1], g_i)


def test_guided_eps_and_where_it_applies():
    eps, grad = torch.ones(2, 1, 1, 1, 1), torch.full((2, 1, 1, 1, 1), 2.0)
    lam = torch.tensor([10.0, 0.0]).view(2, 1, 1, 1, 1)
    abar = torch.tensor([0.19, 0.5]).view(2, 1, 1, 1, 1)
    out = guided_eps(eps, grad, lam, abar)
    torch.testing.assert_close(out.flatten(), torch.tensor([1 - 10 * 0.9 * 2, 1.0]))
    assert guidance_applies(torch.tensor([0, 499, 500, 999]), 0.5, 1000).tolist() == [False, False, True, True]
    assert guidance_applies(torch.tensor([749, 750]), 0.25, 1000).tolist() == [False, True]


def test_ddim_inversion_with_zero_eps_is_the_closed_form():
    class Zero(torch.nn.Module):
        def forward(self, z, t, context, fps):
            return torch.zeros_like(z)

    abar = np.cumprod(1 - np.linspace(0.00085**0.5, 0.012**0.5, 1000) ** 2)
    x0 = torch.randn(1, 4, 2, 3, 3, dtype=torch.float64)
    z = ddim_inverted_reference(Zero(), x0, 600, None, None, abar, steps=5)
    # With eps = 0 every DDIM step rescales: z_t = sqrt(abar_t) x0.
    torch.testing.assert_close(z, np.sqrt(abar[600]) * x0)
