"""Two-process data-parallel training (gloo on CPU, as `accelerate launch`/torchrun would start it):
the ranks draw different clips, average gradients, and end each step with identical weights."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import torch
import torch.multiprocessing as mp
from safetensors.torch import load_file, save_file

from t2v_turbo.config import resolve_config
from t2v_turbo.train.loop import train_stage
from t2v_turbo.train.teacher import build_cache, load_text_encoder, teacher_stage
from t2v_turbo.train.vae import train_vae

OVERRIDES = [
    "teacher_training.steps=2",
    "teacher_training.checkpoint_every=2",
    "teacher_training.num_threads=1",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, vae: str, run: str, out: str) -> None:
    os.environ.update(
        {
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
            "RANK": str(rank),
            "WORLD_SIZE": str(world),
            "LOCAL_RANK": str(rank),
            "LOCAL_WORLD_SIZE": str(world),
        }
    )
    cfg = resolve_config("micro", overrides=OVERRIDES)
    stage = teacher_stage(cfg, run, vae)  # the cache exists: no rank re-encodes
    drawn = []
    batch_fn = stage.batch_fn

    def recording(step, r, w):
        batch = batch_fn(step, r, w)
        drawn.append(batch["index"].tolist())
        return batch

    stage.batch_fn = recording
    train_stage(stage, cfg, cfg.teacher_training, run)
    save_file(
        {k: v.contiguous() for k, v in stage.model.state_dict().items()}, f"{out}/rank{rank}.safetensors"
    )
    Path(f"{out}/rank{rank}.json").write_text(json.dumps(drawn))
    torch.distributed.destroy_process_group()


def test_two_rank_gloo_step_gives_identical_weights(tmp_path: Path):
    cfg = resolve_config("micro", overrides=OVERRIDES)
    vae = train_vae(resolve_config("micro"), tmp_path / "vae")
    build_cache(cfg, vae, load_text_encoder(cfg), tmp_path / "teacher" / "cache")
    mp.spawn(
        _worker,
        args=(2, _free_port(), str(vae), str(tmp_path / "teacher"), str(tmp_path)),
        nprocs=2,
        join=True,
    )

    w0, w1 = load_file(str(tmp_path / "rank0.safetensors")), load_file(str(tmp_path / "rank1.safetensors"))
    for key in w0:
        assert torch.equal(w0[key], w1[key]), f"{key} differs between ranks"
    drawn0 = json.loads((tmp_path / "rank0.json").read_text())
    drawn1 = json.loads((tmp_path / "rank1.json").read_text())
    assert len(drawn0) == len(drawn1) == 2 and drawn0 != drawn1  # each rank trained on its own slice
    final = load_file(str(tmp_path / "teacher" / "final" / "model.safetensors"))  # EMA, written by rank 0
    assert final.keys() == w0.keys()
    torch.manual_seed(cfg.teacher_training.seed)
    from t2v_turbo.train.teacher import build_unet

    init = build_unet(cfg).state_dict()
    assert any(not torch.equal(init[k], w0[k]) for k in w0)  # the step changed the weights
