// A picture of motion for the reference panel. For each pair of consecutive RGBA8 frames and each
// output pixel: m = mean of |x_t - x_{t-1}| over the pixel's source box and the R, G, B channels
// (x in [0, 1]), v = clamp(gain * m, 0, 1), coloured by a viridis-like ramp (dark blue = still,
// yellow = strong motion), opaque.
//   frames  (T, H_in, W_in) u32 RGBA8
//   map     (T - 1, H, W) u32 RGBA8; map t shows the change from frame t to frame t + 1
// Source box of output pixel (y, x): rows [y H_in / H, (y + 1) H_in / H) (integer division; at
// least one row), columns likewise: an area average, so large frames do not alias.
// Twin: motion_map.ts (colours may differ by 1 in a byte: float rounding of the interpolation).

struct Params {
  frames: u32,       // T >= 2
  in_height: u32,
  in_width: u32,
  out_height: u32,
  out_width: u32,
  gain: f32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> frames: array<u32>;
@group(0) @binding(2) var<storage, read_write> map: array<u32>;

override WG: u32 = 64;

// viridis at 0, 1/8, ..., 1 (sRGB bytes); keep in step with RAMP in motion_map.ts.
const RAMP = array<vec3<f32>, 9>(
  vec3<f32>(68.0, 1.0, 84.0),
  vec3<f32>(71.0, 45.0, 123.0),
  vec3<f32>(59.0, 82.0, 139.0),
  vec3<f32>(44.0, 114.0, 142.0),
  vec3<f32>(33.0, 145.0, 140.0),
  vec3<f32>(40.0, 174.0, 128.0),
  vec3<f32>(94.0, 201.0, 98.0),
  vec3<f32>(173.0, 220.0, 48.0),
  vec3<f32>(253.0, 231.0, 37.0),
);

fn abs_diff_rgb(p: u32, q: u32) -> u32 {
  let a = vec3<i32>(i32(p & 0xffu), i32((p >> 8u) & 0xffu), i32((p >> 16u) & 0xffu));
  let b = vec3<i32>(i32(q & 0xffu), i32((q >> 8u) & 0xffu), i32((q >> 16u) & 0xffu));
  let d = abs(a - b);
  return u32(d.x + d.y + d.z);
}

fn colour(v: f32) -> u32 {
  let s = clamp(v, 0.0, 1.0) * 8.0;
  let k = min(u32(s), 7u);
  let c = RAMP[k] + (RAMP[k + 1u] - RAMP[k]) * (s - f32(k));
  let rgb = vec3<u32>(floor(c + 0.5));
  return rgb.x | (rgb.y << 8u) | (rgb.z << 16u) | (255u << 24u);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WG;
  let plane = params.out_height * params.out_width;
  if (i >= (params.frames - 1u) * plane) { return; }
  let t = i / plane + 1u;  // map i / plane compares frames t - 1 and t
  let y = (i % plane) / params.out_width;
  let x = i % params.out_width;

  let y0 = y * params.in_height / params.out_height;
  let y1 = max((y + 1u) * params.in_height / params.out_height, y0 + 1u);
  let x0 = x * params.in_width / params.out_width;
  let x1 = max((x + 1u) * params.in_width / params.out_width, x0 + 1u);
  let in_plane = params.in_height * params.in_width;
  var sum = 0u;  // exact: at most 765 per source pixel
  for (var sy = y0; sy < y1; sy++) {
    let row = sy * params.in_width;
    for (var sx = x0; sx < x1; sx++) {
      sum += abs_diff_rgb(frames[t * in_plane + row + sx], frames[(t - 1u) * in_plane + row + sx]);
    }
  }
  let mean = f32(sum) / f32(765u * (y1 - y0) * (x1 - x0));
  map[i] = colour(params.gain * mean);
}
