// Top-1 mask of temporal attention maps (MotionClone; T2V-Turbo-v2 motion guidance): for each row
// (one query frame of one pixel and head) keep only the largest entry along the key-frame axis.
//   attn (rows, T) f32 -> mask (rows, T) f32: 1.0 at the row's argmax (the first one on ties), else 0.
// One invocation per row; T is small (16). Twin: top1_mask.ts.

struct Params {
  rows: u32,
  cols: u32,   // T, key frames
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> attn: array<f32>;
@group(0) @binding(2) var<storage, read_write> mask: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = gid.x + gid.y * groups.x * WG;
  if (row >= params.rows) { return; }
  let base = row * params.cols;
  var best = 0u;
  var best_value = attn[base];
  for (var c = 1u; c < params.cols; c++) {
    let v = attn[base + c];
    if (v > best_value) { best = c; best_value = v; }  // strict: the first maximum wins ties
  }
  for (var c = 0u; c < params.cols; c++) {
    mask[base + c] = select(0.0, 1.0, c == best);
  }
}
