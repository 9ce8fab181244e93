"""The training loop every stage shares: accelerate, AdamW with warm-up, EMA, clipping, a NaN guard,
TensorBoard scalars, tqdm, rotating safetensors checkpoints and exact resumption.

Determinism: a stage supplies `batch_fn(step, rank, world)` and `loss_fn(model, batch, generator)`,
where the generator is seeded from (seed, step, rank). Nothing depends on iterator state, so a run
resumed from a checkpoint replays exactly the batches and noise an uninterrupted run would have
drawn, and reaches the same weights (tests/test_train_resume.py).

One process here; `accelerate launch` or `torchrun` start several (gloo on CPU, nccl on GPUs), each
rank drawing its own slice of every global batch.
"""

from __future__ import annotations

import copy
import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..config import Config, LoggingConfig, TrainingConfig, config_from_dict
from . import checkpoint as ckpt


class TrainingDiverged(RuntimeError):
    """A loss term or the gradient norm became NaN/inf; the last good checkpoint is kept."""


class SimulatedInterrupt(RuntimeError):
    """Raised by `interrupt_after` (tests): the process 'dies' between two checkpoints."""


@dataclass
class Stage:
    """What a training stage plugs into the loop."""

    kind: str  # "vae", "teacher", ...: recorded in checkpoints
    model: nn.Module
    batch_fn: Callable[[int, int, int], Any]  # (step, rank, world) -> this rank's batch
    loss_fn: Callable[[nn.Module, Any, torch.Generator], dict[str, torch.Tensor]]  # terms, incl. "loss"
    frozen: list[str] = field(default_factory=list)  # parameter-name prefixes left out of training
    extras: dict[str, Any] = field(default_factory=dict)  # stored in every checkpoint (e.g. latent_scale)
    lr_scale: dict[str, float] = field(default_factory=dict)  # module name -> multiple of the stage's rate


def step_generator(seed: int, step: int, rank: int) -> torch.Generator:
    """An independent, reproducible stream per (seed, step, rank)."""
    state = np.random.SeedSequence([seed, step, rank]).generate_state(2, dtype=np.uint32)
    return torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))


def batch_rng(seed: int, step: int) -> np.random.Generator:
    """The global batch's draw at `step` (identical on every rank, which then takes its slice)."""
    return np.random.default_rng([seed, step, 0x5EED])


def process_state():
    """accelerate's process state (rank, world, main_process_first), set up as make_accelerator does.

    accelerate only treats torchrun's environment as multi-process CPU training when cpu=True, and
    its state is a process-wide singleton: whoever creates it first must pass the same flag.
    """
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())


def make_accelerator(tcfg: TrainingConfig):
    from accelerate import Accelerator

    process_state()
    return Accelerator(cpu=not torch.cuda.is_available(), mixed_precision=tcfg.mixed_precision)


def _freeze(model: nn.Module, prefixes: list[str]) -> list[tuple[str, nn.Parameter]]:
    trainable = []
    for name, p in model.named_parameters():
        if any(name.startswith(pre) for pre in prefixes):
            p.requires_grad_(False)
        elif p.requires_grad:
            trainable.append((name, p))
    return trainable


def param_groups(named: list[tuple[str, nn.Parameter]], lr: float, lr_scale: dict[str, float]) -> list[dict]:
    """AdamW groups: a parameter inside a module named in lr_scale (at any depth, so LoRA-wrapped
    names match too) trains at that multiple of lr; the rest at lr. One group when lr_scale is empty,
    so checkpoints of stages without it keep their optimizer layout."""
    def scale(name: str) -> float:
        parts = name.split(".")
        return next((s for module, s in lr_scale.items() if module in parts[:-1]), 1.0)

    by_scale: dict[float, list[nn.Parameter]] = {}
    for name, p in named:
        by_scale.setdefault(scale(name), []).append(p)
    return [{"params": ps, "lr": lr * s} for s, ps in sorted(by_scale.items())]


def lr_factor(tcfg: TrainingConfig, step: int) -> float:
    """The learning rate's multiplier at `step`: a linear warm-up, then 1, then a linear fall to 0 over the
    last `cooldown_steps` (the last step trains at 1 / cooldown_steps of the rate, not 0)."""
    warm = min(1.0, (step + 1) / max(1, tcfg.warmup_steps))
    if tcfg.cooldown_steps <= 0:
        return warm
    return min(warm, (tcfg.steps - step) / tcfg.cooldown_steps)


class EMA:
    """Exponential moving average of the weights, with the usual warm-up min(d, (1 + n) / (10 + n))."""

    def __init__(self, model: nn.Module, decay: float):
        self.decay = decay
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self.updates = 0

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for e, p in zip(self.model.parameters(), model.parameters(), strict=True):
            e.lerp_(p.detach(), 1.0 - d)
        for e, b in zip(self.model.buffers(), model.buffers(), strict=True):
            e.copy_(b)


def train_stage(
    stage: Stage,
    cfg: Config,
    tcfg: TrainingConfig,
    run_dir: str | Path,
    resume: str | None = None,
    logging: LoggingConfig | None = None,
    interrupt_after: int | None = None,
) -> Path:
    """Train `stage` for tcfg.steps; returns <run_dir>/final (weights for the next stage)."""
    torch.set_num_threads(tcfg.num_threads)
    logging = logging or cfg.logging
    run_dir = Path(run_dir)
    accelerator = make_accelerator(tcfg)
    main = accelerator.is_main_process
    rank, world = accelerator.process_index, accelerator.num_processes

    # 1. Parameters, optimizer (AdamW, beta1 0.9) and a linear warm-up to a constant rate.
    model = stage.model
    named = _freeze(model, stage.frozen)
    trainable = [p for _, p in named]
    ema = EMA(model, tcfg.ema_decay) if tcfg.ema_decay > 0 else None
    start = 0
    resume_from = ckpt.resolve_resume(run_dir, resume)
    train_state = None
    # Training seconds so far, kept with each checkpoint so that a resumed run reports its whole cost.
    seconds_before = ckpt.train_seconds(resume_from) if resume_from is not None else 0.0
    if resume_from is not None:
        _check_same_model(resume_from, cfg)
        train_state = ckpt.load_checkpoint(resume_from, model, ema.model if ema else None)
        start = int(train_state["step"])
        if ema is not None:
            ema.updates = int(train_state.get("ema_updates", start))
    optimizer = torch.optim.AdamW(
        param_groups(named, tcfg.lr, stage.lr_scale), lr=tcfg.lr, betas=(0.9, tcfg.adam_beta2),
        weight_decay=tcfg.weight_decay,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, functools.partial(lr_factor, tcfg))
    ddp_model, optimizer = accelerator.prepare(model, optimizer)
    if train_state is not None:
        optimizer.load_state_dict(train_state["optimizer"])
        scheduler.load_state_dict(train_state["scheduler"])

    # 2. Outputs: the resolved config, TensorBoard, a progress bar, and where everything goes.
    writer = None
    if main:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.json").write_text(cfg.to_json())
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(run_dir / "tb"))
        where = f"resuming from {resume_from}" if resume_from else "from scratch"
        print(
            f"[{stage.kind}] {tcfg.steps} steps, {world} process(es), {where}; "
            f"checkpoints -> {run_dir / 'checkpoints'}, TensorBoard -> {run_dir / 'tb'}",
            flush=True,
        )
    from tqdm.auto import tqdm

    bar = tqdm(
        total=tcfg.steps,
        initial=start,
        desc=stage.kind,
        disable=not (main and logging.progress),
        dynamic_ncols=True,
        mininterval=5.0,
    )

    # 3. The loop.
    last_terms: dict[str, float] = {}
    last_saved = resume_from
    t_log, n_log = time.time(), 0
    t_start = t_log
    ddp_model.train()
    for step in range(start, tcfg.steps):
        batch = stage.batch_fn(step, rank, world)
        generator = step_generator(tcfg.seed, step, rank)
        with accelerator.autocast():
            terms = stage.loss_fn(ddp_model, batch, generator)
        _guard(accelerator, terms, step + 1)
        accelerator.backward(terms["loss"])
        grad_norm = accelerator.clip_grad_norm_(trainable, tcfg.grad_clip)
        _guard(accelerator, {"grad_norm": torch.as_tensor(grad_norm)}, step + 1)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        if ema is not None:
            ema.update(model)
        done = step + 1
        n_log += 1
        bar.update(1)

        if done % logging.log_every == 0 or done == tcfg.steps:
            reduced = {k: accelerator.reduce(v.detach().float(), "mean").item() for k, v in terms.items()}
            last_terms = reduced
            if main:
                rate = n_log / max(1e-9, time.time() - t_log)
                for k, v in reduced.items():
                    writer.add_scalar(f"{stage.kind}/{k}", v, done)
                writer.add_scalar(f"{stage.kind}/grad_norm", float(grad_norm), done)
                writer.add_scalar(f"{stage.kind}/lr", scheduler.get_last_lr()[0], done)
                writer.add_scalar(f"{stage.kind}/steps_per_s", rate, done)
                bar.set_postfix(loss=f"{reduced['loss']:.4f}", it_s=f"{rate:.2f}")
                if not logging.progress:
                    print(
                        f"[{stage.kind}] step {done}/{tcfg.steps} "
                        + " ".join(f"{k}={v:.4g}" for k, v in reduced.items()),
                        flush=True,
                    )
            t_log, n_log = time.time(), 0

        if interrupt_after is not None and done == interrupt_after:
            bar.close()
            raise SimulatedInterrupt(f"interrupted after step {done}")

        if done % tcfg.checkpoint_every == 0 or done == tcfg.steps:
            accelerator.wait_for_everyone()
            if main:
                state = {
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "ema_updates": ema.updates if ema else 0,
                }
                meta = {"losses": last_terms, "extras": stage.extras, "wall_time": time.time(),
                        "train_seconds": seconds_before + time.time() - t_start}
                ckpt.save_checkpoint(
                    run_dir,
                    done,
                    stage.kind,
                    cfg,
                    model,
                    ema.model if ema else None,
                    state,
                    meta,
                    tcfg.keep_checkpoints,
                    tcfg.keep_every,
                )
            last_saved = run_dir / "checkpoints" / f"step-{done:06d}"
            accelerator.wait_for_everyone()
    bar.close()
    if writer is not None:
        writer.close()
    if last_saved is None:
        raise RuntimeError(f"[{stage.kind}] nothing to do: no checkpoint and steps={tcfg.steps}")
    final = run_dir / "final"
    if main:
        final = ckpt.write_final(run_dir, ckpt.list_checkpoints(run_dir)[-1])
        print(f"[{stage.kind}] done: weights for the next stage -> {final}", flush=True)
    accelerator.wait_for_everyone()
    return final


def _guard(accelerator, terms: dict[str, torch.Tensor], step: int) -> None:
    """Stop every rank when any rank sees a non-finite term, naming the step and the term."""
    names = sorted(terms, key=lambda n: n == "loss")  # blame a component before the total it feeds
    bad = torch.tensor([0.0 if torch.isfinite(terms[n].detach()).all() else 1.0 for n in names])
    if accelerator.num_processes > 1:
        bad = accelerator.reduce(bad.to(accelerator.device), "sum").cpu()
    if bad.any():
        name = names[int(torch.nonzero(bad)[0])]
        value = terms[name].detach().float().flatten()[0].item()
        raise TrainingDiverged(
            f"step {step}: loss term '{name}' is {value} (not finite); stopped without saving, "
            "the last good checkpoint is kept. Lower the learning rate or check the data."
        )


_MODEL_SECTIONS = ("geometry", "text", "vae", "unet", "schedule")


def _check_same_model(checkpoint: Path, cfg: Config) -> None:
    # Through the config classes: an option added since the checkpoint was saved takes its default.
    saved = config_from_dict(json.loads((checkpoint / "config.json").read_text())).to_dict()
    now = cfg.to_dict()
    for section in _MODEL_SECTIONS:
        if saved.get(section) != now[section]:
            raise ValueError(
                f"cannot resume from {checkpoint}: its '{section}' config differs from this run's "
                f"({saved.get(section)} vs {now[section]})"
            )
