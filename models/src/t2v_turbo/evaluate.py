"""Evidence that a teacher follows prompts: samples for the held-out EVAL_PROMPTS, automatic colour and
motion checks, loss curves, and a JSON summary (docs/COMPANION.md quotes it).

The automatic checks read pixels, not captions: each pixel is assigned to the nearest named colour
(within a radius), the prompt's colour must cover an object-sized share of the frame (not the whole
background) as one compact blob (not pixels scattered through a texture), and that colour's centroid and area over time give the motion: net displacement for
left/right/up/down, area growth for zooming, no net displacement for still/rotate/bounce. The same
measurement on rendered ground-truth clips calibrates it (its accuracy there is reported too).
Shapes are read by matching that colour's region against the renderer's outlines (eval/shape_check.py,
verified the same way); a model that draws blobs scores about chance there. The caption-swap probe (eval/caption_probe.py) adds how
much the denoiser reads each attribute word, which shows learning before samples follow a word.
"""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path

import numpy as np

from .data import EVAL_PROMPTS
from .data.vocabulary import COLORS, TEXT, TRANSLATIONS
from .eval.shape_check import (
    SHAPE_SEEDS,
    clip_shape,
    format_shape_check,
    shape_check,
    verify_shape_check,
)

COLOR_RADIUS = 60.0  # RGB distance within which a pixel counts as a named colour
MOVE_PX = 4.0  # net centroid displacement (px at 64x64) that counts as moving


def color_masks(frames: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """(T, H, W, 3) uint8 -> (T, H, W) index of the nearest named colour (-1 if none within the radius)."""
    names = list(COLORS)
    palette = np.array([COLORS[n] for n in names], dtype=np.float32)  # (K, 3)
    d = np.linalg.norm(frames[..., None, :].astype(np.float32) - palette, axis=-1)  # (T, H, W, K)
    idx = d.argmin(-1)
    idx[d.min(-1) > COLOR_RADIUS] = -1
    return idx, names


def measure_clip(frames: np.ndarray, color: str) -> dict:
    """Colour coverage and the motion of `color`'s pixels in a clip (T, H, W, 3) uint8."""
    idx, names = color_masks(frames)
    mask = idx == names.index(color)  # (T, H, W)
    t, h, w = mask.shape
    coverage = mask.mean(axis=(1, 2))  # (T,)
    scale = 64.0 / w  # report displacements in 64-px units whatever the size
    out = {"coverage": float(np.median(coverage)), "compactness": float(np.median(_compactness(mask)))}
    # The object: present in most frames, neither a speck nor the whole background, and one blob
    # rather than scattered pixels (noise textures contain every colour somewhere).
    out["color_ok"] = bool(
        0.002 < out["coverage"] < 0.3 and (coverage > 0.0005).mean() >= 0.75 and out["compactness"] >= 0.6
    )
    if not out["color_ok"]:
        out["motion"] = "unknown"
        return out
    ys, xs = np.mgrid[0:h, 0:w]
    area = mask.sum(axis=(1, 2)).clip(min=1)
    cx = (mask * xs).sum(axis=(1, 2)) / area
    cy = (mask * ys).sum(axis=(1, 2)) / area
    k = max(1, t // 4)
    dx = float((cx[-k:].mean() - cx[:k].mean()) * scale)
    dy = float((cy[-k:].mean() - cy[:k].mean()) * scale)
    growth = float(area[-k:].mean() / area[:k].mean())
    out.update(dx=dx, dy=dy, growth=growth)
    if max(abs(dx), abs(dy)) >= MOVE_PX:
        out["motion"] = (
            ("right" if dx > 0 else "left") if abs(dx) >= abs(dy) else ("down" if dy > 0 else "up")
        )
    elif growth > 1.3:
        out["motion"] = "zoom_in"
    elif growth < 1 / 1.3:
        out["motion"] = "zoom_out"
    else:
        out["motion"] = "in_place"  # still, rotate and bounce do not move the centroid on net
    return out


def soft_displacement(frames: np.ndarray, color: str) -> np.ndarray:
    """(T, H, W, 3) pixels in [0, 255] -> (dx, dy) in px at 64x64: the net motion of `color`.

    Each pixel's closeness to the colour, exp(-d^2 / 2 COLOR_RADIUS^2) of its RGB distance d, less the
    frame's median closeness (the background's, which would pull every centroid to the middle), weighs
    it; the weighted centroid of the last quarter of the frames minus that of the first quarter. Unlike
    measure_clip it needs no compact object, so it also reads the drift of a blurred prediction.
    """
    t, h, w, _ = frames.shape
    distance2 = ((frames.astype(np.float64) - np.array(COLORS[color])) ** 2).sum(-1)  # (T, H, W)
    close = np.exp(-distance2 / (2 * COLOR_RADIUS**2))
    weight = (close - np.median(close, axis=(1, 2), keepdims=True)).clip(min=0)  # (T, H, W)
    ys, xs = np.mgrid[0:h, 0:w]
    mass = weight.sum(axis=(1, 2)).clip(min=1e-12)  # (T,)
    # (T, 2) weighted centroid per frame
    centre = np.stack([(weight * xs).sum(axis=(1, 2)), (weight * ys).sum(axis=(1, 2))], -1) / mass[:, None]
    k = max(1, t // 4)
    return (centre[-k:].mean(0) - centre[:k].mean(0)) * (64.0 / w)


# top_drift's directed prompts: every colour moves every way; shapes rotate, so none pairs with one way.
DRIFT_PROMPTS = [
    (f"a {c} {('circle', 'square', 'star', 'triangle')[(i + j) % 4]} moving {d}", c, d)
    for i, c in enumerate(("red", "blue", "yellow", "white"))
    for j, d in enumerate(TRANSLATIONS)
]


def top_drift(denoise, decode, encode, abar, latent_shape, seeds: int = 3) -> dict:
    """Does the caption alone move the object? x0 from pure noise at the top timestep, per directed prompt.

    denoise(z (B, C, T, h, w), t (B,) float, context (B, L, D)) -> eps; decode(latents) -> video
    (B, 3, T, H, W) in [-1, 1]; encode(texts) -> context. For DRIFT_PROMPTS x `seeds` noise draws, the
    predicted x0 is decoded and its soft colour displacement taken along the asked direction (px at
    64x64). At the top, z_t carries nothing of a clip, so a denoiser can only place the object from the
    caption; the ODE sampler starts there, and its clips follow a direction word once this is clearly
    positive (docs/COMPANION.md: the demo data's own conditional means show ~14 px).
    """
    import torch

    from .diffusion.schedule import predicted_x0

    top = abar.shape[0] - 1
    context = encode([p for p, _, _ in DRIFT_PROMPTS])
    n = len(DRIFT_PROMPTS)
    along = []
    for seed in range(seeds):
        z = torch.randn((n, *latent_shape), generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            video = decode(predicted_x0(z, denoise(z, torch.full((n,), float(top)), context), abar[top]))
        frames = ((video.clamp(-1, 1) + 1) * 127.5).permute(0, 2, 3, 4, 1).cpu().numpy()  # (n, T, H, W, 3)
        for clip, (_, color, direction) in zip(frames, DRIFT_PROMPTS):
            along.append(float(soft_displacement(clip, color) @ np.array(TRANSLATIONS[direction])))
    se = float(np.std(along) / len(along) ** 0.5)
    return {"t": top, "px": float(np.mean(along)), "se": se, "clips": len(along)}


DIRECTION_SEEDS = (100, 200)  # the directed prompts' extra draws, apart from the main sample's seed 0 + i


def direction_check(render, seeds=DIRECTION_SEEDS) -> dict:
    """Do full samples move the way the direction word says? The held-out prompts that ask for
    left/right/up/down (seen, paraphrase, unseen combination), each drawn with every seed.

    render(prompts, seed) -> clips (T, H, W, 3) uint8, prompt i from seed + i. Of the clips whose colour
    is found (measure_clip), `hits` move the asked way; `cosine` is the cosine between the asked direction
    and the colour's net displacement (0 for one under 1 px), mean and standard error over those clips.
    """
    prompts = [p for p in EVAL_PROMPTS if p["motion"] in TRANSLATIONS]
    rows = []
    for seed in seeds:
        for i, (p, clip) in enumerate(zip(prompts, render([p["prompt"] for p in prompts], seed), strict=True)):
            m = measure_clip(clip, p["color"])
            row = {"prompt": p["prompt"], "kind": p["kind"], "seed": seed + i, "color_ok": m["color_ok"],
                   "motion": m["motion"], "hit": m["motion"] == p["motion"]}
            if m["color_ok"]:
                shift = np.array([m["dx"], m["dy"]])
                norm = float(np.linalg.norm(shift))
                row["cosine"] = float(shift @ np.array(TRANSLATIONS[p["motion"]])) / norm if norm > 1 else 0.0
            rows.append(row)

    def tally(chosen: list[dict]) -> dict:
        cos = [r["cosine"] for r in chosen if r["color_ok"]]
        return {"clips": len(chosen), "color_found": len(cos), "hits": sum(r["hit"] for r in chosen),
                "cosine": float(np.mean(cos)) if cos else 0.0,
                "cosine_se": float(np.std(cos) / len(cos) ** 0.5) if cos else 0.0}

    kinds = dict.fromkeys(r["kind"] for r in rows)
    return {"seeds": list(seeds), **tally(rows), "by_kind": {k: tally([r for r in rows if r["kind"] == k])
                                                               for k in kinds}, "results": rows}


def format_direction_check(check: dict) -> str:
    by_kind = "; ".join(f"{k} {v['hits']}/{v['color_found']}" for k, v in check["by_kind"].items())
    return (f"colour found in {check['color_found']} of {check['clips']} clips, {check['hits']} of those move "
            f"the asked way, cosine {check['cosine']:+.2f} ± {check['cosine_se']:.2f} ({by_kind})")


def _compactness(mask: np.ndarray) -> np.ndarray:
    """(T, H, W) bool -> (T,) share of each frame's mask inside its largest 8-connected component."""
    from scipy import ndimage

    shares = []
    for frame in mask:
        labels, n = ndimage.label(frame, structure=np.ones((3, 3)))
        if n == 0:
            shares.append(0.0)
            continue
        sizes = np.bincount(labels.ravel())[1:]
        shares.append(sizes.max() / sizes.sum())
    return np.array(shares)


def motion_ok(expected: str, measured: str) -> bool:
    if expected in ("still", "rotate", "bounce"):
        return measured == "in_place"
    return measured == expected


def single_object_clips(cfg, split: str, length: int):
    """(the object's attributes, frames (T, H, W, 3) uint8) of rendered clean clips with one plain shape
    (no word) under a still camera: the ground truth every pixel check is calibrated on."""
    from .train.vae import dataset

    ds = dataset(cfg, split, length=length, degrade_prob=0.0)
    for i in range(len(ds)):
        attrs, *_ = ds.item_attrs(i)
        objs = attrs["objects"]
        if len(objs) == 1 and not attrs["pan"] and objs[0]["shape"] != TEXT:
            yield objs[0], (ds[i]["video"].permute(1, 2, 3, 0).numpy() * 127.5 + 127.5).round().astype(np.uint8)


def calibrate(cfg, clips: int = 120) -> dict:
    """The checks on rendered val clips (one plain shape, no pan, clean): how often they agree with truth."""
    color_hits = motion_hits = n = 0
    for obj, frames in single_object_clips(cfg, "val", 4000):
        m = measure_clip(frames, obj["color"])
        color_hits += m["color_ok"]
        motion_hits += m["color_ok"] and motion_ok(obj["motion"], m["motion"])
        n += 1
        if n == clips:
            break
    return {"clips": n, "color_accuracy": color_hits / n, "motion_accuracy": motion_hits / n}


LEAK_TIMESTEPS = (900, 950, 999)  # how much of the clip z_t still shows, up to where sampling starts
OVERRIDE_T = 900  # where the layout is mostly noise: a caption that steers motion must act from here


def caption_override(unet, vae, latent_scale: float, encoder, cfg, latents, scenes, start: int = OVERRIDE_T,
                     steps: int = 50, guidance: float = 7.5, seed: int = 0) -> dict:
    """Does the caption, or the noisy clip, decide the motion? (SDEdit with a wrong direction.)

    Each held-out clip that moves left/right/up/down is noised to `start` (the teacher's training
    noise), then denoised (DDIM + CFG, the grid's steps <= start) once with its true short caption and
    once with the opposite direction. A teacher that follows motion words turns the second towards
    the caption ("steered"); one that reads the motion off z_t keeps the clip's own ("kept").
    latents (N, C, T, h, w), scaled; scenes from eval/caption_probe.probe_clips.
    """
    import dataclasses

    import torch

    from .data.captions import short_caption
    from .diffusion.ddim import cfg as guided
    from .diffusion.ddim import sample_ddim
    from .diffusion.multiscale_noise import multiscale_noise
    from .eval.caption_probe import OPPOSITE_MOTION
    from .sample import to_uint8
    from .train.teacher import noise_schedule

    abar = noise_schedule(cfg).alphas_cumprod()
    uncond = encoder.encode([""])[0].float()
    fps = torch.full((2,), float(cfg.geometry.fps))
    generator = torch.Generator().manual_seed(seed)
    counts = {"clips": 0, "true_followed": 0, "steered": 0, "kept": 0}
    for x0, scene in zip(latents, scenes, strict=True):
        obj = scene.objects[0]
        if obj.motion not in TRANSLATIONS:
            continue
        noise = multiscale_noise((1, *x0.shape), generator, cfg.teacher_training.multiscale_noise)
        z = float(np.sqrt(abar[start])) * x0[None] + float(np.sqrt(1 - abar[start])) * noise  # (1, C, T, h, w)
        opposite = dataclasses.replace(scene, objects=[dataclasses.replace(obj, motion=OPPOSITE_MOTION[obj.motion])])
        measured = []
        for caption in (short_caption(scene), short_caption(opposite)):
            both = torch.cat([encoder.encode([caption])[0].float(), uncond])  # (2, L, D)

            def eps_fn(zz, t, both=both):
                eps_c, eps_u = unet(torch.cat([zz, zz]), torch.full((2,), float(t)), both, fps).chunk(2)
                return guided(eps_c, eps_u, guidance)

            with torch.no_grad():
                out = sample_ddim(eps_fn, z, abar, steps, start=start)
                frames = to_uint8(vae.decode(out / latent_scale).clamp(-1, 1)[0])
            measured.append(measure_clip(frames, obj.color)["motion"])
        counts["clips"] += 1
        counts["true_followed"] += measured[0] == obj.motion
        counts["steered"] += measured[1] == OPPOSITE_MOTION[obj.motion]
        counts["kept"] += measured[1] == obj.motion
    return {"start": start, **counts}


def plot_losses(runs: dict[str, Path], path: Path) -> Path | None:
    """Loss curves from the runs' TensorBoard scalars (raw and smoothed) as one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    series = {}
    for name, run in runs.items():
        acc = EventAccumulator(str(Path(run) / "tb"))
        acc.Reload()
        # Tagged by the stage's kind ("teacher/loss" in every teacher stage), not by the folder's name.
        tags = [t for t in acc.Tags().get("scalars", []) if t.endswith("/loss")]
        if tags:
            events = acc.Scalars(tags[0])
            series[name] = (np.array([e.step for e in events]), np.array([e.value for e in events]))
    if not series:
        return None
    fig, axes = plt.subplots(1, len(series), figsize=(5 * len(series), 3.2), dpi=90)
    for ax, (name, (steps, values)) in zip(np.atleast_1d(axes), series.items(), strict=True):
        ax.plot(steps, values, alpha=0.35, label="logged")
        smooth = np.convolve(values, np.ones(9) / 9, mode="valid") if len(values) > 9 else values
        ax.plot(steps[len(steps) - len(smooth) :], smooth, label="moving average (9)")
        ax.set_title(f"{name} training loss")
        ax.set_xlabel("step")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def evaluate_teacher(
    teacher: str | Path,
    out: str | Path,
    kinds: list[str] | None = None,
    steps: int | None = None,
    guidance: float | None = None,
    seed: int | None = None,
    runs: dict[str, Path] | None = None,
    probe_only: bool = False,
    direction_seeds: tuple[int, ...] = DIRECTION_SEEDS,
    direction_only: bool = False,
    shape_seeds: tuple[int, ...] = SHAPE_SEEDS,
    shape_only: bool = False,
) -> dict:
    """Sample the eval prompts, check them, plot losses; writes grid_<kind>.png, mp4/, summary.json.

    probe_only: only the caption-swap probe (seconds, not minutes), e.g. to follow a training run.
    direction_seeds: the directed prompts are drawn again with these seeds (direction_check); () skips.
    direction_only: only that check (minutes), written to direction.json.
    shape_seeds: still prompts of every shape are drawn with these seeds (eval/shape_check.py); () skips.
    shape_only: only that check (minutes), written to shape.json.
    """
    import torch

    from .data.captions import short_caption
    from .eval.caption_probe import (
        PROBE_TIMESTEPS,
        caption_probe,
        format_probe,
        layout_leak,
        probe_clips,
        training_clip_probe,
        x0_error,
    )
    from .sample import sample_videos, to_uint8, write_grid, write_mp4
    from .train.teacher import load_teacher, load_text_encoder, noise_schedule
    from .train.vae import load_vae

    out = Path(out)
    unet, cfg, extras = load_teacher(teacher)
    torch.set_num_threads(cfg.teacher_training.num_threads)
    vae, scale, _ = load_vae(extras["vae"])
    vae_meta = (
        json.loads((Path(extras["vae"]) / "meta.json").read_text()) if Path(extras["vae"]).is_dir() else {}
    )
    encoder = load_text_encoder(cfg)
    s = cfg.sampling
    steps, guidance = steps or s.steps, s.guidance if guidance is None else guidance

    def render(texts: list[str], sd: int) -> list[np.ndarray]:
        return [to_uint8(v) for v in sample_videos(unet, vae, scale, encoder, texts, cfg, steps, guidance, sd)]

    def directions() -> dict:
        check = direction_check(render, direction_seeds)
        print(f"[eval] directed prompts, seeds {list(direction_seeds)}, {steps} DDIM steps, w={guidance}: "
              f"{format_direction_check(check)}", flush=True)
        return {"steps": steps, "guidance": guidance, **check}

    @functools.cache
    def shape_truth() -> dict | None:
        """The check's accuracy on rendered clips, measured on first use (seconds); None where objects are
        too small to have outlines."""
        try:
            return verify_shape_check(cfg)
        except ValueError as err:
            print(f"[eval] no shape check: {err}", flush=True)
            return None

    def shapes() -> dict | None:
        truth = shape_truth()
        if truth is None:
            return None
        drawn: list[np.ndarray] = []

        def render_kept(texts: list[str], sd: int) -> list[np.ndarray]:
            clips = render(texts, sd)
            drawn.extend(clips)
            return clips

        check = shape_check(render_kept, shape_seeds)
        first = len(drawn) // max(1, len(shape_seeds))  # the first seed's clips: every shape in every colour
        write_grid(drawn[:first], [f"{r['prompt']}\n[drawn: {r['drawn']}]" for r in check["results"][:first]],
                   out / "grid_shapes.png")
        print(f"[eval] still prompts of every shape, seeds {list(shape_seeds)}, {steps} DDIM steps, w={guidance}: "
              f"{format_shape_check(check)} (the check on rendered clips: "
              f"{truth['ground_truth_accuracy']:.0%} of {truth['ground_truth_clips']})", flush=True)
        return {"steps": steps, "guidance": guidance, **check}

    for only, name, check in ((direction_only, "direction", directions), (shape_only, "shape", shapes)):
        if only:
            out.mkdir(parents=True, exist_ok=True)
            summary = {"teacher": str(Path(teacher).resolve()), f"{name}_check": check()}
            (out / f"{name}.json").write_text(json.dumps(summary, indent=2))
            return summary
    latents, scenes = probe_clips(cfg, vae, scale)
    abar, multiscale = noise_schedule(cfg).alphas_cumprod_torch(), cfg.teacher_training.multiscale_noise

    def denoise(z, t, c):  # (B, C, T, h, w), (B,), (B, L, D) -> eps
        return unet(z, t, c, torch.full((z.shape[0],), float(cfg.geometry.fps)))

    def encode(texts: list[str]) -> torch.Tensor:  # (B, L, D)
        return encoder.encode(texts)[0].float()

    probe = caption_probe(denoise, encode, latents, scenes, abar, multiscale=multiscale)
    print(f"[eval] caption-swap probe on {len(scenes)} held-out clips, t=500/800/950: {format_probe(probe)}",
          flush=True)
    memorised = training_clip_probe(cfg, vae, scale, denoise, encode, abar, multiscale)
    print(f"[eval] the same on {memorised['clips']} training clips: {format_probe(memorised['caption_probe'])}; "
          f"x0 error at t=500/800/950: " + " / ".join(f"{memorised['x0_error'][f't={t}']:.3f}" for t in PROBE_TIMESTEPS)
          + " (a word read here and not on held-out clips is memorised, not learnt)", flush=True)
    empty = encode([""])
    leaks = [layout_leak(denoise, empty, latents, abar, timestep=t, multiscale=multiscale) for t in LEAK_TIMESTEPS]
    for leak in leaks:
        print(f"[eval] read from z_{leak['t']} with the empty caption (cosine with the clip): whole "
              f"{leak['clip']:.2f}, frame-averaged layout {leak['layout']:.2f}, per-frame motion "
              f"{leak['motion']:.2f}", flush=True)
    leak = leaks[-1]  # t = 999, where sampling starts
    errors = x0_error(denoise, encode([short_caption(scene) for scene in scenes]), latents, abar, multiscale=multiscale)
    print("[eval] x0 error with the true caption, " + ", ".join(f"{k} {v:.3f}" for k, v in errors.items())
          + " (predicting the mean latent)", flush=True)
    drift = top_drift(denoise, lambda z: vae.decode(z / scale), encode, abar, cfg.latent_shape)
    print(f"[eval] x0 from pure noise at t={drift['t']}: the object moves {drift['px']:+.2f} ± {drift['se']:.2f} "
          f"px the asked way ({drift['clips']} clips; only the caption can place it there)", flush=True)
    if probe_only:
        out.mkdir(parents=True, exist_ok=True)
        summary = {"teacher": str(Path(teacher).resolve()), "caption_probe": probe,
                   "training_clip_probe": memorised, "layout_leak": leak,
                   "layout_leak_by_t": leaks, "x0_error": errors, "top_drift": drift,
                   "probe_clips": len(scenes)}
        (out / "probe.json").write_text(json.dumps(summary, indent=2))
        return summary
    override = caption_override(unet, vae, scale, encoder, cfg, latents, scenes, steps=steps, guidance=guidance)
    print(f"[eval] opposite direction in the caption from t={override['start']}: steered {override['steered']} "
          f"of {override['clips']} clips, kept the clip's own motion in {override['kept']} (true caption: "
          f"{override['true_followed']} follow)", flush=True)
    seed = s.seed if seed is None else seed
    kinds = kinds or ["seen", "paraphrase", "unseen-combination"]
    prompts = [p for p in EVAL_PROMPTS if p["kind"] in kinds]

    t0 = time.time()
    videos = sample_videos(
        unet, vae, scale, encoder, [p["prompt"] for p in prompts], cfg, steps, guidance, seed
    )
    sample_s = time.time() - t0
    clips = [to_uint8(v) for v in videos]
    truth = shape_truth()
    results = []
    for i, (p, clip) in enumerate(zip(prompts, clips, strict=True)):
        m = measure_clip(clip, p["color"])
        m["motion_ok"] = bool(m["color_ok"] and motion_ok(p["motion"], m["motion"]))
        m["shape_drawn"] = clip_shape(clip, p["color"]) if m["color_ok"] and truth else None
        m["shape_ok"] = m["shape_drawn"] == p["shape"]
        slug = p["prompt"].replace(" ", "_")[:48]
        write_mp4(clip, out / "mp4" / f"{i:02d}_{slug}.mp4", cfg.geometry.fps, upscale=4)
        results.append({**p, **m})
    for kind in kinds:
        rows = [(c, r) for c, r in zip(clips, results, strict=True) if r["kind"] == kind]
        labels = [
            f"{r['prompt']}\n[colour {'ok' if r['color_ok'] else 'NO'}, "
            f"motion {'ok' if r['motion_ok'] else 'NO'}: {r['motion']}, shape {r['shape_drawn']}]"
            for _, r in rows
        ]
        write_grid([c for c, _ in rows], labels, out / f"grid_{kind}.png")

    def rate(key: str, kind: str | None = None) -> float:
        chosen = [r for r in results if kind is None or r["kind"] == kind]
        return sum(r[key] for r in chosen) / max(1, len(chosen))

    summary = {
        "teacher": str(Path(teacher).resolve()),
        "steps": steps,
        "guidance": guidance,
        "seed": seed,
        "sampling_seconds": sample_s,
        "seconds_per_clip": sample_s / max(1, len(prompts)),
        "color_accuracy": {k: rate("color_ok", k) for k in kinds} | {"all": rate("color_ok")},
        "motion_accuracy": {k: rate("motion_ok", k) for k in kinds} | {"all": rate("motion_ok")},
        "shape_accuracy": {k: rate("shape_ok", k) for k in kinds} | {"all": rate("shape_ok")} if truth else None,
        "checks_on_ground_truth": calibrate(cfg) | ({"shape_accuracy": truth["ground_truth_accuracy"]} if truth else {}),
        "shape_check_method": "best IoU with the renderer's outlines (eval/shape_check.py)" if truth else None,
        "caption_probe": probe,
        "training_clip_probe": memorised,
        "layout_leak": leak,
        "layout_leak_by_t": leaks,
        "x0_error": errors,
        "top_drift": drift,
        "caption_override": override,
        "direction_check": directions() if direction_seeds else None,
        "shape_check": shapes() if shape_seeds else None,
        "probe_clips": len(scenes),
        "vae": vae_meta.get("extras", {}),
        "results": results,
    }
    if runs:
        curve = plot_losses(runs, out / "loss_curves.png")
        summary["loss_curves"] = str(curve) if curve else None
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(
        f"[eval] {len(prompts)} prompts, {steps} DDIM steps, w={guidance}: colour "
        f"{summary['color_accuracy']['all']:.0%}, motion {summary['motion_accuracy']['all']:.0%}, "
        f"shape {format(rate('shape_ok'), '.0%') if truth else 'not checked'} "
        f"(checks on ground truth: {summary['checks_on_ground_truth']}); grids and MP4s -> {out}",
        flush=True,
    )
    return summary
