import {
  ERF_SERIES_MAX,
  NDTRI_AS_DEN,
  NDTRI_AS_NUM,
  ONE_OVER_SQRT_PI,
  TWO_OVER_SQRT_PI,
} from "../../../special/scalar/index.js";
import { f32Lit as F } from "./format.js";
import type { LibFn } from "./registry.js";

/**
 * erf, erfc, erfcx, log Φ and Φ⁻¹ in WGSL (float32), the same methods and constants as
 * special/scalar/erf.ts, log-ndtr.ts and ndtri.ts (series below ERF_SERIES_MAX, Lentz
 * continued fraction above, exact split of x for e^{−x²}; A&S start + Newton for Φ⁻¹).
 */
export const ERF_LIB: Record<string, LibFn> = {
  sp_exp_neg_sq: {
    // x = h + l with h holding 12 bits, so h² is exact in float32.
    code: `fn sp_exp_neg_sq(x: f32, half: f32) -> f32 {
  let ax = abs(x);
  let h = bitcast<f32>(bitcast<u32>(ax) & 0xfffff000u);
  let l = ax - h;
  return exp(-half * h * h) * exp(-half * l * (ax + h));
}`,
  },
  sp_erf_series: {
    code: `fn sp_erf_series(x: f32) -> f32 {
  let z = 2.0 * x * x;
  var term = 1.0; var sum = 1.0;
  for (var n = 1.0; n < 60.0; n += 1.0) {
    term *= z / (2.0 * n + 1.0); sum += term;
    if (term <= 1e-8 * sum) { break; }
  }
  return sum;
}`,
  },
  sp_erfcx_cf: {
    // The continued fraction evaluated backward from a fixed depth, which rounds less than
    // forward Lentz in float32 (that left ~10 ulp at x = 1): 28 terms reach float32 precision
    // at x = 1, 14 at 1.5, 8 at 3 (checked against float64 with float32-rounded arithmetic).
    code: `fn sp_erfcx_cf(x: f32) -> f32 {
  let z = x * x;
  var n = select(select(8.0, 14.0, x < 3.0), 28.0, x < 1.5);
  var t = 0.0;
  loop {
    if (n < 1.0) { break; }
    t = (-((2.0 * n - 1.0) * (2.0 * n)) / 4.0) / (z + 2.0 * n + 0.5 + t);
    n -= 1.0;
  }
  return x / (z + 0.5 + t);
}`,
  },
  sp_erf: {
    code: `fn sp_erf(x: f32) -> f32 {
  if (sp_isnan(x)) { return x; }
  let ax = abs(x);
  if (ax < ${F(ERF_SERIES_MAX)}) { return ${F(TWO_OVER_SQRT_PI)} * x * sp_exp_neg_sq(x, 1.0) * sp_erf_series(x); }
  let v = 1.0 - sp_erfc(ax);
  return select(v, -v, x < 0.0);
}`,
  },
  sp_erfc: {
    code: `fn sp_erfc(x: f32) -> f32 {
  if (sp_isnan(x)) { return x; }
  let ax = abs(x);
  if (ax < ${F(ERF_SERIES_MAX)}) { return 1.0 - ${F(TWO_OVER_SQRT_PI)} * x * sp_exp_neg_sq(x, 1.0) * sp_erf_series(x); }
  var tail = 0.0;
  if (ax < 10.5) { tail = ${F(ONE_OVER_SQRT_PI)} * sp_erfcx_cf(ax) * sp_exp_neg_sq(ax, 1.0); }
  return select(tail, 2.0 - tail, x < 0.0);
}`,
  },
  sp_erfcx: {
    code: `fn sp_erfcx(x: f32) -> f32 {
  if (sp_isnan(x)) { return x; }
  if (x >= ${F(ERF_SERIES_MAX)}) {
    if (x > 1e15) { return ${F(ONE_OVER_SQRT_PI)} / x; }
    return ${F(ONE_OVER_SQRT_PI)} * sp_erfcx_cf(x);
  }
  if (x < -9.3) { return sp_inf(); }
  return sp_erfc(x) / sp_exp_neg_sq(x, 1.0);
}`,
  },
  sp_ndtr_upper: {
    code: `fn sp_ndtr_upper(t: f32) -> f32 {
  let z = t * 0.70710678118654752;
  if (z < ${F(ERF_SERIES_MAX)}) { return 0.5 * sp_erfc(z); }
  if (t > 14.5) { return 0.0; }
  return 0.5 * sp_erfcx(z) * sp_exp_neg_sq(t, 0.5);
}`,
  },
  sp_logNdtr: {
    code: `fn sp_logNdtr(x: f32) -> f32 {
  if (sp_isnan(x)) { return x; }
  if (sp_isinf(x) && x < 0.0) { return x; }
  if (x > 0.0) { return sp_log1p(-sp_ndtr_upper(x)); }
  let z = -x * 0.70710678118654752;
  if (z < ${F(ERF_SERIES_MAX)}) { return log(0.5 * sp_erfc(z)); }
  return log(0.5 * sp_erfcx(z)) - 0.5 * x * x;
}`,
  },
  sp_ndtri: {
    code: `fn sp_ndtri(p: f32) -> f32 {
  if (sp_isnan(p) || p < 0.0 || p > 1.0) { return sp_nan(); }
  if (p == 0.0) { return -sp_inf(); }
  if (p == 1.0) { return sp_inf(); }
  let upper = p > 0.5;
  let q = select(p, 1.0 - p, upper);
  let t = sqrt(-2.0 * log(q));
  let num = ${F(NDTRI_AS_NUM[0]!)} + t * (${F(NDTRI_AS_NUM[1]!)} + t * ${F(NDTRI_AS_NUM[2]!)});
  let den = 1.0 + t * (${F(NDTRI_AS_DEN[0]!)} + t * (${F(NDTRI_AS_DEN[1]!)} + t * ${F(NDTRI_AS_DEN[2]!)}));
  var x = -(t - num / den);
  if (p >= 0.2 && p <= 0.8) {
    let goal = p - 0.5;
    if (upper) { x = -x; }
    for (var i = 0; i < 6; i++) {
      let f = 0.5 * sp_erf(x * 0.70710678118654752) - goal;
      let dens = exp(-0.5 * x * x) * 0.3989422804014327;
      let dx = f / dens; x -= dx;
      if (abs(dx) <= 1e-8 * abs(x)) { break; }
    }
    return x;
  }
  let lq = log(q);
  for (var i = 0; i < 10; i++) {
    let lphi = sp_logNdtr(x);
    let slope = exp(-0.5 * x * x - 0.9189385332046728 - lphi);
    let dx = (lphi - lq) / slope; x -= dx;
    if (abs(dx) <= 1e-8 * abs(x)) { break; }
  }
  return select(x, -x, upper);
}`,
  },
};
