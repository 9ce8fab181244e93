"""Benchmarks of the native side and the renderer of docs/BENCHMARKS.md (`python -m t2v_turbo bench`).

stats     medians and spreads of repeated timings, and the machine's state when they were taken
graphs    the package's student UNet exported at other static shapes, the teacher's CFG graph,
          and a MatMul probe (the runtime's best dense-GEMM rate, for kernel efficiency)
native    onnxruntime (Python) timings of those graphs and of the package's reference sampler
training  clips/s of the real training step functions (teacher, distillation variants)
flops     FLOPs per network pass (counted on the meta device) and the on-paper GPU estimate
serve     the reference sampler behind a JSON-lines pipe, so `npm run bench` can interleave
          browser and native runs
render    docs/BENCHMARKS.md and its plots from docs/bench/browser.json and native.json
"""
