"""VideoCrafter2's 3D UNet family at configurable width, with T2V-Turbo-v2's w and motion inputs.

Parameter names and shapes are those of the real checkpoints (tests/test_unet.py checks the `vc2`
preset against /work/shared/reference/vc2-t2v-turbo-v2-unet.tsv, typo `temopral_conv` included).

The computation uses 2D convolutions only, because WebGPU (onnxruntime-web) has no 3D convolution:
activations live as (B*T, C, H, W) with frames folded into the batch, and the temporal convolution
keeps its checkpoint parameter (Cout, Cin, 3, 1, 1) but runs as a (3, 1) conv2d over a
(B, C, T, H*W) view. Forward has no data-dependent Python control flow, so it traces to ONNX with
static shapes, and the decoder's temporal attention maps can be returned for motion guidance.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..config import UNetConfig
from .attention import SpatialTransformer, TemporalTransformer
from .embeddings import scalar_embedding, timestep_embedding


def _zero_(module: nn.Module) -> nn.Module:
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


def _groupnorm(groups: int, channels: int, eps: float = 1e-5) -> nn.GroupNorm:
    if channels % groups:
        raise ValueError(f"norm_groups={groups} does not divide {channels} channels; choose a divisor")
    return nn.GroupNorm(groups, channels, eps=eps)


class TemporalConv(nn.Module):
    """Conv3d(kernel (3,1,1), padding (1,0,0)) parameters, computed as conv2d (3,1) on (B, C, T, H*W)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        ref = nn.Conv3d(in_channels, out_channels, (3, 1, 1), padding=(1, 0, 0))  # default initialisation
        self.weight = nn.Parameter(ref.weight.detach().clone())  # (Cout, Cin, 3, 1, 1), checkpoint layout
        self.bias = nn.Parameter(ref.bias.detach().clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, Cin, T, H*W) -> (B, Cout, T, H*W)."""
        return F.conv2d(x, self.weight[..., 0], self.bias, padding=(1, 0))  # weight (Cout, Cin, 3, 1)


class TemporalConvBlock(nn.Module):
    """VideoCrafter2's four (3,1,1) convolutions over time, residual; the last one starts at zero."""

    def __init__(self, channels: int, dropout: float, groups: int):
        super().__init__()
        self.conv1 = nn.Sequential(_groupnorm(groups, channels), nn.SiLU(), TemporalConv(channels, channels))
        self.conv2 = nn.Sequential(
            _groupnorm(groups, channels), nn.SiLU(), nn.Dropout(dropout), TemporalConv(channels, channels)
        )
        self.conv3 = nn.Sequential(
            _groupnorm(groups, channels), nn.SiLU(), nn.Dropout(dropout), TemporalConv(channels, channels)
        )
        self.conv4 = nn.Sequential(
            _groupnorm(groups, channels), nn.SiLU(), nn.Dropout(dropout), TemporalConv(channels, channels)
        )
        _zero_(self.conv4[-1])

    def forward(self, x: torch.Tensor, frames: int) -> torch.Tensor:
        """x (B*T, C, H, W) -> same; GroupNorm statistics span the clip's frames, as VC2's 5D norm."""
        bt, c, h, w = x.shape
        clip = x.view(-1, frames, c, h * w).transpose(1, 2)  # (B, C, T, H*W)
        y = self.conv4(self.conv3(self.conv2(self.conv1(clip))))
        return x + y.transpose(1, 2).reshape(bt, c, h, w)


class ResBlock(nn.Module):
    """Spatial ResBlock with the time embedding added after the first conv, then the temporal convs."""

    def __init__(
        self,
        channels: int,
        emb_channels: int,
        out_channels: int,
        dropout: float,
        groups: int,
        temporal_conv: bool,
    ):
        super().__init__()
        self.in_layers = nn.Sequential(
            _groupnorm(groups, channels), nn.SiLU(), nn.Conv2d(channels, out_channels, 3, padding=1)
        )
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_channels, out_channels))
        self.out_layers = nn.Sequential(
            _groupnorm(groups, out_channels),
            nn.SiLU(),
            nn.Dropout(dropout),
            _zero_(nn.Conv2d(out_channels, out_channels, 3, padding=1)),
        )
        self.skip_connection = (
            nn.Identity() if channels == out_channels else nn.Conv2d(channels, out_channels, 1)
        )
        self.temopral_conv = (
            TemporalConvBlock(out_channels, dropout, groups) if temporal_conv else None
        )  # (sic)

    def forward(self, x: torch.Tensor, emb: torch.Tensor, frames: int, temporal: bool = True) -> torch.Tensor:
        """x (B*T, C, H, W), emb (B, E) shared by a clip's frames or (B*T, E) per frame -> (B*T, Cout, H, W).

        temporal=False skips the temporal convolutions (image mode: they are residual, so that is identity)."""
        shift = self.emb_layers(emb)  # (B, Cout) projected once per clip, or (B*T, Cout) with a frame embedding
        if shift.shape[0] != x.shape[0]:
            shift = shift.repeat_interleave(frames, dim=0)  # (B*T, Cout)
        h = self.in_layers(x) + shift[:, :, None, None]
        h = self.skip_connection(x) + self.out_layers(h)
        if self.temopral_conv is not None and temporal:
            h = self.temopral_conv(h, frames)
        return h


class Downsample(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.op = nn.Conv2d(channels, channels, 3, stride=2, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Upsample(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class UNetBlock(nn.ModuleList):
    """VideoCrafter's TimestepEmbedSequential: layers that take what they need (emb, context, T).

    temporal=False (image mode) skips every temporal layer; each is residual, so skipping is identity."""

    def forward(self, h, emb, context, frames: int, return_attn: bool, maps: list, temporal: bool = True):
        for layer in self:
            if isinstance(layer, ResBlock):
                h = layer(h, emb, frames, temporal)
            elif isinstance(layer, SpatialTransformer):
                h = layer(h, context, frames)
            elif isinstance(layer, TemporalTransformer):
                if not temporal:
                    continue
                h, probs = layer(h, frames, return_attn)
                maps.extend(probs)
            else:
                h = layer(h)
        return h


class UNet3D(nn.Module):
    """eps_theta(z_t, t, text, fps, w, motion) for latent video z_t (B, C, T, h, w).

    alphas_cumprod (T,): the schedule, needed only by a v-predicting UNet (cfg.prediction = "v") to
    turn its output into epsilon inside forward(); it is a constant of the graph, not a weight.
    """

    def __init__(self, cfg: UNetConfig, alphas_cumprod=None):
        super().__init__()
        self.cfg = cfg
        if cfg.prediction == "v":
            if alphas_cumprod is None:
                raise ValueError("a v-predicting UNet (unet.prediction = 'v') needs the schedule's alphas_cumprod")
            self.register_buffer("v_abar", torch.as_tensor(alphas_cumprod, dtype=torch.float32), persistent=False)
        mc, groups, drop = cfg.model_channels, cfg.norm_groups, cfg.dropout
        emb_dim = mc * 4
        self.time_embed = nn.Sequential(nn.Linear(mc, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        if cfg.fps_cond:
            self.fps_embedding = nn.Sequential(nn.Linear(mc, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        if cfg.frame_embedding:  # its last layer starts at zero: a teacher without it loads exactly
            self.frame_embed = nn.Sequential(nn.Linear(mc, emb_dim), nn.SiLU(), _zero_(nn.Linear(emb_dim, emb_dim)))
        if cfg.text_embedding:  # likewise zero at the end: a teacher without it loads exactly
            self.text_embed = nn.Sequential(
                nn.Linear(cfg.context_dim, emb_dim), nn.SiLU(), _zero_(nn.Linear(emb_dim, emb_dim))
            )
        # T2V-Turbo-v2's student inputs. combine_proj starts at zero, so the sum it adds to the time
        # embedding is exactly 0 and a teacher ignores w and motion; the two projections keep their
        # default init so that a student's gradient reaches them through combine_proj.
        self.time_cond_proj = nn.Linear(cfg.cond_embed_dim, mc, bias=False)
        self.motion_cond_proj = nn.Linear(cfg.cond_embed_dim, mc, bias=False)
        self.combine_proj = _zero_(nn.Linear(2 * mc, mc, bias=False))

        def transformers(ch: int) -> list[nn.Module]:
            heads, dim_head = ch // cfg.num_head_channels, cfg.num_head_channels
            if heads * dim_head != ch:
                raise ValueError(f"num_head_channels={dim_head} does not divide {ch} channels")
            layers: list[nn.Module] = [
                SpatialTransformer(ch, heads, dim_head, cfg.context_dim, cfg.transformer_depth, drop, groups)
            ]
            if cfg.temporal_attention:
                layers.append(
                    TemporalTransformer(ch, heads, dim_head, cfg.temporal_transformer_depth, drop, groups,
                                        frame_position=cfg.temporal_frame_position,
                                        frame_position_init=cfg.temporal_frame_position_init)
                )
            return layers

        def resblock(ch: int, out: int) -> ResBlock:
            return ResBlock(ch, emb_dim, out, drop, groups, cfg.temporal_conv)

        self.input_blocks = nn.ModuleList([UNetBlock([nn.Conv2d(cfg.in_channels, mc, 3, padding=1)])])
        if cfg.init_attn:
            self.init_attn = UNetBlock(
                [
                    TemporalTransformer(
                        mc,
                        cfg.init_attn_heads,
                        cfg.num_head_channels,
                        cfg.temporal_transformer_depth,
                        drop,
                        groups,
                        pointwise_conv_proj=True,
                        frame_position=cfg.temporal_frame_position,
                        frame_position_init=cfg.temporal_frame_position_init,
                    )
                ]
            )
        skip_channels, ch, ds = [mc], mc, 1
        for level, mult in enumerate(cfg.channel_mult):
            for _ in range(cfg.num_res_blocks):
                layers: list[nn.Module] = [resblock(ch, mult * mc)]
                ch = mult * mc
                if ds in cfg.attention_resolutions:
                    layers += transformers(ch)
                self.input_blocks.append(UNetBlock(layers))
                skip_channels.append(ch)
            if level != len(cfg.channel_mult) - 1:
                self.input_blocks.append(UNetBlock([Downsample(ch)]))
                skip_channels.append(ch)
                ds *= 2
        self.middle_block = UNetBlock([resblock(ch, ch), *transformers(ch), resblock(ch, ch)])
        self.output_blocks = nn.ModuleList()
        for level, mult in list(enumerate(cfg.channel_mult))[::-1]:
            for i in range(cfg.num_res_blocks + 1):
                layers = [resblock(ch + skip_channels.pop(), mult * mc)]
                ch = mult * mc
                if ds in cfg.attention_resolutions:
                    layers += transformers(ch)
                if level and i == cfg.num_res_blocks:
                    layers.append(Upsample(ch))
                    ds //= 2
                self.output_blocks.append(UNetBlock(layers))
        self.out = nn.Sequential(
            _groupnorm(groups, ch), nn.SiLU(), _zero_(nn.Conv2d(mc, cfg.out_channels, 3, padding=1))
        )

    @property
    def num_attn_maps(self) -> int:
        """How many decoder temporal attention maps forward(..., return_attn=True) returns."""
        return (
            sum(isinstance(m, TemporalTransformer) for block in self.output_blocks for m in block)
            * self.cfg.temporal_transformer_depth
        )

    def embed_conditions(self, timestep, fps, guidance, motion) -> torch.Tensor:
        """(B,) scalars -> (B, 4 * model_channels) embedding shared by every ResBlock."""
        mc = self.cfg.model_channels
        t_emb = timestep_embedding(timestep, mc)  # (B, mc)
        if guidance is not None or motion is not None:
            if guidance is None or motion is None:
                raise ValueError("pass guidance and motion together (a student is conditioned on both)")
            scale, dim = self.cfg.cond_embed_scale, self.cfg.cond_embed_dim
            w_emb = self.time_cond_proj(scalar_embedding(guidance, dim, scale))  # (B, mc)
            m_emb = self.motion_cond_proj(scalar_embedding(motion, dim, scale))
            t_emb = t_emb + self.combine_proj(torch.cat([w_emb, m_emb], dim=-1))
        emb = self.time_embed(t_emb)
        if self.cfg.fps_cond:
            if fps is None:
                raise ValueError("this UNet is fps-conditioned: pass fps (B,)")
            emb = emb + self.fps_embedding(timestep_embedding(fps, mc))
        return emb

    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor,
        context: torch.Tensor,
        fps: torch.Tensor | None = None,
        guidance: torch.Tensor | None = None,
        motion: torch.Tensor | None = None,
        return_attn: bool = False,
        frame_index: torch.Tensor | None = None,
    ):
        """sample (B, C, T, h, w), timestep (B,), context (B, L, D), fps/guidance/motion (B,) -> eps.

        With return_attn, returns (eps, maps): maps are the attn1 probabilities of the output blocks'
        temporal transformers, each (B*h_i*w_i*heads, T, T), in decoder order.

        frame_index (B,) long: image mode, for joint image-video training. Each item is one frame
        (T = 1) taken from position frame_index of a clip; the temporal layers are skipped and the
        frame embedding (if any) embeds that position, so the spatial layers see what they see when
        that frame is drawn inside a clip. Training only: the exported graphs take whole clips.
        """
        b, c, frames, h, w = sample.shape
        image = frame_index is not None
        if image and (frames != 1 or return_attn):
            raise ValueError(f"image mode (frame_index) takes single frames (T = 1) and has no temporal "
                             f"attention maps; got T = {frames}, return_attn = {return_attn}")
        emb = self.embed_conditions(timestep, fps, guidance, motion)  # (B, E), repeated per frame where used
        if self.cfg.text_embedding:
            # The mean over all L tokens, padding included: what cross-attention sees, with no mask input
            emb = emb + self.text_embed(context.mean(dim=1))  # (B, E)
        if self.cfg.frame_embedding:
            index = frame_index if image else torch.arange(frames, device=sample.device)
            per_frame = self.frame_embed(timestep_embedding(index, self.cfg.model_channels).to(emb))  # (T or B, E)
            emb = emb + per_frame if image else (emb[:, None] + per_frame[None]).reshape(b * frames, -1)  # (B*T, E)
        x = sample.transpose(1, 2).reshape(b * frames, c, h, w)  # (B*T, C, h, w)
        maps: list[torch.Tensor] = []
        ignored: list[torch.Tensor] = []
        skips = []
        for i, block in enumerate(self.input_blocks):
            x = block(x, emb, context, frames, False, ignored, not image)
            if i == 0 and self.cfg.init_attn and not image:
                x = self.init_attn(x, emb, context, frames, False, ignored)
            skips.append(x)
        x = self.middle_block(x, emb, context, frames, False, ignored, not image)
        for block in self.output_blocks:
            x = block(torch.cat([x, skips.pop()], dim=1), emb, context, frames, return_attn, maps, not image)
        out = self.out(x)  # (B*T, C, h, w)
        out = out.view(b, frames, -1, h, w).transpose(1, 2)  # (B, C, T, h, w)
        eps = self.v_to_epsilon(out, sample, timestep) if self.cfg.prediction == "v" else out
        return (eps, maps) if return_attn else eps

    def v_to_epsilon(self, v: torch.Tensor, sample: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
        """eps = sqrt(abar_t) v + sqrt(1 - abar_t) z_t, for v, z_t (B, C, T, h, w) and timestep (B,).

        abar_t is looked up by a one-hot match of the float timestep (|t - s| < 0.5) rather than a
        cast and gather: int64 indexing is what onnxruntime-web's WebGPU backend handles worst.
        """
        steps = torch.arange(self.v_abar.shape[0], dtype=torch.float32, device=v.device)  # (T,)
        one_hot = ((timestep.float()[:, None] - steps[None]).abs() < 0.5).to(v.dtype)  # (B, T)
        abar = (one_hot @ self.v_abar.to(v.dtype)).view(-1, 1, 1, 1, 1)  # (B, 1, 1, 1, 1)
        return abar.sqrt() * v + (1 - abar).sqrt() * sample
