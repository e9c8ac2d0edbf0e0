import { HALF_LOG_2PI } from "../../../special/scalar/index.js";
import { f32Lit as F, hornerWgsl } from "./format.js";
import type { LibFn } from "./registry.js";

/**
 * Regularized incomplete gamma and beta functions and their parameter derivatives in WGSL
 * (float32), the same methods as special/scalar/gammainc.ts and betainc.ts: power series /
 * Legendre continued fraction (Lentz) for P and Q, dual-number Lentz for ∂/∂a, the classical
 * continued fraction with the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) for the beta family.
 * Iterations are capped (2000) and converge to float32 precision.
 */
const EPS = "1e-7";
const TINY = "1e-30";
/** Temme's d_{0,n}, d_{1,n}, d_{2,n} (n = 0…): −1/3, 1/12, −2/135, …; −1/540, −1/288, …; 25/6048, … */
const TEMME_C0 = [-1 / 3, 1 / 12, -2 / 135, 1 / 864, 1 / 2835, -139 / 777600, 1 / 25515];
const TEMME_C1 = [-1 / 540, -1 / 288, 1 / 378, -77 / 77760, 1 / 4860];
const TEMME_C2 = [25 / 6048, -139 / 51840, 5 / 6480];

/**
 * The classical continued fraction for I_x(a, b) on its convergent side (Lentz), returning
 * (I, dI/da, dI/db); with `grads` dual numbers carry ∂/∂a and ∂/∂b through the recurrence.
 * Generated twice from this one text, value only and with gradients, so that a kernel of
 * betainc's value compiles none of the derivative code: SwiftShader's SIMD lanes compile (and
 * run) both sides of every branch, so a runtime flag would not remove it.
 */
function betaCf(grads: boolean): string {
  const g = (code: string) => (grads ? code : "");
  return `fn sp_beta_cf${g("_grads")}(a: f32, b: f32, x: f32) -> vec3<f32> {
  let s = a + b;
  var d = 1.0 - (s * x) / (a + 1.0);${g(`
  var dda = (-x * (1.0 - b)) / ((a + 1.0) * (a + 1.0));
  var ddb = -x / (a + 1.0);`)}
  if (abs(d) < ${TINY}) { d = ${TINY}; }
  d = 1.0 / d;${g(" dda = -dda * d * d; ddb = -ddb * d * d;")}
  var c = 1.0;${g(" var dca = 0.0; var dcb = 0.0;")}
  var h = d;${g(" var dha = dda; var dhb = ddb;")}
  for (var m = 1.0; m < 2000.0; m += 1.0) {
    var del = 1.0;${g(`
    let dhaPrev = dha; let dhbPrev = dhb;`)}
    for (var odd = 0; odd < 2; odd++) {
      var aa = 0.0;${g(" var daa = 0.0; var dab = 0.0;")}
      if (odd == 0) {
        let den = (a + 2.0 * m - 1.0) * (a + 2.0 * m);
        aa = (m * (b - m) * x) / den;${g(`
        daa = -aa * (1.0 / (a + 2.0 * m - 1.0) + 1.0 / (a + 2.0 * m));
        dab = (m * x) / den;`)}
      } else {
        aa = (-(a + m) * (s + m) * x) / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));${g(`
        daa = aa * (1.0 / (a + m) + 1.0 / (s + m) - 1.0 / (a + 2.0 * m) - 1.0 / (a + 2.0 * m + 1.0));
        dab = aa / (s + m);`)}
      }
      var pre = 1.0 + aa * d; if (abs(pre) < ${TINY}) { pre = ${TINY}; }
      var cn = 1.0 + aa / c; if (abs(cn) < ${TINY}) { cn = ${TINY}; }${g(`
      let dprea = daa * d + aa * dda; let dpreb = dab * d + aa * ddb;
      let dcna = daa / c - (aa * dca) / (c * c); let dcnb = dab / c - (aa * dcb) / (c * c);
      let dn = 1.0 / pre;
      dda = -dprea * dn * dn; ddb = -dpreb * dn * dn; dca = dcna; dcb = dcnb;
      let e = dn * cn;
      dha = dha * e + h * (dda * cn + dn * dca);
      dhb = dhb * e + h * (ddb * cn + dn * dcb);`)}
      d = 1.0 / pre; c = cn; del = d * c; h *= del;
    }${g(`
    let conv = abs(dha - dhaPrev) <= 4.0 * ${EPS} * abs(dha) && abs(dhb - dhbPrev) <= 4.0 * ${EPS} * abs(dhb);`)}
    if (abs(del - 1.0) < ${EPS}${g(" && conv")}) { break; }
  }
  let v = exp(sp_beta_logpre_over_a(a, b, x)) * h;${
    grads
      ? `
  let bBig = b >= 1.0;
  // both ψ differences through one call site (a loop), as sp_lgamma_terms
  var psis = vec2<f32>(0.0);
  for (var i = 0; i < 2; i++) {
    let first = i == 0;
    psis[i] = sp_digammaShiftDiff(select(b, select(a + b, a + 1.0, bBig), first), select(a, select(1.0 - b, b - 1.0, bBig), first));
  }
  let psi1 = select(-1.0, 1.0, bBig) * psis.x;
  let ga = v * (log(x) + psi1 + dha / h);
  let gb = v * (sp_log1p(-x) + psis.y + dhb / h);
  return vec3<f32>(v, ga, gb);`
      : `
  return vec3<f32>(v, 0.0, 0.0);`
  }
}`;
}

/**
 * I_x(a, b) (and with `grads` its partials) from the continued fraction on whichever side of
 * the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) converges: one call, its arguments selected, since
 * shader compilers inline every call site and on SwiftShader two sites doubled the compile time.
 */
function betaAll(grads: boolean): string {
  const suffix = grads ? "_grads" : "";
  return `fn sp_beta_all${suffix}(a: f32, b: f32, x: f32) -> vec3<f32> {
  if (sp_isnan(a) || sp_isnan(b) || sp_isnan(x) || a <= 0.0 || b <= 0.0 || x < 0.0 || x > 1.0) { return vec3<f32>(sp_nan()); }
  if (x == 0.0) { return vec3<f32>(0.0); }
  if (x == 1.0) { return vec3<f32>(1.0, 0.0, 0.0); }
  let flip = !(x < (a + 1.0) / (a + b + 2.0));
  let j = sp_beta_cf${suffix}(select(a, b, flip), select(b, a, flip), select(x, 1.0 - x, flip));
  return select(j, vec3<f32>(1.0 - j.x, -j.z, -j.y), flip);
}`;
}

// As in gamma.ts, each function below calls sp_gamma_pre (and ψ) once with its argument selected
// per branch: shader compilers inline every call site, SwiftShader compiles each copy.
export const INCOMPLETE_LIB: Record<string, LibFn> = {
  sp_gamma_logpre_large: {
    // log(x^a e^−x / Γ(a)) for a ≥ 10 (sp_gamma_pre's other branch uses log Γ(1 + a)).
    code: `fn sp_gamma_logpre_large(a: f32, x: f32) -> f32 {
  let t = (x - a) / a;
  let phi = select(x / a - 1.0 - log(x / a), -sp_log1pmx(t), abs(t) < 0.5);
  return 0.5 * log(a) - ${F(HALF_LOG_2PI)} - a * phi - sp_lgamma_stirling(a);
}`,
  },
  sp_gamma_pre: {
    code: `fn sp_gamma_pre(a: f32, x: f32, shift: f32) -> f32 {
  if (a < 10.0) {
    let scale = select(a, 1.0, shift == 1.0);
    return exp(a * log(x) - x - sp_lgamma1p_pos(a)) * scale;
  }
  let p = exp(sp_gamma_logpre_large(a, x));
  return select(p, p / a, shift == 1.0);
}`,
  },
  sp_gamma_series: {
    code: `fn sp_gamma_series(a: f32, x: f32) -> f32 {
  var ap = a; var term = 1.0; var sum = 1.0;
  for (var n = 0; n < 2000; n++) { ap += 1.0; term *= x / ap; sum += term; if (term <= ${EPS} * sum) { break; } }
  return sum;
}`,
  },
  sp_gamma_cf: {
    // Returns (h, dh/da).
    code: `fn sp_gamma_cf(a: f32, x: f32) -> vec2<f32> {
  var b = x + 1.0 - a; var c = 1.0 / ${TINY}; var dc = 0.0;
  var d = 1.0 / b; var dd = 1.0 / (b * b); var h = d; var dh = dd;
  for (var i = 1.0; i < 2000.0; i += 1.0) {
    let an = -i * (i - a); let dan = i;
    b += 2.0;
    var pre = an * d + b; let dpre = dan * d + an * dd - 1.0;
    if (abs(pre) < ${TINY}) { pre = ${TINY}; }
    var cn = b + an / c; let dcn = -1.0 + dan / c - (an * dc) / (c * c);
    if (abs(cn) < ${TINY}) { cn = ${TINY}; }
    d = 1.0 / pre; dd = -dpre * d * d; c = cn; dc = dcn;
    let del = d * c; let ddel = dd * c + d * dc;
    let dhPrev = dh;
    dh = dh * del + h * ddel; h *= del;
    if (abs(del - 1.0) < ${EPS} && abs(dh - dhPrev) <= 4.0 * ${EPS} * abs(dh)) { break; }
  }
  return vec2<f32>(h, dh);
}`,
  },
  sp_gamma_upper_small: {
    code: `fn sp_gamma_upper_small(a: f32, x: f32) -> f32 {
  let u = a * log(x) - sp_lgamma1p_pos(a);
  var term = 1.0; var sum = 0.0;
  for (var n = 1.0; n < 200.0; n += 1.0) { term *= -x / n; let c = term / (a + n); sum += c; if (abs(c) <= ${EPS} * abs(sum)) { break; } }
  return -sp_expm1(u) - a * exp(u) * sum;
}`,
  },
  sp_gamma_temme: {
    // Temme's uniform asymptotic expansion, three orders in 1/a (DiDonato & Morris 1986's
    // coefficients d_{k,n}, as in Boost's 24-bit igamma_temme_large): returns P(a, x) for x < a
    // and Q(a, x) otherwise, with φ = x/a − 1 − log(x/a) and z = ±√(2φ). Used for a ≥ 50 and
    // φ ≤ 1/8 (|z| ≤ ½), where the truncation is below 2e-8 relative (checked against the
    // float64 series/continued fraction). There the float32 series needs ~6√a terms (more than
    // the 2000-step cap for a ≳ 1e5) and stalls once a + n is not exact (a > 2²⁴); outside,
    // x/a ≤ 0.55 or ≥ 1.6, where the series / fraction converge in a few dozen steps.
    code: `fn sp_gamma_temme(a: f32, x: f32, phi: f32) -> f32 {
  let y = a * phi;
  let z = select(1.0, -1.0, x < a) * sqrt(2.0 * phi);
  let c0 = ${hornerWgsl(TEMME_C0, "z")};
  let c1 = ${hornerWgsl(TEMME_C1, "z")};
  let c2 = ${hornerWgsl(TEMME_C2, "z")};
  let ra = 1.0 / a;
  let r = (c0 + ra * (c1 + ra * c2)) * exp(-y) / sqrt(6.283185307179586 * a);
  return 0.5 * sp_erfc(sqrt(y)) + select(r, -r, x < a);
}`,
  },
  sp_gamma_temme_phi: {
    // φ = x/a − 1 − log(x/a) for the Temme branch, or −1 when it does not apply.
    code: `fn sp_gamma_temme_phi(a: f32, x: f32) -> f32 {
  if (a < 50.0) { return -1.0; }
  let phi = -sp_log1pmx((x - a) / a);
  return select(-1.0, phi, phi <= 0.125);
}`,
  },
  sp_gammainc: {
    code: `fn sp_gammainc(a: f32, x: f32) -> f32 {
  if (sp_isnan(a) || sp_isnan(x) || a < 0.0 || x < 0.0) { return sp_nan(); }
  if (a == 0.0) { return select(sp_nan(), 1.0, x > 0.0); }
  if (x == 0.0) { return 0.0; }
  if (sp_isinf(x)) { return select(1.0, sp_nan(), sp_isinf(a)); }
  if (sp_isinf(a)) { return 0.0; }
  let phi = sp_gamma_temme_phi(a, x);
  if (phi >= 0.0) { let t = sp_gamma_temme(a, x, phi); return select(1.0 - t, t, x < a); }
  let series = x < a + 1.0 || (a < 1.0 && x < 1.5);
  let pre = sp_gamma_pre(a, x, select(0.0, 1.0, series));
  if (series) { return min(1.0, pre * sp_gamma_series(a, x)); }
  return max(0.0, 1.0 - pre * sp_gamma_cf(a, x).x);
}`,
  },
  sp_gammaincc: {
    code: `fn sp_gammaincc(a: f32, x: f32) -> f32 {
  if (sp_isnan(a) || sp_isnan(x) || a < 0.0 || x < 0.0) { return sp_nan(); }
  if (a == 0.0) { return select(sp_nan(), 0.0, x > 0.0); }
  if (x == 0.0) { return 1.0; }
  if (sp_isinf(x)) { return select(0.0, sp_nan(), sp_isinf(a)); }
  if (sp_isinf(a)) { return 1.0; }
  let phi = sp_gamma_temme_phi(a, x);
  if (phi >= 0.0) { let t = sp_gamma_temme(a, x, phi); return select(t, 1.0 - t, x < a); }
  if (a < 1.0 && x < 1.5) { return clamp(sp_gamma_upper_small(a, x), 0.0, 1.0); }
  let series = x < a + 1.0;
  let pre = sp_gamma_pre(a, x, select(0.0, 1.0, series));
  if (series) { return max(0.0, 1.0 - pre * sp_gamma_series(a, x)); }
  return min(1.0, pre * sp_gamma_cf(a, x).x);
}`,
  },
  sp_gammaincGradA: {
    code: `fn sp_gammaincGradA(a: f32, x: f32) -> f32 {
  if (sp_isnan(a) || sp_isnan(x) || a <= 0.0 || x < 0.0) { return sp_nan(); }
  if (x == 0.0 || sp_isinf(x)) { return 0.0; }
  let series = x < a + 1.0 || x < 1.5;
  let pre = sp_gamma_pre(a, x, select(0.0, 1.0, series));
  let psi0 = sp_digamma(select(a, a + 1.0, series));
  if (series) {
    let lx = log(x);
    var t = pre; var psi = psi0; var ap = a + 1.0;
    var sum = t * (lx - psi);
    for (var n = 1; n < 2000; n++) {
      t *= x / ap; psi += 1.0 / ap; ap += 1.0;
      let c = t * (lx - psi); sum += c;
      if (ap > x && t * (1.0 + abs(lx - psi)) <= ${EPS} * abs(sum)) { break; }
    }
    return sum;
  }
  let hd = sp_gamma_cf(a, x);
  let q = pre * hd.x;
  return -q * (log(x) - psi0 + hd.y / hd.x);
}`,
  },
  sp_gammaSampleGrad: {
    // dx/dα of a unit-rate gamma draw x (implicit reparameterization), as random/gamma-grad.ts.
    code: `fn sp_gammaSampleGrad(alpha: f32, x: f32) -> f32 {
  if (!(alpha > 0.0) || !(x >= 0.0)) { return sp_nan(); }
  if (x == 0.0 || sp_isinf(x)) { return 0.0; }
  let logPdf = (alpha - 1.0) * log(x) - x - sp_lgamma_pos(alpha);
  return -sp_gammaincGradA(alpha, x) * exp(-logPdf);
}`,
  },
  sp_beta_logpre_large: {
    // log(x^a (1−x)^b / B(a, b)) for a, b ≥ 10, by Stirling's series with log1pmx.
    code: `fn sp_beta_logpre_large(a: f32, b: f32, x: f32) -> f32 {
  let s = a + b; let x0 = a / s; let d = x - x0;
  let t1 = (d * s) / a; let t2 = -(d * s) / b;
  let m1 = select(log(x) + sp_log1p(b / a) - t1, sp_log1pmx(t1), abs(t1) < 0.5);
  let m2 = select(sp_log1p(-x) + sp_log1p(a / b) - t2, sp_log1pmx(t2), abs(t2) < 0.5);
  let ds = sp_lgamma_stirling(a) + sp_lgamma_stirling(b) - sp_lgamma_stirling(s);
  return a * m1 + b * m2 + 0.5 * (log(a) + log(b) - log(s)) - ${F(HALF_LOG_2PI)} - ds;
}`,
  },
  sp_beta_logpre_over_a: {
    // log(x^a (1−x)^b / (a B(a, b))) for a, b > 0 (betainc's checks), x in (0, 1). log B(a, b)
    // is sp_betaln's for a ≥ 1 (Stirling's form for a, b ≥ 10); for a < 1,
    // log Γ(1+a) + log Γ(1+b) − log Γ(1+a+b) + log1p(a/b) when b < 1, else
    // log Γ(1+a) − sp_lgammaShiftDiff(b, a) (whose branches for a in (0, 1) are log Γ(b+a) − log Γ(b)
    // for b < 10, the asymptotic difference above). All log Γ terms come from one
    // sp_lgamma_terms call (one inlined copy): they were eight copies of the full log Γ.
    code: `fn sp_beta_logpre_over_a(a: f32, b: f32, x: f32) -> f32 {
  if (a >= 10.0 && b >= 10.0) { return sp_beta_logpre_large(a, b, x) - log(a); }
  let head = a * log(x) + b * sp_log1p(-x);
  let lo = min(a, b); let hi = max(a, b);
  let small = a < 1.0;
  let g = sp_lgamma_terms(lo, hi, small, small && hi < 1.0);
  if (!small) {
    let lbeta = select(select(g.x - g.w, g.x + g.y - g.z, hi < 10.0), -sp_inf(), sp_isinf(hi));
    return head - lbeta - log(a);
  }
  if (b < 1.0) { return head - (g.x + g.y - g.z + sp_log1p(a / b)); }
  return head - (g.x - select(0.0 + g.w, g.z - g.y, hi < 10.0));
}`,
  },
  sp_beta_cf: { code: betaCf(false) },
  sp_beta_cf_grads: { code: betaCf(true) },
  sp_beta_all: { code: betaAll(false) },
  sp_beta_all_grads: { code: betaAll(true) },
  sp_betainc: {
    code: "fn sp_betainc(a: f32, b: f32, x: f32) -> f32 { return clamp(sp_beta_all(a, b, x).x, 0.0, 1.0); }",
  },
  sp_betaincGradA: {
    code: "fn sp_betaincGradA(a: f32, b: f32, x: f32) -> f32 { return sp_beta_all_grads(a, b, x).y; }",
  },
  sp_betaincGradB: {
    code: "fn sp_betaincGradB(a: f32, b: f32, x: f32) -> f32 { return sp_beta_all_grads(a, b, x).z; }",
  },
};
