// Seeded standard-normal noise from a counter-based generator: Philox4x32-10 (Salmon et al.,
// "Parallel random numbers: as easy as 1, 2, 3", SC'11) and Box-Muller.
// Element i of stream s: pair p = i / 2, block = philox([p, s, 0, 0], [seed, 0]);
// z = sqrt(-2 ln u0) * (cos | sin)(2 pi u1) for even | odd i. Twin: noise.ts, noise.py.
// log, sin and cos are our own f32 polynomials, not the built-ins: Vulkan lets built-in sin/cos be
// off by 2^-11, which would make the same seed give different noise on different GPUs.
// Multiscale noise (levels > 0), for models trained on it: w0 * white + sum_l wl * level l, where
// level l is a (T >> l, h >> l, w >> l) grid per channel (at least 1 each) drawn with counter word
// 2 = l and read by nearest neighbour. It hides the coarse layout that the schedule's last noise
// level would leak (models/src/t2v_turbo/diffusion/multiscale_noise.py).

struct Params {
  count: u32,   // elements to write
  seed: u32,
  stream: u32,
  levels: u32,  // coarse levels; 0 = white noise
  frames: u32,  // the latent's (T, h, w) when levels > 0; its channels are count / (T h w)
  height: u32,
  width: u32,
  _pad: u32,
  w0: f32,      // weight of the white noise, then of levels 1..7
  w1: f32,
  w2: f32,
  w3: f32,
  w4: f32,
  w5: f32,
  w6: f32,
  w7: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

override WG: u32 = 64;

// High and low 32 bits of a 32x32-bit product, from 16-bit halves (WGSL has no u64).
fn mulhilo(a: u32, b: u32) -> vec2<u32> {
  let a_lo = a & 0xffffu; let a_hi = a >> 16u;
  let b_lo = b & 0xffffu; let b_hi = b >> 16u;
  let lo_lo = a_lo * b_lo;
  let hi_lo = a_hi * b_lo;
  let lo_hi = a_lo * b_hi;
  let hi_hi = a_hi * b_hi;
  let cross = (lo_lo >> 16u) + (hi_lo & 0xffffu) + (lo_hi & 0xffffu);
  let hi = hi_hi + (hi_lo >> 16u) + (lo_hi >> 16u) + (cross >> 16u);
  return vec2<u32>(hi, a * b);
}

fn philox(ctr_in: vec4<u32>, key_in: vec2<u32>) -> vec4<u32> {
  var c = ctr_in;
  var k = key_in;
  for (var r = 0u; r < 10u; r++) {
    let p0 = mulhilo(0xD2511F53u, c.x);
    let p1 = mulhilo(0xCD9E8D57u, c.z);
    c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    k = k + vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
  }
  return c;
}

// 24 random bits mapped to the open interval (0, 1); exact in f32.
fn unit(u: u32) -> f32 {
  return (f32(u >> 8u) + 0.5) * (1.0 / 16777216.0);
}

// ln(x) for x > 0 normal: x = m * 2^e, m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s), s = (m-1)/(m+1).
fn ln_f32(x: f32) -> f32 {
  var bits = bitcast<u32>(x);
  var e = i32((bits >> 23u) & 0xffu) - 127;
  var m = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);
  if (m > 1.41421356) { m = m * 0.5; e = e + 1; }
  let s = (m - 1.0) / (m + 1.0);
  let s2 = s * s;
  let series = s * (2.0 + s2 * (0.6666667 + s2 * (0.4 + s2 * (0.2857143 + s2 * 0.2222222))));
  return f32(e) * 0.6931472 + series;
}

// (cos, sin) of 2 pi u for u in [0, 1): quadrant k = floor(4u) is exact, the rest is a polynomial
// on [0, pi/2).
fn cos_sin_turn(u: f32) -> vec2<f32> {
  let q = u * 4.0;
  let k = u32(floor(q));
  let t = (q - f32(k)) * 1.5707964;
  let t2 = t * t;
  let c = 1.0 + t2 * (-0.5 + t2 * (0.041666668 + t2 * (-0.0013888889 + t2 * (0.0000248016 + t2 * -2.7557319e-7))));
  let s = t * (1.0 + t2 * (-0.16666667 + t2 * (0.008333334 + t2 * (-0.0001984127 + t2 * (2.7557319e-6 + t2 * -2.5052108e-8)))));
  switch k {
    case 0u: { return vec2<f32>(c, s); }
    case 1u: { return vec2<f32>(-s, c); }
    case 2u: { return vec2<f32>(-c, -s); }
    default: { return vec2<f32>(s, -c); }
  }
}

// Element j of (stream, level): the even or odd half of pair j / 2.
fn gaussian(j: u32, level: u32) -> f32 {
  let bits = philox(vec4<u32>(j >> 1u, params.stream, level, 0u), vec2<u32>(params.seed, 0u));
  let radius = sqrt(-2.0 * ln_f32(unit(bits.x)));
  let cs = cos_sin_turn(unit(bits.y));
  return radius * select(cs.y, cs.x, (j & 1u) == 0u);
}

// Element i of multiscale noise, given its white value.
fn multiscale(i: u32, white: f32) -> f32 {
  var weights = array<f32, 8>(params.w0, params.w1, params.w2, params.w3, params.w4, params.w5, params.w6, params.w7);
  let nt = params.frames;
  let nh = params.height;
  let nw = params.width;
  let x = i % nw;
  let y = (i / nw) % nh;
  let t = (i / (nw * nh)) % nt;
  let channel = i / (nw * nh * nt);
  var acc = weights[0] * white;
  for (var l = 1u; l <= params.levels; l++) {
    let ct = max(1u, nt >> l);
    let ch = max(1u, nh >> l);
    let cw = max(1u, nw >> l);
    let j = ((channel * ct + t * ct / nt) * ch + y * ch / nh) * cw + x * cw / nw;
    acc = acc + weights[l] * gaussian(j, l);
  }
  return acc;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  // One invocation writes one Box-Muller pair; 2D dispatch for tensors above 65535 * WG pairs.
  let pair = gid.x + gid.y * groups.x * WG;
  let i = pair * 2u;
  if (i >= params.count) { return; }
  let bits = philox(vec4<u32>(pair, params.stream, 0u, 0u), vec2<u32>(params.seed, 0u));
  let radius = sqrt(-2.0 * ln_f32(unit(bits.x)));
  let cs = cos_sin_turn(unit(bits.y));
  if (params.levels == 0u) {
    out[i] = radius * cs.x;
    if (i + 1u < params.count) { out[i + 1u] = radius * cs.y; }
  } else {
    out[i] = multiscale(i, radius * cs.x);
    if (i + 1u < params.count) { out[i + 1u] = multiscale(i + 1u, radius * cs.y); }
  }
}
