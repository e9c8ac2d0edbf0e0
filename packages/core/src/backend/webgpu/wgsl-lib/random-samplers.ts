import { lgamma } from "../../../special/scalar/index.js";
import { f32Lit as F } from "./format.js";
import type { LibFn } from "./registry.js";

/**
 * The rejection and inversion samplers of random/{gamma,poisson,binomial,truncated-normal,
 * discrete}.ts in WGSL (float32). Every sampler takes `s = (key hi, key lo, element i)` and
 * reads draw m of element i as the Threefry block of counter (m, i), consuming draws in the
 * same order as the cpu sampler (also on rejected attempts), so for one key most draws equal
 * the cpu's up to float32 rounding; an accept/reject test or a floor can come out the other way
 * when its float32 operands land within rounding of the boundary.
 *
 * Where float32 would lose what float64 keeps, the same quantity is evaluated another way:
 * 1 − u comes from the complemented bits (exact), the Poisson / binomial location is split into
 * an integer and a fractional part so `floor` sees the fraction, and the log-pmf of the exact
 * tests uses Loader's saddle-point form (Stirling error + deviance `bd0`) instead of lgamma
 * differences that cancel in float32.
 *
 * Loops are bounded. Rejection loops stop after a fixed number of attempts (each sampler's
 * acceptance is ≥ 0.49 and the bounds are 64 or 128 attempts, so reaching one has probability
 * below 1e-30 for valid parameters) and return the last proposal that lay in the support (a
 * draw from the proposal, not the target; documented per sampler). Invalid parameters, which the cpu samplers reject
 * with a RangeError, give NaN (-1 for categorical; an integer output dtype stores what WGSL's
 * conversion of NaN gives).
 */

/** Stirling-series error lgamma(k + 1) − (k + ½) log k + k − ½ log 2π for k = 0..15 (k = 0: 0, unused). */
const STIRLERR_TABLE = Array.from({ length: 16 }, (_, k) =>
  k === 0 ? 0 : lgamma(k + 1) - (k + 0.5) * Math.log(k) + k - 0.5 * Math.log(2 * Math.PI),
);

export const RANDOM_SAMPLERS_LIB: Record<string, LibFn> = {
  rng_at: {
    // Draw d of element s.z under the key (s.x, s.y).
    code: "fn rng_at(s: vec3<u32>, d: u32) -> vec2<u32> { return rng_threefry(s.x, s.y, d, s.z); }",
  },
  rng_half: {
    // One draw as (us, U) with U = u − ½ and us = ½ − |U| = min(u, 1 − u), the smaller side
    // taken from the complemented bits (exact) and the side from the top bit (u > ½ exactly).
    code: `fn rng_half(w: vec2<u32>) -> vec2<f32> {
  let hi = (w.x >> 31u) == 1u;
  let us = rng_u01(select(w, ~w, hi));
  return vec2<f32>(us, select(us - 0.5, 0.5 - us, hi));
}`,
  },
  rng_stirlerr: {
    // lgamma(k + 1) − (k + ½) log k + k − ½ log 2π for integer k ≥ 1: a table to 15, then the
    // Stirling series (next term 1/(1188 k⁹) < 1e-13).
    code: `fn rng_stirlerr(k: f32) -> f32 {
  if (k <= 15.0) {
    var t = array<f32, 16>(${STIRLERR_TABLE.map((x) => F(Math.fround(x))).join(", ")});
    return t[u32(k)];
  }
  let r = 1.0 / k;
  let r2 = r * r;
  return r * (0.08333333333333333 - r2 * (0.002777777777777778 - r2 * (7.936507936507937e-4 - r2 * 5.952380952380953e-4)));
}`,
  },
  rng_bd0: {
    // Loader's deviance x log(x/M) + M − x, given d = x − M computed accurately by the caller:
    // a series in v = d/(x + M) when |d| < 0.1 (x + M) (|v| < 0.1, so ≤ 8 terms reach float32
    // precision; capped at 20), else direct.
    code: `fn rng_bd0(x: f32, M: f32, d: f32) -> f32 {
  if (x == 0.0) { return M; }
  if (abs(d) < 0.1 * (x + M)) {
    let v = d / (x + M);
    let v2 = v * v;
    var s = d * v;
    var ej = 2.0 * x * v;
    for (var j = 3.0; j < 43.0; j += 2.0) {
      ej *= v2;
      let s1 = s + ej / j;
      if (s1 == s) { break; }
      s = s1;
    }
    return s;
  }
  return x * log(x / M) - d;
}`,
  },
  rng_mt: {
    // Marsaglia–Tsang Gamma(a, 1), a ≥ 1 (random/gamma.ts marsagliaTsang) from draw d0 on: per
    // attempt two draws for the Box–Muller z, and one for u unless 1 + c z ≤ 0. The exact test's
    // d (1 − v + ln v) is evaluated as d (3 log1pmx(x) − x² (3 + x)) with x = c z, v = (1 + x)³,
    // which has no float32 cancellation for large d. At most 64 attempts (acceptance ≥ 0.95);
    // then the last proposal d v.
    code: `fn rng_mt(s: vec3<u32>, d0: u32, a: f32) -> f32 {
  let d = a - 0.3333333333333333;
  let c = 1.0 / sqrt(9.0 * d);
  var di = d0;
  var last = d;
  for (var it = 0u; it < 64u; it++) {
    let z = rng_normal_from(rng_at(s, di), rng_at(s, di + 1u));
    di += 2u;
    let x = c * z;
    let t = 1.0 + x;
    if (t <= 0.0) { continue; }
    let v = t * t * t;
    let u = rng_u01(rng_at(s, di));
    di += 1u;
    let z2 = z * z;
    if (u < 1.0 - 0.0331 * z2 * z2) { return d * v; }
    if (log(u) < 0.5 * z2 + d * (3.0 * sp_log1pmx(x) - x * x * (3.0 + x))) { return d * v; }
    last = d * v;
  }
  return last;
}`,
  },
  rng_gamma: {
    // random/gamma.ts gammaDraw: a ≥ 1 Marsaglia–Tsang from draw 0; a < 1 the boost
    // Gamma(a + 1) · u^(1/a) with u draw 0 and the Gamma(a + 1) from draw 1 on.
    code: `fn rng_gamma(s: vec3<u32>, a: f32) -> f32 {
  if (sp_isnan(a) || sp_isinf(a) || a <= 0.0) { return sp_nan(); }
  if (a >= 1.0) { return rng_mt(s, 0u, a); }
  let u = rng_u01(rng_at(s, 0u));
  return rng_mt(s, 1u, a + 1.0) * exp(log(u) / a);
}`,
  },
  rng_poisson_logpmf: {
    // log(μ^k e^−μ / k!) = −bd0(k, μ) − ½ log(2πk) − stirlerr(k) (Loader), dk = k − μ.
    code: `fn rng_poisson_logpmf(k: f32, mu: f32, dk: f32) -> f32 {
  if (k == 0.0) { return -mu; }
  return -rng_bd0(k, mu, dk) - 0.5 * log(6.283185307179586 * k) - rng_stirlerr(k);
}`,
  },
  rng_poisson: {
    // random/poisson.ts: μ < 10 sequential-search inversion from draw 0 (capped at 256 steps;
    // the float32 cdf stops growing after ~40), μ ≥ 10 Hörmann's PTRS, two draws per attempt,
    // at most 64 attempts (acceptance ≈ 0.87), then the last proposal k ≥ 0 (or ⌊μ⌋).
    // k = ⌊μ⌋ + ⌊(2a/us + b) U + (μ − ⌊μ⌋) + 0.43⌋ keeps the fraction that μ + 0.43 would round.
    code: `fn rng_poisson(s: vec3<u32>, mu: f32) -> f32 {
  if (sp_isnan(mu) || sp_isinf(mu) || mu < 0.0) { return sp_nan(); }
  if (mu < 10.0) {
    let u = rng_u01(rng_at(s, 0u));
    var p = exp(-mu);
    var cdf = p;
    var k = 0.0;
    for (var it = 0u; it < 256u; it++) {
      if (!(u > cdf)) { break; }
      k += 1.0;
      p *= mu / k;
      let next = cdf + p;
      if (next == cdf) { break; }
      cdf = next;
    }
    return k;
  }
  let logMu = log(mu);
  let smu = sqrt(mu);
  let b = 0.931 + 2.53 * smu;
  let a = -0.059 + 0.02483 * b;
  let logInvAlpha = log(1.1239 + 1.1328 / (b - 3.4));
  let vr = 0.9277 - 3.6224 / (b - 2.0);
  let mi = floor(mu);
  let mf = mu - mi;
  var last = mi;
  var di = 0u;
  for (var it = 0u; it < 64u; it++) {
    let h = rng_half(rng_at(s, di));
    let V = rng_u01(rng_at(s, di + 1u));
    di += 2u;
    let us = h.x;
    let k = mi + floor((2.0 * a / us + b) * h.y + (mf + 0.43));
    if (us >= 0.07 && V <= vr) { return k; }
    if (k < 0.0 || (us < 0.013 && V > us)) { continue; }
    if (log(V) + logInvAlpha - log(a / (us * us) + b) <= rng_poisson_logpmf(k, mu, (k - mi) - mf)) { return k; }
    last = k;
  }
  return last;
}`,
  },
  rng_mul_split: {
    // n p as (integer part, fraction) for an integer n < 2^24 and p in [0, 1]: both split in
    // 12-bit halves so the four partial products are exact, each split at its floor (exact).
    code: `fn rng_mul_split(n: f32, p: f32) -> vec2<f32> {
  let nu = u32(n);
  let nh = f32(nu & 0xfffff000u);
  let nl = f32(nu & 0xfffu);
  let ph = bitcast<f32>(bitcast<u32>(p) & 0xfffff000u);
  let pl = p - ph;
  let t = vec4<f32>(nh * ph, nh * pl, nl * ph, nl * pl);
  let ti = floor(t);
  let tf = t - ti;
  return vec2<f32>((ti.x + ti.y) + (ti.z + ti.w), (tf.x + tf.y) + (tf.z + tf.w));
}`,
  },
  rng_binom_logpmf: {
    // log C(n, k) p^k q^(n−k) in Loader's form, dk = k − n p: stirlerr(n) − stirlerr(k) −
    // stirlerr(n − k) − bd0(k, np) − bd0(n − k, nq) + ½ log(n / (2π k (n − k))).
    code: `fn rng_binom_logpmf(k: f32, n: f32, p: f32, q: f32, dk: f32) -> f32 {
  if (k == 0.0) { return n * sp_log1p(-p); }
  if (k == n) { return n * log(p); }
  let nk = n - k;
  return rng_stirlerr(n) - rng_stirlerr(k) - rng_stirlerr(nk) - rng_bd0(k, n * p, dk) - rng_bd0(nk, n * q, -dk)
    + 0.5 * log(n / (6.283185307179586 * k * nk));
}`,
  },
  rng_binomial_inv: {
    // random/binomial.ts binomialInversion (p ≤ ½, n p < 10) from draw 0; capped at 1024 steps
    // (the pmf underflows to 0 long before: past ~100 for means below 10).
    code: `fn rng_binomial_inv(s: vec3<u32>, n: f32, p: f32) -> f32 {
  let q = 1.0 - p;
  let odds = p / q;
  let a = (n + 1.0) * odds;
  var r = exp(n * sp_log1p(-p));
  var u = rng_u01(rng_at(s, 0u));
  var x = 0.0;
  for (var it = 0u; it < 1024u; it++) {
    if (!(u > r)) { break; }
    u -= r;
    x += 1.0;
    if (x >= n) { return n; }
    r *= a / x - odds;
    if (r <= 0.0) { break; }
  }
  return x;
}`,
  },
  rng_binomial_btrs: {
    // random/binomial.ts binomialBtrs (p ≤ ½, n p ≥ 10): two draws per attempt, at most 64
    // attempts (acceptance ≥ ~0.8), then the last proposal in [0, n] (or the mode). The exact
    // test compares with log(f(k) / f(m)), f the pmf in Loader's form; the location n p + ½ is
    // split by rng_mul_split so floor sees its fraction.
    code: `fn rng_binomial_btrs(s: vec3<u32>, n: f32, p: f32) -> f32 {
  let q = 1.0 - p;
  let spq = sqrt(n * p * q);
  let b = 1.15 + 2.53 * spq;
  let a = -0.0873 + 0.0248 * b + 0.01 * p;
  let vr = 0.92 - 4.2 / b;
  let logAlpha = log((2.83 + 5.1 / b) * spq);
  let np = rng_mul_split(n, p);
  let m = np.x + floor(np.y + p);
  let lfm = rng_binom_logpmf(m, n, p, q, (m - np.x) - np.y);
  var last = m;
  var di = 0u;
  for (var it = 0u; it < 64u; it++) {
    let h = rng_half(rng_at(s, di));
    let V = rng_u01(rng_at(s, di + 1u));
    di += 2u;
    let us = h.x;
    let k = np.x + floor((2.0 * a / us + b) * h.y + (np.y + 0.5));
    if (k < 0.0 || k > n) { continue; }
    if (us >= 0.07 && V <= vr) { return k; }
    let lhs = log(V) + logAlpha - log(a / (us * us) + b);
    if (lhs <= rng_binom_logpmf(k, n, p, q, (k - np.x) - np.y) - lfm) { return k; }
    last = k;
  }
  return last;
}`,
  },
  rng_binomial: {
    // random/binomial.ts: p > ½ is n minus a draw with 1 − p (exact in float32); n = 0 or p = 0
    // gives 0 without draws. n must be an integer (float32-exact below 2^24).
    code: `fn rng_binomial(s: vec3<u32>, n: f32, p: f32) -> f32 {
  if (sp_isnan(n) || sp_isinf(n) || n < 0.0 || floor(n) != n || sp_isnan(p) || p < 0.0 || p > 1.0) { return sp_nan(); }
  let flip = p > 0.5;
  let pp = select(p, 1.0 - p, flip);
  var x = 0.0;
  if (n == 0.0 || pp == 0.0) { x = 0.0; }
  else if (n * pp < 10.0) { x = rng_binomial_inv(s, n, pp); }
  else { x = rng_binomial_btrs(s, n, pp); }
  return select(x, n - x, flip);
}`,
  },
  rng_tn_tail: {
    // random/truncated-normal.ts upperTail: N(0, 1) on [a, b], a ≥ 0, b possibly +∞ (bInf):
    // exponential proposal with Robert's rate by inversion (for b = ∞, −log(1 − u) from the
    // complemented bits), two draws per attempt, at most 128 attempts (acceptance ≥ e^−½), then
    // the last proposal.
    code: `fn rng_tn_tail(s: vec3<u32>, a: f32, b: f32, bInf: bool) -> f32 {
  let lam = 0.5 * (a + sqrt(a * a + 4.0));
  var mass = 1.0;
  var logM = 0.0;
  if (!bInf) {
    mass = -sp_expm1(-lam * (b - a));
    if (lam > b) { logM = -0.5 * (b - lam) * (b - lam); }
  }
  var last = a;
  var di = 0u;
  for (var it = 0u; it < 128u; it++) {
    let w = rng_at(s, di);
    var e = 0.0;
    if (bInf) { e = -log(rng_u01(~w)); } else { e = -sp_log1p(-rng_u01(w) * mass); }
    var z = a + e / lam;
    if (!bInf && z > b) { z = b; }
    let v = rng_u01(rng_at(s, di + 1u));
    di += 2u;
    let dz = z - lam;
    if (log(v) <= -0.5 * dz * dz - logM) { return z; }
    last = z;
  }
  return last;
}`,
  },
  rng_tn_straddle: {
    // random/truncated-normal.ts straddle (a < 0 < b): normal rejection when b − a ≥ √(2π)
    // (either bound infinite included), else a uniform proposal; two draws per attempt, at most
    // 128 attempts (acceptance ≥ 0.49), then 0.
    code: `fn rng_tn_straddle(s: vec3<u32>, a: f32, b: f32, aInf: bool, bInf: bool) -> f32 {
  var di = 0u;
  if (aInf || bInf || b - a >= 2.5066282746310002) {
    for (var it = 0u; it < 128u; it++) {
      let z = rng_normal_from(rng_at(s, di), rng_at(s, di + 1u));
      di += 2u;
      if ((aInf || z >= a) && (bInf || z <= b)) { return z; }
    }
    return 0.0;
  }
  for (var it = 0u; it < 128u; it++) {
    let z = a + (b - a) * rng_u01(rng_at(s, di));
    let v = rng_u01(rng_at(s, di + 1u));
    di += 2u;
    if (log(v) <= -0.5 * z * z) { return z; }
  }
  return 0.0;
}`,
  },
  rng_truncated_normal: {
    // random/truncated-normal.ts: lower = upper gives lower; [a, b] with a ≥ 0 the upper tail,
    // b ≤ 0 the reflected tail, else the straddle. Bounds ±∞ are tested by their bits.
    code: `fn rng_truncated_normal(s: vec3<u32>, a: f32, b: f32) -> f32 {
  let aInf = sp_isinf(a);
  let bInf = sp_isinf(b);
  if (sp_isnan(a) || sp_isnan(b) || (aInf && a > 0.0) || (bInf && b < 0.0) || a > b) { return sp_nan(); }
  if (a == b) { return a; }
  if (a >= 0.0) { return rng_tn_tail(s, a, b, bInf); }
  if (b <= 0.0) { return -rng_tn_tail(s, -b, -a, aInf); }
  return rng_tn_straddle(s, a, b, aInf, bInf);
}`,
  },
  rng_categorical: {
    // random/discrete.ts categorical with one row of K logits per element, read from binding B0
    // (the sampler plan's only input) at s.z · K: the first category whose running softmax
    // weight exceeds u · total, u draw 0, at most the last category of positive weight. Three
    // passes (max, total, search) instead of stored cumulative sums; the total and the search
    // add the same float32 terms in the same order. A row with NaN, +∞ or no finite logit gives −1.
    code: `fn rng_categorical(s: vec3<u32>, K: u32) -> f32 {
  let base = s.z * K;
  var mx = -sp_inf();
  var bad = false;
  for (var j = 0u; j < K; j++) {
    let l = f32(B0[base + j]);
    if (sp_isnan(l) || (sp_isinf(l) && l > 0.0)) { bad = true; }
    if (l > mx) { mx = l; }
  }
  if (bad || sp_isinf(mx)) { return -1.0; }
  var total = 0.0;
  var last = 0u;
  for (var j = 0u; j < K; j++) {
    let l = f32(B0[base + j]);
    let w = select(exp(l - mx), 0.0, sp_isinf(l));
    if (w > 0.0) { last = j; }
    total += w;
  }
  let t = rng_u01(rng_at(s, 0u)) * total;
  var acc = 0.0;
  for (var j = 0u; j < K; j++) {
    let l = f32(B0[base + j]);
    acc += select(exp(l - mx), 0.0, sp_isinf(l));
    if (acc > t) { return f32(min(j, last)); }
  }
  return f32(last);
}`,
  },
};
