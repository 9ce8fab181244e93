// VAE output -> RGBA8 frames. video is (1, 3, T, H, W) float in [-1, 1]; rgba is (T, H, W) u32,
// r | g << 8 | b << 16 | 255 << 24 (bytes R, G, B, A in memory). Per channel:
//   v = clamp((x + 1) / 2, 0, 1) in float32, byte = floor(v * 255 + 1/2)   (round half up)
// The byte is computed exactly in integers (unorm8), so every GPU and the twin frames_to_rgba.ts
// agree on every byte: no float rounding, nothing a compiler could fuse into an FMA.

struct Params {
  plane: u32,   // T * H * W: pixels per channel plane, and invocations
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> video: array<f32>;
@group(0) @binding(2) var<storage, read_write> rgba: array<u32>;

override WG: u32 = 64;

// floor(v * 255 + 1/2) for v in [0, 1]. With v = m * 2^-s (m the 24-bit significand, s >= 24 for
// v < 1), v * 255 + 1/2 = (255 m / 2^(s-1) + 1) / 2, and nested floors of exact integer shifts give
// the same result: ((255 m >> (s - 1)) + 1) >> 1. 255 m < 2^32, so nothing overflows.
fn unorm8(v: f32) -> u32 {
  if (v >= 1.0) { return 255u; }
  if (!(v > 0.0)) { return 0u; }  // also NaN
  let bits = bitcast<u32>(v);
  let s = 150u - (bits >> 23u);  // v < 1, so the sign bit is clear and s >= 24
  if (s > 32u) { return 0u; }    // v < 2^-9: v * 255 < 1/2 (subnormals too)
  let m = (bits & 0x007fffffu) | 0x00800000u;
  return (((255u * m) >> (s - 1u)) + 1u) >> 1u;
}

fn to_unit(x: f32) -> f32 {
  return clamp(x * 0.5 + 0.5, 0.0, 1.0);  // x * 0.5 is exact, so an FMA gives the same float
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WG;
  if (i >= params.plane) { return; }
  let r = unorm8(to_unit(video[i]));
  let g = unorm8(to_unit(video[i + params.plane]));
  let b = unorm8(to_unit(video[i + 2u * params.plane]));
  rgba[i] = r | (g << 8u) | (b << 16u) | (255u << 24u);
}
