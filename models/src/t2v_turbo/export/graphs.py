"""The modules exported as the package's ONNX graphs, each with the exact inputs and outputs of
docs/MODEL_FORMAT.md ("Graphs"). Conditioning the browser never varies (fps) is baked in.

The motion-guidance gradient is exported as an ordinary forward graph: `torch.func.grad_and_value`
of the energy is traced with make_fx into ATen ops (plus two decompositions of our own, so the
backward of a convolution is a transposed 2D convolution), then exported like any module.
"""

from __future__ import annotations

import torch
from torch import nn
from torch._decomp import core_aten_decompositions
from torch.fx.experimental.proxy_tensor import make_fx
from torch.func import grad_and_value
import contextlib

import torch.nn.functional as F

from ..nets.text_encoder import TextEncoder
from ..nets.unet3d import UNet3D
from ..nets.vae import AutoencoderKL

aten = torch.ops.aten


class TextEncoderGraph(nn.Module):
    """input_ids, attention_mask (1, L) int64 -> context (1, L, D), zero at padding."""

    def __init__(self, encoder: TextEncoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.encoder(input_ids, attention_mask)


class ClipTextEncoderGraph(nn.Module):
    """input_ids (1, 77) int64 -> context (1, 77, D): OpenCLIP's penultimate layer, every position kept
    (no attention mask: the causal mask already keeps padding away from the prompt's tokens)."""

    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.encoder(input_ids)


class UNetGraph(nn.Module):
    """The student: (sample, timestep, context, guidance, motion) -> (eps, attn_0, …, attn_{n-1})."""

    def __init__(self, unet: UNet3D, fps: float, with_attention: bool = True):
        super().__init__()
        self.unet = unet
        self.with_attention = with_attention
        self.register_buffer("fps", torch.tensor([float(fps)]), persistent=False)

    def forward(self, sample, timestep, context, guidance, motion):
        fps = self.fps.expand(sample.shape[0])
        if not self.with_attention:
            return self.unet(sample, timestep, context, fps, guidance, motion)
        eps, maps = self.unet(sample, timestep, context, fps, guidance, motion, return_attn=True)
        return (eps, *maps)


def motion_energy(attn: list[torch.Tensor], ref_attn: list[torch.Tensor], masks: list[torch.Tensor]) -> torch.Tensor:
    """G = sum_i || mask_i o (ref_attn_i - attn_i) ||^2 (MotionClone's energy, T2V-Turbo-v2's guidance)."""
    return sum(((m * (r - a)) ** 2).sum() for a, r, m in zip(attn, ref_attn, masks, strict=True))


def _conv_input_grad(grad_out, inp, weight, bias_sizes, stride, padding, dilation, transposed, output_padding, groups, mask):
    """d(conv2d)/d(input) as a transposed 2D convolution with the same weights (weights are frozen here)."""
    if transposed:
        raise ValueError("gradient through a transposed convolution is not supported (these networks have none)")
    gi = aten.convolution(grad_out, weight, None, stride, padding, dilation, True, [0] * len(stride), groups)
    missing = [inp.shape[2 + k] - gi.shape[2 + k] for k in range(len(stride))]
    if any(missing):  # a strided conv dropped a border row/column: restore the input's size
        gi = aten.convolution(grad_out, weight, None, stride, padding, dilation, True, missing, groups)
    return gi, None, None


def _upsample_nearest_grad(grad_out, output_size, input_size, scales_h=None, scales_w=None):
    """Backward of an integer-factor nearest upsample: each input pixel sums its s x s copies."""
    n, c, h, w = input_size
    sh, sw = output_size[0] // h, output_size[1] // w
    if sh * h != output_size[0] or sw * w != output_size[1]:
        raise ValueError(f"nearest upsample {input_size} -> {output_size} is not an integer factor")
    return grad_out.reshape(n, c, h, sh, w, sw).sum(dim=(3, 5))


def _gradient_decompositions() -> dict:
    table = dict(core_aten_decompositions())
    table[aten.convolution_backward.default] = _conv_input_grad
    table[aten.upsample_nearest2d_backward.default] = _upsample_nearest_grad
    table[aten.empty_permuted.default] = lambda size, perm, **kw: torch.zeros(
        size, dtype=kw.get("dtype"), device=kw.get("device")
    )
    return table


def _plain_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, **_):
    """softmax(q k^T / sqrt(d)) v, nothing else: the backward traces to MatMul/Softmax-grad ops that
    WebGPU runs (PyTorch's own math path adds a NaN-guarding `where` that onnxruntime-web runs on the CPU)."""
    if attn_mask is not None or dropout_p or is_causal:
        raise ValueError("plain attention supports no mask, dropout or causality (the UNet uses none)")
    scores = q @ k.transpose(-2, -1) * (scale if scale is not None else q.shape[-1] ** -0.5)
    return scores.softmax(dim=-1) @ v


@contextlib.contextmanager
def plain_attention():
    """Routes F.scaled_dot_product_attention to `_plain_attention` while the gradient is traced."""
    original = F.scaled_dot_product_attention
    F.scaled_dot_product_attention = _plain_attention
    try:
        yield
    finally:
        F.scaled_dot_product_attention = original


class MotionGradGraph(nn.Module):
    """(sample, timestep, context, guidance, motion, ref_attn_i…, mask_i…) -> (grad, energy, eps).

    Wraps a make_fx trace of grad_and_value(energy); `reference` computes the same with autograd.
    """

    def __init__(self, unet: UNet3D, fps: float, example: tuple[torch.Tensor, ...], layers: int):
        super().__init__()
        self.layers = layers
        self.net = UNetGraph(unet, fps, with_attention=True)
        for p in self.net.parameters():
            p.requires_grad_(False)
        # Explicit attention traces into matmul + softmax; fused kernels have no ONNX backward.
        with torch.no_grad(), plain_attention():
            self.traced = make_fx(self.reference, decomposition_table=_gradient_decompositions())(*example)

    def reference(self, sample, timestep, context, guidance, motion, *refs):
        ref_attn, masks = list(refs[: self.layers]), list(refs[self.layers :])

        def energy(z):
            eps, *attn = self.net(z, timestep, context, guidance, motion)
            return motion_energy(attn, ref_attn, masks), eps

        with torch.enable_grad(), plain_attention():
            grad, (g, eps) = grad_and_value(energy, has_aux=True)(sample)
        return grad, g.reshape(1), eps

    def forward(self, sample, timestep, context, guidance, motion, *refs):
        return self.traced(sample, timestep, context, guidance, motion, *refs)


class VaeEncoderGraph(nn.Module):
    """video (1, 3, T, H, W) in [-1, 1] -> latent (1, C, T, h, w), the posterior mean, unscaled."""

    def __init__(self, vae: AutoencoderKL):
        super().__init__()
        self.vae = vae

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        return self.vae.encode(video)


class VaeDecoderGraph(nn.Module):
    """latent (1, C, T, h, w), unscaled -> video (1, 3, T, H, W) in [-1, 1]."""

    def __init__(self, vae: AutoencoderKL):
        super().__init__()
        self.vae = vae

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        return self.vae.decode(latent)
