"""Consistency distillation: the teacher's DDIM solver step with CFG and motion guidance against its
closed form, the boundary condition f(z, 0) = z, w- and motion-embeddings, reward gradients that reach
the student and nothing frozen, batches that follow curation and the mixing policy, micro runs
(full, LoRA, EMA target) that give loadable students, and a 2-process DDP step with identical ranks."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from post_training_fixtures import micro_stack  # noqa: F401  (fixture)

from t2v_turbo.diffusion.lcm import boundary_scalings, distillation_grid
from t2v_turbo.diffusion.schedule import NoiseSchedule
from t2v_turbo.train import distill as D
from t2v_turbo.train.post_config import resolve_post_config
from t2v_turbo.train.teacher import load_teacher

ABAR = NoiseSchedule().alphas_cumprod()


class ToyTeacher(torch.nn.Module):
    """eps = 0.3 z + 0.1 t/1000 + mean(context): linear, so the solver's result has a closed form."""

    def forward(self, z, t, context, fps, guidance=None, motion=None):
        return 0.3 * z + 0.1 * t.view(-1, 1, 1, 1, 1) / 1000 + context.mean(dim=(1, 2)).view(-1, 1, 1, 1, 1)


def _toy_frozen() -> D.Frozen:
    return D.Frozen(teacher=ToyTeacher(), vae=None, latent_scale=1.0, rewards={}, target=None,
                    alphas_cumprod=ABAR, abar=torch.from_numpy(ABAR).float(), grid=distillation_grid(1000, 200))


def test_teacher_solver_step_is_ddim_with_cfg_and_motion_guidance_in_closed_form():
    post = resolve_post_config("micro", overrides=["motion.lambda_max=40"])
    g = torch.Generator().manual_seed(0)
    b, shape = 3, (4, 2, 3, 3)
    z = torch.randn(b, *shape, generator=g)
    t = torch.tensor([999, 704, 124])
    t_prev = t - 5
    batch = {
        "context": torch.randn(b, 5, 8, generator=g), "uncond": torch.randn(1, 5, 8, generator=g),
        "w": torch.tensor([5.0, 9.0, 15.0]), "motion": torch.tensor([0.5, 1.0, 1.0]),
        "guided": torch.tensor([True, True, False]), "cached": torch.tensor([True, True, False]),
        "grad": torch.randn(b, *shape, generator=g),
    }
    fps = torch.full((b,), 8.0)
    got, stats = D.teacher_solver(_toy_frozen(), batch, z, t, t_prev, fps, post)

    z64, grad64 = z.double().numpy(), batch["grad"].double().numpy()
    for i in range(b):
        ti, tp = int(t[i]), int(t_prev[i])
        eps_c = 0.3 * z64[i] + 0.1 * ti / 1000 + float(batch["context"][i].double().mean())
        eps_u = 0.3 * z64[i] + 0.1 * ti / 1000 + float(batch["uncond"][0].double().mean())
        eps = eps_c + float(batch["w"][i]) * (eps_c - eps_u)
        if batch["guided"][i]:
            eps = eps - float(batch["motion"][i]) * 40 * np.sqrt(1 - ABAR[ti]) * grad64[i]
        x0 = (z64[i] - np.sqrt(1 - ABAR[ti]) * eps) / np.sqrt(ABAR[ti])
        want = np.sqrt(ABAR[tp]) * x0 + np.sqrt(1 - ABAR[tp]) * eps
        np.testing.assert_allclose(got[i].double().numpy(), want, rtol=1e-4, atol=1e-4)
    assert stats["guidance_ratio"] > 0


def test_on_the_fly_guidance_equals_the_precomputed_gradient(micro_stack):  # noqa: F811
    teacher, cfg, _ = load_teacher(micro_stack.teacher)
    post = micro_stack.post()
    frozen = D.Frozen(teacher=teacher, vae=None, latent_scale=1.0, rewards={}, target=None,
                      alphas_cumprod=ABAR, abar=torch.from_numpy(ABAR).float(), grid=distillation_grid(1000, 50))
    g = torch.Generator().manual_seed(3)
    shape = (2, *cfg.latent_shape)
    x0, noise, ref_noise = (torch.randn(shape, generator=g) for _ in range(3))
    t = torch.tensor([899, 619])
    a = frozen.abar[t].view(-1, 1, 1, 1, 1)
    z_t = a.sqrt() * x0 + (1 - a).sqrt() * noise
    fps = torch.full((2,), 8.0)
    context = torch.randn(2, 48, 384, generator=g)
    grad, _ = D.motion_gradient(teacher, x0, z_t, t, context, fps, frozen.abar, post, ref_noise, ABAR)
    common = {"latents": x0, "context": context, "uncond": torch.zeros(1, 48, 384), "w": torch.tensor([7.0, 7.0]),
              "motion": torch.tensor([1.0, 0.5]), "guided": torch.tensor([True, True]), "ref_noise": ref_noise}
    cached, _ = D.teacher_solver(frozen, {**common, "cached": torch.tensor([True, True]), "grad": grad}, z_t, t,
                                 t - 20, fps, post)
    fresh, _ = D.teacher_solver(frozen, {**common, "cached": torch.tensor([False, False]),
                                         "grad": torch.zeros_like(grad)}, z_t, t, t - 20, fps, post)
    torch.testing.assert_close(fresh, cached)
    unguided, _ = D.teacher_solver(frozen, {**common, "guided": torch.tensor([False, False]),
                                            "cached": torch.tensor([False, False]), "grad": grad}, z_t, t, t - 20, fps, post)
    assert (unguided - cached).abs().max() > 1e-4


def test_consistency_function_meets_the_boundary_condition():
    g = torch.Generator().manual_seed(0)
    z, eps = torch.randn(2, 4, 2, 3, 3, generator=g), torch.randn(2, 4, 2, 3, 3, generator=g)
    abar = torch.from_numpy(ABAR).float()
    t0 = torch.zeros(2, dtype=torch.int64)
    assert torch.equal(D.consistency_fn(eps, z, t0, abar[t0]), z)  # f(z, 0) = z exactly
    c_skip, c_out = boundary_scalings(torch.tensor([0.0, 999.0]))
    assert c_skip[0] == 1 and c_out[0] == 0 and c_skip[1] < 1e-6 and abs(c_out[1] - 1) < 1e-6


def test_pseudo_huber():
    a, b = torch.tensor([0.0, 1.0, -2.0]), torch.tensor([0.0, 0.0, 0.0])
    want = (np.sqrt(np.array([0.0, 1.0, 4.0]) + 0.01**2) - 0.01).mean()
    assert D.pseudo_huber(a, b, 0.01).item() == pytest.approx(want)


def test_w_and_motion_embeddings_change_the_output_only_once_combine_proj_moves():
    from test_motion import micro_unet  # a micro UNet whose every layer is non-trivial

    teacher, cfg = micro_unet()
    g = torch.Generator().manual_seed(0)
    z = torch.randn(1, *cfg.latent_shape, generator=g)
    args = (torch.tensor([500.0]), torch.randn(1, 48, 384, generator=g), torch.tensor([8.0]))

    def out(net, w, m):
        return net(z, *args, torch.tensor([w]), torch.tensor([m]))

    assert torch.equal(out(teacher, 5.0, 0.0), out(teacher, 15.0, 1.0))  # the teacher ignores both
    student = D.copy.deepcopy(teacher)
    with torch.no_grad():
        student.combine_proj.weight.normal_(0, 1.0)
    base = out(student, 5.0, 0.0)
    scale = float(base.abs().max())
    assert (out(student, 15.0, 0.0) - base).abs().max() > 1e-2 * scale
    assert (out(student, 5.0, 1.0) - base).abs().max() > 1e-2 * scale
    # The report's figure for it: 0 for the teacher, the measured relative change for the student.
    from t2v_turbo.eval.report import w_response

    ctx, shape = args[1], tuple(cfg.latent_shape)
    assert w_response(teacher, ctx, shape, 8.0, 1.0, 5.0, 15.0, ABAR) == {"999": 0.0, "500": 0.0}
    moved = w_response(student, ctx, shape, 8.0, 0.0, 5.0, 15.0, ABAR, timesteps=(500,), seed=3)
    z[:] = torch.randn(1, *shape, generator=torch.Generator().manual_seed(3))
    a = float(ABAR[500])
    x0 = {w: (z - (1 - a) ** 0.5 * out(student, w, 0.0)) / a ** 0.5 for w in (5.0, 15.0)}
    expected = float((x0[15.0] - x0[5.0]).norm() / x0[5.0].norm())
    assert moved["500"] == pytest.approx(expected, rel=1e-4) and moved["500"] > 1e-2


def _stage(micro_stack, *overrides):  # noqa: F811
    post = micro_stack.post(*overrides)
    stage, cfg, frozen = D.student_stage(post, micro_stack.teacher, micro_stack.root / "cache")
    return stage, cfg, post, frozen


def test_reward_gradient_reaches_the_student_and_nothing_frozen(micro_stack):  # noqa: F811
    stage, cfg, post, loss_frozen = _stage(micro_stack)
    student = stage.model
    batch = stage.batch_fn(0, 0, 1)
    batch["reward"] = torch.ones_like(batch["reward"])
    x0 = batch["latents"]
    t = torch.from_numpy(loss_frozen.grid)[batch["n"]]
    a = loss_frozen.abar[t].view(-1, 1, 1, 1, 1)
    z_t = a.sqrt() * x0 + (1 - a).sqrt() * batch["noise"]
    eps = student(z_t, t.float(), batch["context"], torch.full((len(t),), 8.0), batch["w"], batch["motion"])
    pred = D.consistency_fn(eps, z_t, t, loss_frozen.abar[t])
    terms = D.reward_terms(loss_frozen, pred, batch, torch.Generator().manual_seed(0), post)
    assert set(terms) == {"r_image_text", "r_quality", "r_video_text", "reward_loss"}
    terms["reward_loss"].backward()
    grads = [p.grad for p in student.parameters() if p.grad is not None]
    assert grads and sum(float(g.abs().sum()) for g in grads) > 0
    for name, module in [("teacher", loss_frozen.teacher), ("vae", loss_frozen.vae),
                         *[(k, m) for k, m in loss_frozen.rewards.items()]]:
        for p in module.parameters():
            assert not p.requires_grad and p.grad is None, name


def test_batches_follow_curation_and_the_mixing_policy(micro_stack):  # noqa: F811
    stage, cfg, post, _ = _stage(micro_stack)
    cache = D.build_distill_cache(cfg, post, micro_stack.vae, None, micro_stack.root / "cache")
    kept = set(cache.pool(True).tolist())
    for step in range(4):
        batch = stage.batch_fn(step, 0, 1)
        assert set(batch["clips"].tolist()) <= kept
        styles = ["short" if bool(r) else "dense" for r in batch["reward"]]  # rewards exactly on short captions
        rows = cache.caption_rows[batch["clips"]]
        for i, style in enumerate(styles):
            want = rows[i, 0] if style == "short" else rows[i, 1]
            assert torch.equal(batch["context"][i], cache.contexts[want])
    again = stage.batch_fn(3, 0, 1)
    assert torch.equal(again["noise"], stage.batch_fn(3, 0, 1)["noise"])  # a pure function of the step


@pytest.mark.slow
@pytest.mark.parametrize("variant", [[], ["distill.lora_rank=2"], ["distill.target=ema", "motion.cache_draws=0"]],
                         ids=["full", "lora", "ema-target-on-the-fly-guidance"])
def test_micro_distillation_gives_a_loadable_student(micro_stack, tmp_path: Path, variant):  # noqa: F811
    post = micro_stack.post(*variant)
    final = D.train_student(post, micro_stack.teacher, tmp_path / "student", micro_stack.root / "cache")
    unet, cfg, extras = D.load_student(final)
    teacher, _, _ = load_teacher(micro_stack.teacher)
    assert extras["grid_steps"] == post.distill.num_ddim_timesteps and extras["motion_trained"]
    assert set(unet.state_dict()) == set(teacher.state_dict())
    assert torch.count_nonzero(unet.combine_proj.weight) > 0  # the student learned to read w and motion
    changed = sum(int(not torch.equal(a, b)) for a, b in zip(unet.state_dict().values(), teacher.state_dict().values(),
                                                             strict=True))
    assert changed > 0


DDP_SCRIPT = """
import hashlib, sys, torch
from pathlib import Path
sys.path.insert(0, {tests!r})
from post_training_fixtures import existing_stack
from t2v_turbo.train import distill as D
from t2v_turbo.train.loop import train_stage
stack = existing_stack(Path({root!r}))
post = stack.post("distill.training.steps=2", "distill.training.batch_size=2", "distill.training.checkpoint_every=2")
stage, cfg, _ = D.student_stage(post, stack.teacher, stack.root / "cache")
train_stage(stage, cfg, post.distill.training, Path({run!r}))
digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in stage.model.parameters())).hexdigest()
rank = torch.distributed.get_rank()
Path({run!r}, f"rank{{rank}}.sha").write_text(digest)
"""


@pytest.mark.slow
def test_two_process_ddp_step_gives_identical_weights(micro_stack, tmp_path: Path):  # noqa: F811
    script = tmp_path / "ddp.py"
    run = tmp_path / "run"
    script.write_text(DDP_SCRIPT.format(tests=str(Path(__file__).parent), root=str(micro_stack.root), run=str(run)))
    torchrun = Path(sys.executable).parent / "torchrun"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"}
    done = subprocess.run([str(torchrun), "--nproc_per_node", "2", "--master_port", "29517", str(script)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[:6000]
    digests = [(run / f"rank{r}.sha").read_text() for r in range(2)]
    assert digests[0] == digests[1]
    teacher, _, _ = load_teacher(micro_stack.teacher)
    start = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in teacher.parameters())).hexdigest()
    assert digests[0] != start  # the step did change the weights


def test_lora_merge_gives_the_same_network():
    from test_motion import micro_unet

    unet, cfg = micro_unet()
    lora = D.apply_lora(D.copy.deepcopy(unet), rank=2, alpha=4.0)
    with torch.no_grad():
        for name, p in lora.named_parameters():
            if "lora_" in name:
                p.normal_(0, 0.05)
    trainable = {n for n, p in lora.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or n.startswith(("time_cond_proj", "motion_cond_proj", "combine_proj"))
                             for n in trainable)
    merged = D.build_unet(cfg)
    merged.load_state_dict(D.merge_lora(lora.state_dict(), cfg, rank=2, alpha=4.0))
    g = torch.Generator().manual_seed(0)
    args = (torch.randn(1, *cfg.latent_shape, generator=g), torch.tensor([300.0]), torch.randn(1, 48, 384, generator=g),
            torch.tensor([8.0]), torch.tensor([7.5]), torch.tensor([0.5]))
    with torch.no_grad():
        torch.testing.assert_close(merged(*args), lora(*args), rtol=1e-4, atol=1e-5)
        assert (merged(*args) - unet(*args)).abs().max() > 1e-4  # the adapters did change the network
