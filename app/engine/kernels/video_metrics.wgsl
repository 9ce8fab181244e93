// Per-frame-pair sums for the studio's video metrics (definitions in video_metrics.ts), exact in
// integers: each workgroup reduces one chunk of pixels of one frame pair (t, t + 1) and writes
// 8 u32 partial sums; the CPU adds the few partials after the one readback (in float64, exactly).
//   frames    (T, H, W) u32 RGBA8 (alpha ignored), values 0..255
//   partials  (T - 1, chunks, 8) u32, over the chunk's pixels and the R, G, B channels, with
//             a = x_t, b = x_{t+1}, p = x_{t-1}:
//     0 sum |b - a|          motion
//     1 sum |b - 2a + p|     flicker (pairs t >= 1 only; 0 for t = 0)
//     2 sum a   3 sum b   4 sum a^2   5 sum b^2   6 sum a b        Pearson correlation of x_t, x_{t+1}
//     7 0
// u32 cannot overflow: a chunk holds at most 16384 pixels and 16384 * 3 * 255^2 < 2^32.
// The tree reduction needs WG to be a power of two (WORKGROUP_SIZE in gpu/compute.ts is 64).

struct Params {
  frames: u32,        // T >= 2
  pixels: u32,        // H * W
  chunk_pixels: u32,  // pixels per workgroup, <= 16384
  chunks: u32,        // ceil(pixels / chunk_pixels)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> frames: array<u32>;
@group(0) @binding(2) var<storage, read_write> partials: array<u32>;

override WG: u32 = 64;

var<workgroup> low: array<vec4<u32>, WG>;   // sums 0..3
var<workgroup> high: array<vec4<u32>, WG>;  // sums 4..7

fn rgb(p: u32) -> vec3<i32> {
  return vec3<i32>(i32(p & 0xffu), i32((p >> 8u) & 0xffu), i32((p >> 16u) & 0xffu));
}

fn total(v: vec3<i32>) -> u32 {
  return u32(v.x + v.y + v.z);
}

@compute @workgroup_size(WG)
fn main(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let group = wid.x + wid.y * groups.x;
  let pair = group / params.chunks;
  let chunk = group % params.chunks;
  let in_range = pair + 1u < params.frames;  // the 2D grid may have a few spare workgroups

  var s_low = vec4<u32>(0u);
  var s_high = vec4<u32>(0u);
  if (in_range) {
    let start = chunk * params.chunk_pixels;
    let end = min(start + params.chunk_pixels, params.pixels);
    for (var i = start + lid; i < end; i += WG) {  // neighbouring invocations read neighbouring pixels
      let a = rgb(frames[pair * params.pixels + i]);
      let b = rgb(frames[(pair + 1u) * params.pixels + i]);
      s_low.x += total(abs(b - a));
      if (pair > 0u) {
        let p = rgb(frames[(pair - 1u) * params.pixels + i]);
        s_low.y += total(abs(b - 2 * a + p));
      }
      s_low.z += total(a);
      s_low.w += total(b);
      s_high.x += u32(dot(a, a));
      s_high.y += u32(dot(b, b));
      s_high.z += u32(dot(a, b));
    }
  }
  low[lid] = s_low;
  high[lid] = s_high;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      low[lid] += low[lid + stride];
      high[lid] += high[lid + stride];
    }
    workgroupBarrier();
  }
  if (in_range && lid == 0u) {
    let base = group * 8u;
    partials[base + 0u] = low[0].x;
    partials[base + 1u] = low[0].y;
    partials[base + 2u] = low[0].z;
    partials[base + 3u] = low[0].w;
    partials[base + 4u] = high[0].x;
    partials[base + 5u] = high[0].y;
    partials[base + 6u] = high[0].z;
    partials[base + 7u] = 0u;
  }
}
