// One multistep-consistency (LCM) step, in place on the latent z (Luo et al. 2023, LCM, Alg. 1).
// Maths: docs/MODEL_FORMAT.md "Sampler"; twins: lcm_step.ts, models/src/t2v_turbo/diffusion/lcm.py.
//   x0 = (z - sqrt(1 - abar_t) eps) / sqrt(abar_t)      the network's clean-latent estimate
//   d  = c_skip z + c_out x0                            the consistency function f(z, t)
//   z <- d                                              after the last step
//   z <- sqrt(abar_next) d + sqrt(1 - abar_next) noise  otherwise (re-noise to the next timestep)

struct Params {
  count: u32,             // latent elements
  last: u32,              // 1 after the last step: keep d, ignore noise
  sqrt_abar: f32,
  sqrt_one_minus_abar: f32,
  c_skip: f32,
  c_out: f32,
  next_sqrt_abar: f32,
  next_sqrt_one_minus_abar: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> z: array<f32>;
@group(0) @binding(2) var<storage, read> eps: array<f32>;
@group(0) @binding(3) var<storage, read> noise: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WG;
  if (i >= params.count) { return; }
  let zi = z[i];
  let x0 = (zi - params.sqrt_one_minus_abar * eps[i]) / params.sqrt_abar;
  let d = params.c_skip * zi + params.c_out * x0;
  if (params.last != 0u) {
    z[i] = d;
  } else {
    z[i] = params.next_sqrt_abar * d + params.next_sqrt_one_minus_abar * noise[i];
  }
}
