"""Training stages on one shared loop (loop.py): the VAE (vae.py) and the teacher (teacher.py).

Later stages (consistency distillation) plug into the same `train_stage` with their own Stage.
"""
