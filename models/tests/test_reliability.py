"""The companion's side of [OFFLINE-ROBUST], filling what test_config, test_train and
test_train_resume leave open: an infinite loss (not only NaN) stops training naming the step and the
term, and a training *process* killed with SIGKILL mid-run (not an exception raised between steps)
resumes with `--resume latest` to exactly the weights of an uninterrupted run with the same seed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from t2v_turbo.config import resolve_config
from t2v_turbo.train import checkpoint as ckpt
from t2v_turbo.train.loop import Stage, TrainingDiverged, train_stage
from t2v_turbo.train.vae import build_vae, dataset, frame_batch, vae_losses


def test_an_infinite_loss_term_stops_training_naming_step_and_term(tmp_path: Path):
    cfg = resolve_config("micro", overrides=["vae_training.steps=4", "vae_training.checkpoint_every=2"])
    torch.manual_seed(0)
    ds = dataset(cfg, "train")

    def loss_fn(model, batch, gen):
        step, frames = batch
        terms = vae_losses(model, frames, gen, cfg)
        if step + 1 == 3:  # the third step's edge term overflows
            terms["edge"] = terms["edge"] + float("inf")
            terms["loss"] = terms["loss"] + terms["edge"]
        return terms

    stage = Stage(
        kind="vae",
        model=build_vae(cfg),
        batch_fn=lambda step, rank, world: (step, frame_batch(ds, cfg, step, rank, world)),
        loss_fn=loss_fn,
    )
    with pytest.raises(TrainingDiverged, match=r"^step 3: loss term 'edge' is inf \(not finite\)"):
        train_stage(stage, cfg, cfg.vae_training, tmp_path)
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)] == ["step-000002"]
    assert not (tmp_path / "final").exists()


STEPS = 12
CLI = [
    sys.executable,
    "-m",
    "t2v_turbo",
    "train-vae",
    "--preset",
    "micro",
    "--set",
    f"vae_training.steps={STEPS}",
    "--set",
    "vae_training.checkpoint_every=4",
    "--set",
    "vae_training.keep_checkpoints=5",
]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def test_a_killed_training_process_resumes_to_the_same_weights(tmp_path: Path):
    straight, run = tmp_path / "straight", tmp_path / "killed"
    subprocess.run([*CLI, "--out", str(straight)], check=True, env=ENV, timeout=600, capture_output=True)

    # SIGKILL (no clean-up, no exception handler) once step 6 of 12 is logged: after the step-4
    # checkpoint, while the next steps are being computed.
    proc = subprocess.Popen(
        [*CLI, "--out", str(run)], env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if line.startswith("[vae] step 6/"):
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)
    assert not (run / "final").exists()
    saved = [int(p.name[5:]) for p in ckpt.list_checkpoints(run)]
    assert saved and 4 <= saved[-1] < STEPS

    resumed = subprocess.run(
        [*CLI, "--out", str(run), "--resume", "latest"],
        check=True,
        env=ENV,
        timeout=600,
        capture_output=True,
        text=True,
    )
    assert f"resuming from {run / 'checkpoints' / f'step-{saved[-1]:06d}'}" in resumed.stdout
    a = load_file(str(straight / "final" / "model.safetensors"))
    b = load_file(str(run / "final" / "model.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), f"{key} differs after the kill and resume"
