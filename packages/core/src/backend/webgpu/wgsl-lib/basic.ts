import { hornerWgsl } from "./format.js";
import type { LibFn } from "./registry.js";

/**
 * Elementary helpers every shader may use. Infinity and NaN come from the shader's uniform
 * header (`M.m[0].z`, `M.m[0].w`) because WGSL constant expressions may not be non-finite.
 */
export const BASIC_LIB: Record<string, LibFn> = {
  sp_inf: { code: "fn sp_inf() -> f32 { return bitcast<f32>(M.m[0].z); }" },
  sp_nan: { code: "fn sp_nan() -> f32 { return bitcast<f32>(M.m[0].w); }" },
  sp_isnan: { code: "fn sp_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }" },
  sp_isinf: {
    code: "fn sp_isinf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }",
  },
  sp_isfinite: {
    code: "fn sp_isfinite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }",
  },
  sp_b: { code: "fn sp_b(c: bool) -> f32 { return select(0.0, 1.0, c); }" },
  sp_log: {
    // WGSL leaves log(0) and log(x < 0) undefined (SwiftShader returns −88.03 for log(0)):
    // −∞ at 0, NaN below and for NaN, as in IEEE arithmetic.
    code: `fn sp_log(x: f32) -> f32 {
  if (x > 0.0) { return log(x); }
  if (x == 0.0) { return -sp_inf(); }
  return sp_nan();
}`,
  },
  sp_log1p: {
    // WGSL's log is only absolutely accurate (2⁻²¹) on [0.5, 2], so for 1 + x there (x in
    // [−0.5, 1]) log1p(x) = 2·atanh(s) with s = x/(2 + x), |s| ≤ 1/3, by its odd series to s¹⁵
    // (truncation < 2⁻²⁸ relative). Outside, log(1 + x) is accurate to a few ulp; for x > 1
    // Goldberg's factor x/(u − 1) corrects the rounding of u = 1 + x (for x < −0.5 u is exact).
    code: `fn sp_log1p(x: f32) -> f32 {
  if (x >= -0.5 && x <= 1.0) {
    let s = x / (2.0 + x);
    let z = s * s;
    return 2.0 * s * ${hornerWgsl([1, 1 / 3, 1 / 5, 1 / 7, 1 / 9, 1 / 11, 1 / 13, 1 / 15], "z")};
  }
  if (sp_isnan(x) || x < -1.0) { return sp_nan(); }
  if (x == -1.0) { return -sp_inf(); }
  let u = 1.0 + x;
  if (sp_isinf(u)) { return u; }
  return log(u) * (x / (u - 1.0));
}`,
  },
  sp_expm1: {
    // |x| < ln 2: Taylor series to x¹⁰/10! (truncation < 2⁻²⁹ relative); the Kahan form
    // (u − 1)·x/log(u), u = eˣ, would need log accurate near 1, which WGSL does not promise.
    // Outside, u ≥ 2 or u ≤ ½ where log is accurate and Kahan's trick cancels the error of eˣ.
    code: `fn sp_expm1(x: f32) -> f32 {
  if (abs(x) < 0.6931472) {
    return x * ${hornerWgsl([1, 1 / 2, 1 / 6, 1 / 24, 1 / 120, 1 / 720, 1 / 5040, 1 / 40320, 1 / 362880, 1 / 3628800], "x")};
  }
  if (sp_isnan(x)) { return x; }
  let u = exp(x);
  if (sp_isinf(u)) { return u; }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  return um1 * (x / log(u));
}`,
  },
  sp_tanh: {
    code: `fn sp_tanh(x: f32) -> f32 {
  if (sp_isnan(x)) { return x; }
  let t = sp_expm1(-2.0 * abs(x));
  return sign(x) * (-t / (2.0 + t));
}`,
  },
  sp_sigmoid: {
    code: `fn sp_sigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}`,
  },
  sp_softplus: {
    code: `fn sp_softplus(x: f32) -> f32 {
  if (x > 0.0) { return x + sp_log1p(exp(-x)); }
  return sp_log1p(exp(x));
}`,
  },
  sp_maximum: { code: "fn sp_maximum(a: f32, b: f32) -> f32 { return select(b, a, a > b || sp_isnan(a)); }" },
  sp_minimum: { code: "fn sp_minimum(a: f32, b: f32) -> f32 { return select(b, a, a < b || sp_isnan(a)); }" },
  sp_pow: {
    code: `fn sp_pow(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  if (sp_isnan(a) || sp_isnan(b)) { return sp_nan(); }
  if (a == 0.0) { return select(select(1.0, sp_inf(), b < 0.0), 0.0, b > 0.0); }
  if (b == 1.0) { return a; }
  if (b == 2.0) { return a * a; }
  if (b == 0.5) { return sqrt(a); }
  if (b == -1.0) { return 1.0 / a; }
  let r = exp2(b * log2(abs(a)));
  if (a < 0.0) {
    if (floor(b) != b) { return sp_nan(); }
    if (fract(b * 0.5) != 0.0) { return -r; }
  }
  return r;
}`,
  },
  sp_xlogy: {
    code: "fn sp_xlogy(x: f32, y: f32) -> f32 { if (x == 0.0 && !sp_isnan(y)) { return 0.0; } return x * sp_log(y); }",
  },
  sp_xlog1py: {
    code: "fn sp_xlog1py(x: f32, y: f32) -> f32 { if (x == 0.0 && !sp_isnan(y)) { return 0.0; } return x * sp_log1p(y); }",
  },
  // Builtin sin/cos may have ~2⁻¹¹ absolute error; these use Cody–Waite reduction by π/2
  // and Taylor polynomials on [−π/4, π/4] (error below float32 rounding there).
  sp_sin_poly: {
    code: `fn sp_sin_poly(r: f32) -> f32 { let z = r * r; return r + r * z * (-0.16666666666666666 + z * (0.008333333333333333 + z * (-1.984126984126984e-4 + z * 2.7557319223985893e-6))); }`,
  },
  sp_cos_poly: {
    code: `fn sp_cos_poly(r: f32) -> f32 { let z = r * r; return 1.0 + z * (-0.5 + z * (0.041666666666666664 + z * (-0.001388888888888889 + z * (2.48015873015873e-5 + z * -2.755731922398589e-7)))); }`,
  },
  sp_sincos: {
    code: `fn sp_sincos(x: f32) -> vec2<f32> {
  if (!sp_isfinite(x)) { return vec2<f32>(sp_nan()); }
  let k = round(x * 0.63661977236758134);
  let r = ((x - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.549789954891882e-8;
  let s = sp_sin_poly(r); let c = sp_cos_poly(r);
  let q = i32(k - 4.0 * floor(k * 0.25));
  if (q == 0) { return vec2<f32>(s, c); }
  if (q == 1) { return vec2<f32>(c, -s); }
  if (q == 2) { return vec2<f32>(-s, -c); }
  return vec2<f32>(-c, s);
}`,
  },
  sp_tan: { code: "fn sp_tan(x: f32) -> f32 { let sc = sp_sincos(x); return sc.x / sc.y; }" },
  sp_sinpi: {
    code: `fn sp_sinpi(x: f32) -> f32 {
  if (!sp_isfinite(x)) { return sp_nan(); }
  var s = select(1.0, -1.0, x < 0.0);
  var r = abs(x) % 2.0;
  if (r >= 1.0) { r = r - 1.0; s = -s; }
  if (r > 0.5) { r = 1.0 - r; }
  if (r <= 0.25) { return s * sp_sin_poly(3.14159265358979 * r); }
  return s * sp_cos_poly(3.14159265358979 * (0.5 - r));
}`,
  },
  sp_cospi: {
    code: `fn sp_cospi(x: f32) -> f32 {
  if (!sp_isfinite(x)) { return sp_nan(); }
  var r = abs(x) % 2.0;
  if (r > 1.0) { r = 2.0 - r; }
  if (r < 0.25) { return sp_cos_poly(3.14159265358979 * r); }
  if (r <= 0.75) { return sp_sin_poly(3.14159265358979 * (0.5 - r)); }
  return -sp_cos_poly(3.14159265358979 * (1.0 - r));
}`,
  },
  sp_log1pmx: {
    code: `fn sp_log1pmx(t: f32) -> f32 {
  if (abs(t) >= 0.5) { return sp_log1p(t) - t; }
  let u = t / (2.0 + t);
  let u2 = u * u;
  var term = u * u2;
  var sum = 0.0;
  for (var k = 3.0; k < 60.0; k += 2.0) {
    let c = term / k;
    sum += c;
    if (abs(c) <= 1e-8 * abs(sum)) { break; }
    term *= u2;
  }
  return (-t * t) / (2.0 + t) + 2.0 * sum;
}`,
  },
};
