// RGBA8 frames -> normalised float pixels for a network: pick source frames by an index list,
// centre-crop to the output aspect, resize with an antialiased triangle filter, normalise per channel.
//   frames   (T_in, H_in, W_in) u32, r | g << 8 | b << 16 | a << 24 (alpha ignored)
//   indices  (T_out) u32: source frame of each output frame (strided selection, time windows)
//   output   (1, 3, T_out, H, W) or, with frame_major, (T_out, 3, H, W); float32
// Resize: the filter PIL and torch (`interpolate(..., mode='bilinear', antialias=True)`) use: output
// pixel i is centred at (i + 1/2) * scale in the crop (scale = crop / out source pixels per output
// pixel); the tent 1 - |d| / support with support = max(scale, 1) weighs source pixel centres, and
// the weights are normalised. Downscaling therefore averages over the whole footprint (no aliasing:
// 1080p to 64x64 uses ~34 x 34 taps); upscaling is plain bilinear. Normalise: value * mul + add,
// mul = 1 / (255 std), add = -mean / std, i.e. (x / 255 - mean) / std. Twin: resize_crop_normalize.ts.

struct Params {
  in_frames: u32,
  in_height: u32,
  in_width: u32,
  out_frames: u32,
  out_height: u32,
  out_width: u32,
  frame_major: u32,   // 1: (T_out, 3, H, W); 0: (1, 3, T_out, H, W)
  crop_x: u32,        // crop rectangle in source pixels (integer, centred)
  crop_y: u32,
  crop_width: u32,
  crop_height: u32,
  scale_x: f32,       // crop_width / out_width
  scale_y: f32,       // crop_height / out_height
  mul_r: f32,
  mul_g: f32,
  mul_b: f32,
  add_r: f32,
  add_g: f32,
  add_b: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> frames: array<u32>;
@group(0) @binding(2) var<storage, read> indices: array<u32>;
@group(0) @binding(3) var<storage, read_write> output: array<f32>;

override WG: u32 = 64;

// Source taps [first, end) of output pixel i along one axis, the filter centre and 1 / support.
struct Taps {
  first: u32,
  end: u32,
  center: f32,
  inv_support: f32,
}

fn taps(i: u32, scale: f32, size: u32) -> Taps {
  let support = max(scale, 1.0);
  let center = (f32(i) + 0.5) * scale;
  let first = u32(max(floor(center - support + 0.5), 0.0));
  let end = min(u32(max(floor(center + support + 0.5), 0.0)), size);
  return Taps(first, end, center, 1.0 / support);
}

fn tent(j: u32, t: Taps) -> f32 {
  return max(0.0, 1.0 - abs(f32(j) + 0.5 - t.center) * t.inv_support);
}

fn rgb(p: u32) -> vec3<f32> {
  return vec3<f32>(f32(p & 0xffu), f32((p >> 8u) & 0xffu), f32((p >> 16u) & 0xffu));
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * WG;
  let plane = params.out_height * params.out_width;
  if (i >= params.out_frames * plane) { return; }
  let t = i / plane;
  let y = (i % plane) / params.out_width;
  let x = i % params.out_width;

  // Out-of-range indices are rejected on the CPU; clamping here only keeps reads in bounds.
  let src = min(indices[t], params.in_frames - 1u);
  let ty = taps(y, params.scale_y, params.crop_height);
  let tx = taps(x, params.scale_x, params.crop_width);
  var sum = vec3<f32>(0.0);
  var weight_y = 0.0;
  for (var sy = ty.first; sy < ty.end; sy++) {
    let wy = tent(sy, ty);
    let row = (src * params.in_height + params.crop_y + sy) * params.in_width + params.crop_x;
    var row_sum = vec3<f32>(0.0);
    for (var sx = tx.first; sx < tx.end; sx++) {
      row_sum += tent(sx, tx) * rgb(frames[row + sx]);
    }
    sum += wy * row_sum;
    weight_y += wy;
  }
  var weight_x = 0.0;
  for (var sx = tx.first; sx < tx.end; sx++) { weight_x += tent(sx, tx); }
  let value = sum / (weight_y * weight_x);  // 0..255 per channel

  let normalised = value * vec3<f32>(params.mul_r, params.mul_g, params.mul_b)
    + vec3<f32>(params.add_r, params.add_g, params.add_b);
  // Channel stride and frame stride of the two layouts.
  let channel_stride = select(params.out_frames * plane, plane, params.frame_major != 0u);
  let frame_stride = select(plane, 3u * plane, params.frame_major != 0u);
  let base = t * frame_stride + y * params.out_width + x;
  output[base] = normalised.x;
  output[base + channel_stride] = normalised.y;
  output[base + 2u * channel_stride] = normalised.z;
}
