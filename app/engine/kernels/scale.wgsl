// out = in * factor: the latent scale (divide by latent.scale before the VAE decoder, multiply
// after the encoder). Out of place, because the input is usually an ORT output the engine does
// not own. Twin: scale.ts.

struct Params {
  count: u32,
  factor: f32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WG;
  if (i >= params.count) { return; }
  output[i] = input[i] * params.factor;
}
