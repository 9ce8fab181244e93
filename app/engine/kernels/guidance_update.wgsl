// Motion guidance folded into the network's epsilon, in place (T2V-Turbo-v2 / MotionClone):
//   eps <- eps - factor * grad,   factor = lambda * sqrt(1 - abar_t)   (computed in float64 on the CPU)
// grad is the motion_grad graph's dG/dz. Twin: guidance_update.ts.

struct Params {
  count: u32,   // latent elements
  factor: f32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> eps: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WG;
  if (i >= params.count) { return; }
  eps[i] = eps[i] - params.factor * grad[i];
}
