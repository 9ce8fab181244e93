"""Companion package of the browser studio: T2V-Turbo-v2 post-training at demo scale, and export.

Modules (see docs/ARCHITECTURE.md for the map):
  data/      procedural promo clips with captions, curation and mixing
  nets/      text encoder (MiniLM), VAE, VideoCrafter2-family 3D UNet, reward models
  diffusion/ noise schedule, DDIM solver, LCM scalings, samplers
  train/     teacher and VAE training, consistency distillation with rewards and motion guidance
  export/    ONNX graphs, manifest, browser packages, reference sampler over a package
"""

__version__ = "0.1.0"
