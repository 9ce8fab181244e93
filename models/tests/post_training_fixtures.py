"""A micro VAE, teacher, reward models and student for the post-training tests, trained once per session.

Import the fixtures into a test module (`from post_training_fixtures import micro_stack`); the
stack is built on first use (about half a minute on 2 cores) and shared by every module through a
module-level cache, so each test file does not retrain it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from t2v_turbo.config import Config, resolve_config
from t2v_turbo.train.post_config import PostConfig, resolve_post_config

KINDS = ("image_text", "quality", "video_text")


@dataclass
class MicroStack:
    root: Path
    cfg: Config
    vae: Path
    teacher: Path
    rewards: dict[str, Path]

    def post(self, *overrides: str) -> PostConfig:
        paths = [f"reward_loss.{k}_path={p}" for k, p in self.rewards.items()]
        return resolve_post_config("micro", overrides=[*paths, *overrides])


_STACKS: dict[Path, MicroStack] = {}


def build_stack(root: Path) -> MicroStack:
    if root in _STACKS:
        return _STACKS[root]
    from t2v_turbo.train.rewards import train_reward
    from t2v_turbo.train.teacher import train_teacher
    from t2v_turbo.train.vae import train_vae

    torch.set_num_threads(2)
    cfg = resolve_config("micro")
    vae = train_vae(cfg, root / "vae")
    teacher = train_teacher(cfg, root / "teacher", vae)
    post = resolve_post_config("micro")
    rewards = {k: train_reward(k, cfg, post, root / "rewards" / k) for k in KINDS}
    _STACKS[root] = MicroStack(root, cfg, vae, teacher, rewards)
    return _STACKS[root]


def existing_stack(root: Path) -> MicroStack:
    """The stack build_stack wrote under root, without training anything (for subprocesses)."""
    return MicroStack(root, resolve_config("micro"), root / "vae" / "final", root / "teacher" / "final",
                      {k: root / "rewards" / k / "final" for k in KINDS})


@pytest.fixture(scope="session")
def micro_stack(tmp_path_factory) -> MicroStack:
    return build_stack(tmp_path_factory.getbasetemp() / "post-training-stack")
