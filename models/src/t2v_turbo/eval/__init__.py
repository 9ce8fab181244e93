"""Evaluation of post-training: video metrics (as the studio computes them), reward scores, the
ablation report (docs/POST_TRAINING.md) and the one-command reproduction of the demo student."""
