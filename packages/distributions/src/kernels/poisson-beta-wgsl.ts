import { PB_HALF_MAX, PB_NEWTON_STEPS, PB_T_DROP } from "./poisson-beta-rule.js";

const f = (x: number) => (Number.isInteger(x) ? `${x}.0` : `${x}`);

/**
 * Float32 WGSL form of the `poissonBeta` op (poisson-beta-rule.ts, whose thresholds are
 * interpolated here): the same five-piece Gauss–Legendre rule (power substitutions at q = 0 and 1, graded / linear pieces in
 * logit(q) around the integrand's mode). Shaders cannot hold per-order node tables, so each
 * node and weight is computed where it is used, by 4 Newton steps on P_k from Tricomi's guess
 * (O(k) per step): nodes carry an absolute error of a few float32 ulp, well below the float32
 * rounding of the terms themselves. The log-sum-exp over the terms runs online (largest term
 * so far, the others' sum relative to it, and the weighted partial sums), as on the CPU.
 */
export const POISSON_BETA_WGSL: Record<string, string> = {
  sp_pb_legendre: `fn sp_pb_legendre(k: i32, t: f32) -> vec2<f32> {
  var p0 = 1.0;
  var p1 = t;
  for (var n = 2; n <= k; n++) {
    let nf = f32(n);
    let p2 = ((2.0 * nf - 1.0) * t * p1 - (nf - 1.0) * p0) / nf;
    p0 = p1;
    p1 = p2;
  }
  return vec2<f32>(p1, p0);
}`,
  // node i (ascending) of the k-point rule on [0, 1] and its weight
  sp_pb_gl: `fn sp_pb_gl(k: i32, i: i32) -> vec2<f32> {
  let kf = f32(k);
  let lo = (i < (k + 1) / 2);
  let j = select(k - 1 - i, i, lo);
  let theta = 3.14159265358979 * f32(4 * (j + 1) - 1) / f32(4 * k + 2);
  var t = (1.0 - (kf - 1.0) / (8.0 * kf * kf * kf)) * cos(theta);
  for (var it = 0; it < 4; it++) {
    let pp = sp_pb_legendre(k, t);
    let dp = kf * (pp.y - t * pp.x) / ((1.0 - t) * (1.0 + t));
    t -= pp.x / dp;
  }
  let pp = sp_pb_legendre(k, t);
  let w = (1.0 - t) * (1.0 + t) / (kf * kf * pp.y * pp.y);
  return vec2<f32>(select((1.0 + t) * 0.5, (1.0 - t) * 0.5, lo), w);
}`,
  // (h(x), h'(x), log σ(x), σ(x)) with h = (A+B) log σ(x) − Bx − λσ(x)
  sp_pb_h: `fn sp_pb_h(x: f32, A: f32, B: f32, lam: f32) -> vec4<f32> {
  let e = exp(-abs(x));
  let ls = min(x, 0.0) - sp_log1p(e);
  let s = select(e, 1.0, x >= 0.0) / (1.0 + e);
  return vec4<f32>((A + B) * ls - B * x - lam * s, A - (A + B) * s - lam * s * (1.0 - s), ls, s);
}`,
  sp_pb_edge: `fn sp_pb_edge(side: f32, xs: f32, sd: f32, level: f32, A: f32, B: f32, lam: f32) -> f32 {
  let far = xs + side * ${f(PB_HALF_MAX)};
  var x = xs + side * min(sd * ${Math.sqrt(2 * PB_T_DROP)}, ${f(PB_HALF_MAX)});
  for (var i = 0; i < ${PB_NEWTON_STEPS}; i++) {
    let hd = sp_pb_h(x, A, B, lam);
    let next = x + (level - hd.x) / hd.y;
    let ok = select((hd.y < 0.0), (hd.y > 0.0), (side < 0.0)) && sp_isfinite(next);
    let kept = select(max(min(next, far), xs), min(max(next, far), xs), side < 0.0);
    x = select(far, kept, ok);
  }
  return x;
}`,
  // one term f with partials g into the running log-sum-exp (m, acc = (rest, ΣwgA, ΣwgB, ΣwgL));
  // m starts at −3e38 (no term yet)
  sp_pb_add: `fn sp_pb_add(m: ptr<function, f32>, acc: ptr<function, vec4<f32>>, f: f32, g: vec3<f32>) {
  if (f > *m) {
    let first = *m < -1.0e38;
    let r = select(exp(*m - f), 0.0, first);
    let a = *acc;
    *acc = vec4<f32>(a.x * r + r, a.yzw * r + g);
    *m = f;
  } else if (f > -1.0e38) {
    let w = exp(f - *m);
    *acc += vec4<f32>(w, w * g);
  }
}`,
  // logit piece x = base + dir·width·T (T = t, or t² when sq), log weight log width + log w (or log 2tw)
  sp_pb_logit: `fn sp_pb_logit(m: ptr<function, f32>, acc: ptr<function, vec4<f32>>, k: i32, sq: bool, base: f32, dir: f32, width: f32, A: f32, B: f32, lam: f32) {
  if (!(width > 0.0)) { return; }
  let lwid = log(width);
  for (var i = 0; i < k; i++) {
    let gl = sp_pb_gl(k, i);
    let tt = select(gl.x, gl.x * gl.x, sq);
    let lwi = log(select(gl.y, 2.0 * gl.x * gl.y, sq));
    let x = base + dir * (width * tt);
    let hv = sp_pb_h(x, A, B, lam);
    sp_pb_add(m, acc, lwid + lwi + hv.x, vec3<f32>(hv.z, hv.z - x, -hv.w));
  }
}`,
  // power piece d = c·v^p, p = m/E (E the live exponent of d^(E−1), O the other one)
  sp_pb_power: `fn sp_pb_power(m: ptr<function, f32>, acc: ptr<function, vec4<f32>>, k: i32, right: bool, logC: f32, E: f32, O: f32, lam: f32) {
  let mm = ceil(select(E, 2.0 * E, E < 4.0));
  let p = mm / E;
  let base = logC + log(p);
  let dE = logC - 1.0 / E;
  let pe = -p / E;
  for (var i = 0; i < k; i++) {
    let gl = sp_pb_gl(k, i);
    let lt = log(gl.x);
    let logD = logC + p * lt;
    let d = exp(logD);
    let l1 = sp_log1p(-d);
    let lamTerm = select(lam * d, lam * (1.0 - d), right);
    let f = base + (p - 1.0) * lt + log(gl.y) + ((E - 1.0) * logD + (O - 1.0) * l1 - lamTerm);
    let gE = dE + (-(O - 1.0) * d / (1.0 - d) + select(-lam * d, lam * d, right)) * (pe * lt);
    let gL = select(-d, d - 1.0, right);
    sp_pb_add(m, acc, f, select(vec3<f32>(gE, l1, gL), vec3<f32>(l1, gE, gL), right));
  }
}`,
};

/** The op's function: (log-pmf, ∂/∂α, ∂/∂β, ∂/∂λ) of PoissonBeta at count u with `kf` nodes. */
export const POISSON_BETA_FN_WGSL = `fn sp_poissonBeta(u: f32, alpha: f32, beta: f32, lam: f32, kf: f32) -> vec4<f32> {
  let total = i32(kf);
  let kk = max(1, i32(floor(kf / 6.0 + 0.5)));
  let k1 = max(1, total - 4 * kk);
  let A = alpha + select(0.0, u, u >= 0.0);
  let B = beta;
  let D = sqrt((lam - A) * (lam - A) + B * (B + 2.0 * (lam + A)));
  let S = lam + A + B;
  let qs = 2.0 * A / (S + D);
  let e = A + B - lam;
  let rs = select((D - e) / (2.0 * max(lam, 1e-30)), 2.0 * B / (e + D), e >= 0.0);
  let xs = log(qs) - log(rs);
  let curv = qs * rs * (A + B + lam * (rs - qs));
  let sd = 1.0 / sqrt(curv);
  let level = sp_pb_h(xs, A, B, lam).x - ${f(PB_T_DROP)};
  let x0 = sp_pb_edge(-1.0, xs, sd, level, A, B, lam);
  let x1 = sp_pb_edge(1.0, xs, sd, level, A, B, lam);
  let xa = min(x0, 0.0);
  let xb = max(max(x1, 0.0), log((lam + A + 1.0) / min(B, 1.0) - 1.0));
  var m = -3.0e38;
  var acc = vec4<f32>(0.0);
  sp_pb_logit(&m, &acc, k1, false, x0, 1.0, max(x1 - x0, 0.0), A, B, lam);
  sp_pb_logit(&m, &acc, kk, true, x0, -1.0, max(x0 - xa, 0.0), A, B, lam);
  sp_pb_logit(&m, &acc, kk, true, x1, 1.0, max(xb - x1, 0.0), A, B, lam);
  sp_pb_power(&m, &acc, kk, false, -sp_softplus(-xa), A, B, lam);
  sp_pb_power(&m, &acc, kk, true, -sp_softplus(xb), B, A, lam);
  let z = 1.0 + acc.x;
  let dab = sp_digamma(alpha + beta);
  let v = m + sp_log1p(acc.x) - sp_betaln(alpha, beta) + (sp_xlogy(u, lam) - sp_lgamma(u + 1.0));
  return vec4<f32>(
    v,
    acc.y / z - (sp_digamma(alpha) - dab),
    acc.z / z - (sp_digamma(beta) - dab),
    acc.w / z + select(u / lam, 0.0, u == 0.0));
}`;
