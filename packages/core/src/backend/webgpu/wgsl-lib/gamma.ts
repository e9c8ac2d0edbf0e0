import {
  DIGAMMA_ASYMPTOTIC_COEFFS,
  DIGAMMA_NEGATIVE_ROOTS,
  DIGAMMA_ROOT_HI,
  DIGAMMA_ROOT_TAYLOR_COEFFS,
  HALF_LOG_2PI,
  LGAMMA_NEGATIVE_ROOTS,
  LGAMMA_SERIES_COEFFS,
  LGAMMA_STIRLING_COEFFS,
  LOG_PI,
  NEGATIVE_ROOT_RADIUS,
  type RootTaylor,
  SHIFT_DIFF_DIRECT_MAX,
  TRIGAMMA_ASYMPTOTIC_COEFFS,
} from "../../../special/scalar/index.js";
import { f32Lit as F, hornerWgsl } from "./format.js";
import type { LibFn } from "./registry.js";

/**
 * log Γ, ψ, ψ′, their count-aware shift differences, log y! and log B in WGSL (float32), from
 * the same coefficient tables as special/scalar (interpolated here). WGSL has no recursion,
 * so reflections call a positive-argument helper. Float64 thresholds are scaled to float32.
 */
const M = SHIFT_DIFF_DIRECT_MAX;

/**
 * The Taylor forms about the tabulated negative zeros (special/scalar/root-taylor.ts) as WGSL
 * statements returning from the enclosing function, 12 terms (float32 accuracy at |t| ≤ 0.05).
 * t = x − hi is exact (hi the root rounded to f32); the remainder lo of the root enters as the
 * first-order correction −lo·(c₁ + 2c₂t) (its square is ~1e-14). It is not subtracted from t:
 * the shader compiler may reassociate (x − hi) − lo into x − (hi + lo), which rounds lo away.
 */
const nearRootsWgsl = (roots: readonly RootTaylor[]) =>
  roots
    .map((r) => {
      const hi = Math.fround(r.hi);
      const lo = r.hi - hi + r.lo;
      const [c1 = 0, c2 = 0] = r.coeffs;
      const series = `${hornerWgsl(r.coeffs.slice(0, 12), "t")} * t`;
      const shift = `fma(${F(-2 * lo * c2)}, t, ${F(-lo * c1)})`;
      return `{ let t = x - ${F(hi)}; if (abs(t) <= ${F(NEGATIVE_ROOT_RADIUS)}) { return ${series} + ${shift}; } }`;
    })
    .join("\n  ");

/**
 * Statements returning f(a) − f(b) through one call site of f, a loop of two evaluations:
 * shader compilers inline every call site, and SwiftShader compiles each copy (the reflection
 * and negative-root tables of log Γ or ψ are most of a kernel's code). Bit for bit the
 * subtraction of the two calls.
 */
const differenceOnce = (f: string, a: string, b: string) =>
  `var d = 0.0; for (var i = 0; i < 2; i++) { let v = ${f}(select(${b}, ${a}, i == 0)); d = select(d - v, v, i == 0); } return d;`;

/** Σ_{k≥1} c_k z^k (the even-power tail of an asymptotic series). */
const evenTail = (c: readonly number[], z: string) => `(${hornerWgsl(c, z)} * ${z})`;

export const GAMMA_LIB: Record<string, LibFn> = {
  sp_lgamma_around2: {
    code: `fn sp_lgamma_around2(t: f32) -> f32 { return ${hornerWgsl(LGAMMA_SERIES_COEFFS.slice(0, 16), "t")} * t; }`,
  },
  sp_lgamma_stirling: {
    code: `fn sp_lgamma_stirling(x: f32) -> f32 { let r = 1.0 / x; let z = r * r; return ${hornerWgsl(LGAMMA_STIRLING_COEFFS.slice(0, 4), "z")} * r; }`,
  },
  // The functions below call each series once, their arguments selected per branch: shader
  // compilers inline every call site, and SwiftShader (whose SIMD lanes run both sides of a
  // branch) compiles each copy, so a kernel of betainc's gradient held ~50 copies of the
  // log Γ series and took ~15 s to compile. Each branch computes what it did before, bit for bit.
  sp_lgamma_pos: {
    // Also defined on (−0.5, 0), for sp_lgamma: log|x| there.
    code: `fn sp_lgamma_pos(x: f32) -> f32 {
  if (!(x < 10.0)) { return (x - 0.5) * (log(x) - 1.0) - 0.5 + ${F(HALF_LOG_2PI)} + sp_lgamma_stirling(x); }
  var p = 1.0; var y = x;
  if (x > 2.5) { loop { if (y <= 2.5) { break; } y -= 1.0; p *= y; } }
  let t = select(select(y - 2.0, x - 1.0, x < 1.5), x, x < 0.5);
  var r = sp_lgamma_around2(t);
  if (x < 1.5) { r = r - sp_log1p(t); }
  if (x < 0.5) { r = r - log(abs(x)); }
  if (x > 2.5) { r = log(p) + r; }
  return r;
}`,
  },
  sp_lgamma: {
    code: `fn sp_lgamma(x: f32) -> f32 {
  if (sp_isnan(x)) { return x; }
  if (!sp_isfinite(x)) { return sp_inf(); }
  if (x == 0.0) { return sp_inf(); }
  let reflect = x <= -0.5;
  if (reflect) {
    if (floor(x) == x) { return sp_inf(); }
    ${nearRootsWgsl(LGAMMA_NEGATIVE_ROOTS)}
  }
  let pos = sp_lgamma_pos(select(x, 1.0 - x, reflect));
  if (!reflect) { return pos; }
  return ${F(LOG_PI)} - log(abs(sp_sinpi(x))) - pos;
}`,
  },
  sp_lgamma1p_series: {
    // log Γ(1 + t) for −0.5 ≤ t ≤ 1.5 by the series about 1 or 2.
    code: `fn sp_lgamma1p_series(t: f32) -> f32 {
  let near0 = abs(t) <= 0.5;
  let r = sp_lgamma_around2(select(t - 1.0, t, near0));
  if (near0) { return r - sp_log1p(t); }
  return r;
}`,
  },
  sp_lgamma1p: {
    code: `fn sp_lgamma1p(t: f32) -> f32 {
  if (!(abs(t) <= 0.5 || (t > 0.5 && t <= 1.5))) { return sp_lgamma(1.0 + t); }
  return sp_lgamma1p_series(t);
}`,
  },
  sp_lgamma1p_pos: {
    // sp_lgamma1p for t ≥ −0.5, where 1 + t needs no reflection: sp_lgamma_pos(1 + t) (what
    // sp_lgamma returns there) instead of sp_lgamma's reflection and negative-root tables.
    code: `fn sp_lgamma1p_pos(t: f32) -> f32 {
  if (t > 1.5) { return sp_lgamma_pos(1.0 + t); }
  return sp_lgamma1p_series(t);
}`,
  },
  sp_digamma_asym: {
    code: `fn sp_digamma_asym(x: f32) -> f32 { let r = 1.0 / x; let z = r * r; return log(x) - 0.5 * r - ${hornerWgsl(DIGAMMA_ASYMPTOTIC_COEFFS.slice(0, 5), "z")} * z; }`,
  },
  sp_digamma_pos: {
    code: `fn sp_digamma_pos(x: f32) -> f32 {
  let t = x - ${F(DIGAMMA_ROOT_HI)};
  if (abs(t) < 0.25) { return ${hornerWgsl(DIGAMMA_ROOT_TAYLOR_COEFFS.slice(0, 12), "t")} * t; }
  var acc = 0.0; var y = x;
  loop { if (y >= 10.0) { break; } acc += 1.0 / y; y += 1.0; }
  return sp_digamma_asym(y) - acc;
}`,
  },
  sp_digamma: {
    code: `fn sp_digamma(x: f32) -> f32 {
  if (sp_isnan(x)) { return x; }
  if (sp_isinf(x)) { return select(sp_nan(), x, x > 0.0); }
  let reflect = x <= 0.0;
  if (reflect) {
    if (x == 0.0) { return -sp_inf(); }
    if (floor(x) == x) { return sp_nan(); }
    ${nearRootsWgsl(DIGAMMA_NEGATIVE_ROOTS)}
  }
  let pos = sp_digamma_pos(select(x, 1.0 - x, reflect));
  if (!reflect) { return pos; }
  return pos - 3.14159265358979 * sp_cospi(x) / sp_sinpi(x);
}`,
  },
  sp_trigamma_pos: {
    code: `fn sp_trigamma_pos(x: f32) -> f32 {
  var acc = 0.0; var y = x;
  loop { if (y >= 10.0) { break; } acc += 1.0 / (y * y); y += 1.0; }
  let r = 1.0 / y; let z = r * r;
  return acc + r * (1.0 + r * (0.5 + r * ${hornerWgsl(TRIGAMMA_ASYMPTOTIC_COEFFS.slice(0, 5), "z")}));
}`,
  },
  sp_trigamma: {
    code: `fn sp_trigamma(x: f32) -> f32 {
  if (sp_isnan(x)) { return x; }
  if (sp_isinf(x)) { return select(sp_nan(), 0.0, x > 0.0); }
  let reflect = x <= 0.0;
  if (reflect && floor(x) == x) { return sp_inf(); }
  let pos = sp_trigamma_pos(select(x, 1.0 - x, reflect));
  if (!reflect) { return pos; }
  let s = sp_sinpi(x);
  return 9.8696044010893586 / (s * s) - pos;
}`,
  },
  sp_lgamma_shift_asym: {
    code: `fn sp_lgamma_shift_asym(th: f32, y: f32) -> f32 {
  return (th + y - 0.5) * sp_log1p(y / th) + y * (log(th) - 1.0) + (sp_lgamma_stirling(th + y) - sp_lgamma_stirling(th));
}`,
  },
  sp_lgammaShiftDiff: {
    code: `fn sp_lgammaShiftDiff(th: f32, y: f32) -> f32 {
  if (sp_isnan(th) || sp_isnan(y)) { return sp_nan(); }
  if (y == 0.0) { return 0.0; }
  if (y <= ${F(M)} && floor(y) == y) {
    var acc = 0.0; var p = 1.0;
    for (var k = 0.0; k < y; k += 1.0) {
      p *= th + k;
      if (p > 1e30 || p < 1e-30) { acc += log(p); p = 1.0; }
    }
    return acc + log(p);
  }
  let m = select(0.0, ceil(10.0 - th), th < 10.0);
  if (y < m) { ${differenceOnce("sp_lgamma", "th + y", "th")} }
  var p = 1.0;
  for (var k = 0.0; k < m; k += 1.0) { p *= th + k; }
  return log(p) + sp_lgamma_shift_asym(th + m, y - m);
}`,
  },
  sp_digammaShiftDiff: {
    code: `fn sp_digammaShiftDiff(th: f32, y: f32) -> f32 {
  if (sp_isnan(th) || sp_isnan(y)) { return sp_nan(); }
  if (y == 0.0) { return 0.0; }
  let direct = y <= ${F(M)} && floor(y) == y;
  let m = select(0.0, ceil(10.0 - th), th < 10.0);
  if (!direct && y < m) { ${differenceOnce("sp_digamma", "th + y", "th")} }
  // Σ 1/(θ + k) over k < y (direct) or k < m (the shift before the asymptotic form): one loop.
  var s = 0.0;
  for (var k = select(m, y, direct) - 1.0; k >= 0.0; k -= 1.0) { s += 1.0 / (th + k); }
  if (direct) { return s; }
  let t = th + m; let yy = y - m; let ty = t + yy; let a = 1.0 / t; let b = 1.0 / ty;
  let tail = ${evenTail(DIGAMMA_ASYMPTOTIC_COEFFS.slice(0, 5), "(a * a)")} - ${evenTail(DIGAMMA_ASYMPTOTIC_COEFFS.slice(0, 5), "(b * b)")};
  return sp_log1p(yy / t) + yy / (2.0 * t) / ty + tail + s;
}`,
  },
  sp_trigammaShiftDiff: {
    code: `fn sp_trigammaShiftDiff(th: f32, y: f32) -> f32 {
  if (sp_isnan(th) || sp_isnan(y)) { return sp_nan(); }
  if (y == 0.0) { return 0.0; }
  let direct = y <= ${F(M)} && floor(y) == y;
  let m = select(0.0, ceil(10.0 - th), th < 10.0);
  if (!direct && y < m) { ${differenceOnce("sp_trigamma", "th + y", "th")} }
  var s = 0.0;
  for (var k = select(m, y, direct) - 1.0; k >= 0.0; k -= 1.0) { let u = th + k; s += 1.0 / (u * u); }
  if (direct) { return -s; }
  let t = th + m; let yy = y - m; let ty = t + yy; let a = 1.0 / t; let b = 1.0 / ty;
  let r1 = yy / t / ty;
  let r2 = (r1 * ((2.0 * t + yy) / ty)) / (2.0 * t);
  let tail = b * ${evenTail(TRIGAMMA_ASYMPTOTIC_COEFFS.slice(0, 5), "(b * b)")} - a * ${evenTail(TRIGAMMA_ASYMPTOTIC_COEFFS.slice(0, 5), "(a * a)")};
  return -r1 - r2 + tail - s;
}`,
  },
  sp_lfactorial: {
    code: "fn sp_lfactorial(y: f32) -> f32 { if (y == 0.0 || y == 1.0) { return 0.0; } return sp_lgamma(y + 1.0); }",
  },
  sp_lgamma_terms: {
    // log Γ at lo, hi and lo + hi (0 < lo ≤ hi; the last two only when hi < 10, else 0) and
    // sp_lgamma_shift_asym(hi, lo), the pieces of log B(lo, hi) in sp_betaln's branches and of
    // betainc's prefactor. The three evaluations run through one inlined copy of log Γ (a loop:
    // three call sites compiled three copies). With onePlus0 (for lo) or onePlusRest (for hi and
    // lo + hi), an evaluation is sp_lgamma1p_pos, log Γ(1 + z); else sp_lgamma_pos, which is what
    // sp_lgamma returns for these positive arguments.
    code: `fn sp_lgamma_terms(lo: f32, hi: f32, onePlus0: bool, onePlusRest: bool) -> vec4<f32> {
  var g = vec3<f32>(0.0);
  let n = select(1, 3, hi < 10.0);
  for (var i = 0; i < n; i++) {
    let z = select(select(lo + hi, hi, i == 1), lo, i == 0);
    let onePlus = select(onePlusRest, onePlus0, i == 0);
    if (onePlus && z <= 1.5) { g[i] = sp_lgamma1p_series(z); }
    else { g[i] = sp_lgamma_pos(select(z, 1.0 + z, onePlus)); }
  }
  return vec4<f32>(g, sp_lgamma_shift_asym(hi, lo));
}`,
  },
  sp_betaln: {
    code: `fn sp_betaln(a: f32, b: f32) -> f32 {
  if (sp_isnan(a) || sp_isnan(b) || a < 0.0 || b < 0.0) { return sp_nan(); }
  let lo = min(a, b); let hi = max(a, b);
  if (lo == 0.0) { return sp_inf(); }
  if (sp_isinf(hi)) { return -sp_inf(); }
  if (lo < 10.0) {
    let g = sp_lgamma_terms(lo, hi, false, false);
    if (hi < 10.0) { return g.x + g.y - g.z; }
    return g.x - g.w;
  }
  let s = lo + hi;
  return ${F(HALF_LOG_2PI)} - 0.5 * log(s) - (lo - 0.5) * sp_log1p(hi / lo) - (hi - 0.5) * sp_log1p(lo / hi)
    + (sp_lgamma_stirling(lo) + sp_lgamma_stirling(hi) - sp_lgamma_stirling(s));
}`,
  },
};
