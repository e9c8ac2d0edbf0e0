import type { ScalarGroupName } from "../../expr/scalar-groups.js";
import type { ScalarOpName } from "../../expr/scalar-ops.js";
import { SHIFT_DIFF_DIRECT_MAX } from "../../special/scalar/index.js";
import { POISSON_BETA_GROUP_WGSL } from "./wgsl-lib/poisson-beta.js";

/**
 * WGSL forms of every scalar op, typed against the op table so a missing op is a compile
 * error. Every value is an f32 (ints and bools are converted on load); comparisons give 0/1.
 * Library calls (`sp_*`) are resolved from wgsl-lib/.
 */
export const WGSL_OPS: Record<ScalarOpName, (a: readonly string[]) => string> = {
  identity: ([a]) => `${a}`,
  toBool: ([a]) => `sp_b(${a} != 0.0)`,
  neg: ([a]) => `(-${a})`,
  abs: ([a]) => `abs(${a})`,
  sign: ([a]) => `sign(${a})`,
  square: ([a]) => `(${a} * ${a})`,
  reciprocal: ([a]) => `(1.0 / ${a})`,
  sqrt: ([a]) => `sqrt(${a})`,
  rsqrt: ([a]) => `(1.0 / sqrt(${a}))`,
  exp: ([a]) => `exp(${a})`,
  log: ([a]) => `sp_log(${a})`,
  log1p: ([a]) => `sp_log1p(${a})`,
  expm1: ([a]) => `sp_expm1(${a})`,
  sin: ([a]) => `sp_sincos(${a}).x`,
  cos: ([a]) => `sp_sincos(${a}).y`,
  tan: ([a]) => `sp_tan(${a})`,
  tanh: ([a]) => `sp_tanh(${a})`,
  sigmoid: ([a]) => `sp_sigmoid(${a})`,
  relu: ([a]) => `select(0.0, ${a}, ${a} > 0.0)`,
  floor: ([a]) => `floor(${a})`,
  ceil: ([a]) => `ceil(${a})`,
  round: ([a]) => `round(${a})`,
  isnan: ([a]) => `sp_b(sp_isnan(${a}))`,
  isfinite: ([a]) => `sp_b(sp_isfinite(${a}))`,
  logicalNot: ([a]) => `sp_b(${a} == 0.0)`,
  lgamma: ([a]) => `sp_lgamma(${a})`,
  digamma: ([a]) => `sp_digamma(${a})`,
  trigamma: ([a]) => `sp_trigamma(${a})`,
  softplus: ([a]) => `sp_softplus(${a})`,
  logSigmoid: ([a]) => `(-sp_softplus(-${a}))`,
  erf: ([a]) => `sp_erf(${a})`,
  erfc: ([a]) => `sp_erfc(${a})`,
  ndtri: ([a]) => `sp_ndtri(${a})`,
  logNdtr: ([a]) => `sp_logNdtr(${a})`,
  add: ([a, b]) => `(${a} + ${b})`,
  sub: ([a, b]) => `(${a} - ${b})`,
  mul: ([a, b]) => `(${a} * ${b})`,
  div: ([a, b]) => `(${a} / ${b})`,
  pow: ([a, b]) => `sp_pow(${a}, ${b})`,
  maximum: ([a, b]) => `sp_maximum(${a}, ${b})`,
  minimum: ([a, b]) => `sp_minimum(${a}, ${b})`,
  atan2: ([a, b]) => `atan2(${a}, ${b})`,
  eq: ([a, b]) => `sp_b(${a} == ${b})`,
  ne: ([a, b]) => `sp_b(${a} != ${b})`,
  lt: ([a, b]) => `sp_b(${a} < ${b})`,
  le: ([a, b]) => `sp_b(${a} <= ${b})`,
  gt: ([a, b]) => `sp_b(${a} > ${b})`,
  ge: ([a, b]) => `sp_b(${a} >= ${b})`,
  logicalAnd: ([a, b]) => `sp_b(${a} != 0.0 && ${b} != 0.0)`,
  logicalOr: ([a, b]) => `sp_b(${a} != 0.0 || ${b} != 0.0)`,
  xlogy: ([a, b]) => `sp_xlogy(${a}, ${b})`,
  xlog1py: ([a, b]) => `sp_xlog1py(${a}, ${b})`,
  betaln: ([a, b]) => `sp_betaln(${a}, ${b})`,
  gammainc: ([a, b]) => `sp_gammainc(${a}, ${b})`,
  gammaincc: ([a, b]) => `sp_gammaincc(${a}, ${b})`,
  gammaincGradA: ([a, b]) => `sp_gammaincGradA(${a}, ${b})`,
  gammaSampleGrad: ([a, b]) => `sp_gammaSampleGrad(${a}, ${b})`,
  lgammaShiftDiff: ([a, b]) => `sp_lgammaShiftDiff(${a}, ${b})`,
  digammaShiftDiff: ([a, b]) => `sp_digammaShiftDiff(${a}, ${b})`,
  trigammaShiftDiff: ([a, b]) => `sp_trigammaShiftDiff(${a}, ${b})`,
  lfactorial: ([a]) => `sp_lfactorial(${a})`,
  where: ([c, a, b]) => `select(${b}, ${a}, ${c} != 0.0)`,
  betainc: ([a, b, x]) => `sp_betainc(${a}, ${b}, ${x})`,
  betaincGradA: ([a, b, x]) => `sp_betaincGradA(${a}, ${b}, ${x})`,
  betaincGradB: ([a, b, x]) => `sp_betaincGradB(${a}, ${b}, ${x})`,
  // Group members: the fused codegen reads the group's outputs instead (see WGSL_GROUPS).
  nb2LogPmf: ([y, m, t]) => `sp_nb2(${y}, ${m}, ${t}).x`,
  nb2GradMean: ([y, m, t]) => `sp_nb2(${y}, ${m}, ${t}).y`,
  nb2GradConc: ([y, m, t]) => `sp_nb2(${y}, ${m}, ${t}).z`,
  nbProbsLogPmf: ([y, r, p]) => `sp_nbProbs(${y}, ${r}, ${p}).x`,
  nbProbsGradR: ([y, r, p]) => `sp_nbProbs(${y}, ${r}, ${p}).y`,
  nbProbsGradP: ([y, r, p]) => `sp_nbProbs(${y}, ${r}, ${p}).z`,
  zinbProbsLogPmf: ([y, r, p, g]) => `sp_zinbProbs(${y}, ${r}, ${p}, ${g}).x`,
  zinbProbsGradR: ([y, r, p, g]) => `sp_zinbProbs(${y}, ${r}, ${p}, ${g}).y`,
  zinbProbsGradP: ([y, r, p, g]) => `sp_zinbProbs(${y}, ${r}, ${p}, ${g}).z`,
  zinbProbsGradGate: ([y, r, p, g]) => `sp_zinbProbs(${y}, ${r}, ${p}, ${g}).w`,
  nbLogitsLogPmf: ([y, r, l]) => `sp_nbLogits(${y}, ${r}, ${l}).x`,
  nbLogitsGradR: ([y, r, l]) => `sp_nbLogits(${y}, ${r}, ${l}).y`,
  nbLogitsGradLogits: ([y, r, l]) => `sp_nbLogits(${y}, ${r}, ${l}).z`,
  poissonBetaLogPmf: ([y, a, b, l, k]) => `sp_poissonBeta(${y}, ${a}, ${b}, ${l}, ${k}).x`,
  poissonBetaGradAlpha: ([y, a, b, l, k]) => `sp_poissonBeta(${y}, ${a}, ${b}, ${l}, ${k}).y`,
  poissonBetaGradBeta: ([y, a, b, l, k]) => `sp_poissonBeta(${y}, ${a}, ${b}, ${l}, ${k}).z`,
  poissonBetaGradRate: ([y, a, b, l, k]) => `sp_poissonBeta(${y}, ${a}, ${b}, ${l}, ${k}).w`,
};

/**
 * (log Γ(θ+y) − log Γ(θ), ψ(θ+y) − ψ(θ)) for a count y ≥ 1: the direct product / sum for small
 * integer y (product renormalized so it cannot overflow float32), the shift differences otherwise.
 */
export const NB_SHIFT_WGSL = `fn sp_nb_shift(th: f32, y: f32) -> vec2<f32> {
  var lgd = 0.0; var dgd = 0.0;
  if (y <= ${SHIFT_DIFF_DIRECT_MAX}.0 && y == floor(y) && th > 1e-30 && th < 1e30) {
    var p = 1.0;
    for (var k = 0.0; k < y; k += 1.0) {
      let t = th + k; p *= t; dgd += 1.0 / t;
      if (p > 1e30 || p < 1e-30) { lgd += log(p); p = 1.0; }
    }
    return vec2<f32>(lgd + log(p), dgd);
  }
  return vec2<f32>(sp_lgammaShiftDiff(th, y), sp_digammaShiftDiff(th, y));
}`;

/** WGSL functions for the multi-output groups of expr/scalar-groups.ts, returning a vector of outputs. */
export const WGSL_GROUPS: Record<ScalarGroupName, { readonly fn: string; readonly code: string }> = {
  nb2: {
    fn: "sp_nb2",
    // Count-aware log NB(y | μ, θ) and ∂/∂μ, ∂/∂θ: the same branches as the JS group.
    code: `fn sp_nb2(y: f32, mu: f32, th: f32) -> vec3<f32> {
  let l1 = sp_log1p(mu / th);
  let inv = 1.0 / (th + mu);
  if (y == 0.0) { return vec3<f32>(-th * l1, -th * inv, mu * inv - l1); }
  let sd = sp_nb_shift(th, y);
  var v = sd.x - sp_lfactorial(y) - th * l1 - y * sp_log1p(th / mu);
  if (mu == 0.0) { v = -sp_inf(); }
  return vec3<f32>(v, (th * (y - mu) * inv) / mu, sd.y - l1 + (mu - y) * inv);
}`,
  },
  nbProbs: {
    fn: "sp_nbProbs",
    code: `fn sp_nbProbs(y: f32, r: f32, p: f32) -> vec3<f32> {
  let l1m = sp_log1p(-p);
  if (y == 0.0) { return vec3<f32>(r * l1m, l1m, -r / (1.0 - p)); }
  let sd = sp_nb_shift(r, y);
  return vec3<f32>(sd.x - sp_lfactorial(y) + r * l1m + y * log(p), sd.y + l1m, y / p - r / (1.0 - p));
}`,
  },
  zinbProbs: {
    fn: "sp_zinbProbs",
    code: `fn sp_zinbProbs(y: f32, r: f32, p: f32, g: f32) -> vec4<f32> {
  let l1m = sp_log1p(-p);
  if (y == 0.0) {
    let nb0 = r * l1m;
    let e = exp(nb0);
    let a = g + (1.0 - g) * e;
    let v = select(log(a), sp_log1p((1.0 - g) * sp_expm1(nb0)), a > 0.5);
    let w = (1.0 - g) * e / a;
    return vec4<f32>(v, w * l1m, -w * r / (1.0 - p), (1.0 - e) / a);
  }
  let sd = sp_nb_shift(r, y);
  return vec4<f32>(sp_log1p(-g) + sd.x - sp_lfactorial(y) + r * l1m + y * log(p), sd.y + l1m, y / p - r / (1.0 - p), -1.0 / (1.0 - g));
}`,
  },
  nbLogits: {
    fn: "sp_nbLogits",
    code: `fn sp_nbLogits(y: f32, r: f32, l: f32) -> vec3<f32> {
  let e = exp(-abs(l));
  let spPos = max(l, 0.0) + sp_log1p(e);
  let sig = select(e / (1.0 + e), 1.0 / (1.0 + e), l >= 0.0);
  if (y == 0.0) { return vec3<f32>(-r * spPos, -spPos, -r * sig); }
  let sd = sp_nb_shift(r, y);
  return vec3<f32>(sd.x - sp_lfactorial(y) - r * spPos - y * (spPos - l), sd.y - spPos, y - (r + y) * sig);
}`,
  },
  // float32 form of the five-piece PoissonBeta rule (wgsl-lib/poisson-beta.ts)
  poissonBeta: { fn: "sp_poissonBeta", code: POISSON_BETA_GROUP_WGSL },
};
