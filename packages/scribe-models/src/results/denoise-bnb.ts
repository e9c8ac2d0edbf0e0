/**
 * Denoising under BNB overdispersion (SCRIBE `overdispersion="bnb"`, spec scribe.md §1.7) for
 * one parameter draw. The model per cell and gene: p′ ~ Beta(α, κ) (SCRIBE's shapes from
 * (p, r, ω), `bnbShapes`), true counts m | p′ ~ NB(r, p′), observed u | m ~ Binomial(m, ν_c).
 * Given p′ the NB formulas of `denoise-nb.ts` hold with q′ = p′(1 − ν): m = u + d,
 * d | u, p′ ~ NB(r + u, q′). The posterior of p′ given u,
 *
 *   π(p′ | u) ∝ Beta(p′; α, κ) · NB(u; r, p̂(p′)),   p̂(p′) = p′ν / (1 − p′(1 − ν)),
 *
 * has no closed form. Written out, NB(u; r, p̂(p′)) = C(u + r − 1, u) ν^u p′^u (1 − p′)^r /
 * (1 − p′(1 − ν))^{u + r}, so π(p′ | u) ∝ Beta(p′; a, b) · (1 − p′(1 − ν))^{−(u + r)} with
 * a = α + u, b = κ + r: the conjugate posterior without capture times a smooth, bounded,
 * monotone factor. It is integrated by the trapezoidal rule in y = logit p′ (where the Beta
 * density a·y − (a + b)·softplus(y) is smooth, log-concave and decays exponentially, so the rule
 * converges geometrically), on N nodes over [y* − 25/a − 6σ, y* + 25/b + 6σ] around the mode
 * y* = log(a/b) (σ² = (a + b)/(ab), the curvature there); the Beta density is written relative to
 * its mode with log1p/expm1 so that a, b ~ 10⁶ (ω → 0) lose no float32 precision. Where the
 * left end is cut at y = −35 (tiny a), the mass below is one node at p′ = 0 (∫ e^{a y} dy =
 * e^{a·lo}/a). "mean" is the quadrature of E[m | u, p′] and the variance the law of total
 * variance over the nodes; "sample" picks a node by its weight and draws u + NB(r + u, q′) there
 * (a draw from the discretised posterior of p′). "mode" is refused: the posterior is a
 * continuous mixture of NBs whose mode has no closed form.
 *
 * Without capture (ν ≡ 1) the observed counts are the true ones (q′ = 0): denoising is the
 * identity there, and at zero-inflated zeros the structural-zero weight uses the exact BNB
 * P(u = 0). With capture, P(u) = BNB(u; r, α, κ) · ν^u · E[(1 − p′(1 − ν))^{−(u + r)}] (the
 * expectation under Beta(a, b)), the ratio of the two quadratures with and without the factor. The gate path's true count follows the prior BNB(r, α, κ), whose
 * mean is the NB mean r·p/(1 − p) (SCRIBE's choice of α) and whose variance is the BNB variance.
 * @module
 */
import {
  add,
  arange,
  clamp,
  div,
  eq,
  expm1,
  fromTypedArray,
  full,
  type Key,
  log1p,
  maximum,
  mul,
  random,
  sigmoid,
  softplus,
  splitKey,
  square,
  sub,
  type Tensor,
  where,
} from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import { BetaNegativeBinomial, bnbLogProb, bnbShapes } from "../models/beta-negative-binomial.js";
import { P_FLOOR } from "../models/observation.js";
import type { DenoiseMethod, DenoiseResult } from "./denoise-nb.js";

/** Quadrature nodes in logit p′ per cell and gene. */
export const BNB_DENOISE_NODES = 64;
/** Elements of one [n, C, G] chunk of nodes (bounds memory on large data). */
const CHUNK_ELEMENTS = 1 << 22;

/** The parameters of one draw on the [C|1, G|1] grid. */
export interface BnbDenoiseParams {
  /** NB total count r. */
  r: Tensor;
  /** NB probability p (the Beta mixing variable's mean, through SCRIBE's α). */
  p: Tensor;
  /** Excess-dispersion fraction ω (> 0). */
  omega: Tensor;
  /** Capture probability ν [C, 1], or null. */
  nu: Tensor | null;
  /** Zero-inflation gate, or null. */
  gate: Tensor | null;
}

/** Posterior of the capture path: mean, variance and (for "sample") a draw of m, plus log P(u). */
interface CapturePath {
  mean: Tensor;
  variance: Tensor;
  sample: Tensor | null;
  logLik: Tensor;
}

/** Where the left end of the logit grid is cut (p′ = 6e−16); the mass below becomes one node at p′ = 0. */
const LOGIT_FLOOR = -35;

/**
 * The quadrature over y = logit p′ (module notes), streamed in chunks of nodes: running log-max
 * M of the node log-weights l, Σ e^{l−M}, Σ e^{l−M}·mean, Σ e^{l−M}·(var + mean²), the same
 * normaliser without the capture factor (for P(u)), and for "sample" one node kept by weighted
 * reservoir sampling (an exact draw from the categorical over the nodes).
 */
function capturePath(
  u: Tensor,
  P: BnbDenoiseParams & { nu: Tensor },
  alpha: Tensor,
  kappa: Tensor,
  wantSample: boolean,
  nNodes: number,
  k: Key,
): CapturePath {
  const [C, G] = u.shape as [number, number];
  const dt = u.dtype;
  const r = P.r.expand([C, G]);
  const nu = P.nu.expand([C, G]);
  const a = add(alpha, u);
  const b = add(kappa, r);
  const ab = add(a, b);
  const yStar = div(a, b).log();
  const sigStar = sigmoid(yStar);
  const sd = div(ab, mul(a, b)).sqrt();
  const loFree = sub(yStar, add(div(25, a), mul(6, sd)));
  const cut = loFree.lt(LOGIT_FLOOR);
  const lo = maximum(loFree, LOGIT_FLOOR);
  const hi = add(yStar, add(div(25, b), mul(6, sd)));
  const h = div(sub(hi, lo), nNodes - 1);
  const ur = add(u, r);
  const oneMinusNu = sub(1, nu);
  // one node's log-weight (Beta relative to its mode, trapezoid weight) and its moments of m
  const node = (y: Tensor, logW: Tensor) => {
    const delta = sub(y, yStar);
    const logBeta = sub(mul(a, delta), mul(ab, log1p(mul(sigStar, expm1(delta))))).add(logW);
    const pj = sigmoid(y);
    const l = sub(logBeta, mul(ur, sub(1, mul(pj, oneMinusNu)).log()));
    const q = clamp(mul(pj, oneMinusNu), 0, 1 - P_FLOOR);
    // E[m | u, p′] = (u + r q′)/(1 − q′); Var = (r + u) q′/(1 − q′)²
    const mean = div(add(u, mul(r, q)), sub(1, q));
    const second = add(div(mul(ur, q), square(sub(1, q))), square(mean));
    return { l, logBeta, q, mean, second };
  };
  const chunk = Math.max(1, Math.min(nNodes, Math.floor(CHUNK_ELEMENTS / (C * G))));
  const keys = splitKey(k, Math.ceil(nNodes / chunk) + 2);
  let M: Tensor = full([C, G], Number.NEGATIVE_INFINITY, dt);
  let s0: Tensor = full([C, G], 0, dt);
  let s0Beta = s0;
  let s1 = s0;
  let s2 = s0;
  let chosenQ: Tensor | null = null;
  const absorb = (
    nd: { l: Tensor; logBeta: Tensor; q: Tensor; mean: Tensor; second: Tensor },
    kc: Key,
    n: number,
  ) => {
    const newM = maximum(M, nd.l.max(0));
    const scale = M.sub(newM).exp();
    const e = nd.l.sub(newM).exp();
    const chunkW = e.sum(0);
    s0 = s0.mul(scale).add(chunkW);
    s0Beta = s0Beta.mul(scale).add(nd.logBeta.sub(newM).exp().sum(0));
    s1 = s1.mul(scale).add(e.mul(nd.mean).sum(0));
    s2 = s2.mul(scale).add(e.mul(nd.second).sum(0));
    M = newM;
    if (!wantSample) return;
    // one node within the chunk by its weight (the tail node alone: itself), kept with
    // probability W_chunk / W_total
    const [kj, kr] = splitKey(kc, 2) as [Key, Key];
    let qj: Tensor;
    if (n === 1) qj = nd.q.reshape([C, G]);
    else {
      const j = random.categorical(kj, nd.l.transpose([1, 2, 0]));
      const ks = fromTypedArray(
        Int32Array.from({ length: n }, (_, i) => i),
        [1, 1, n],
      );
      const pick = eq(j.astype("int32").reshape([C, G, 1]), ks).astype(dt);
      qj = nd.q.transpose([1, 2, 0]).mul(pick).sum(2);
    }
    const keep = random.uniform(kr, [C, G], 0, 1, { dtype: dt }).lt(div(chunkW, s0));
    chosenQ = chosenQ ? where(keep, qj, chosenQ) : qj;
  };
  for (let c = 0, done = 0; done < nNodes; c++) {
    const n = Math.min(chunk, nNodes - done);
    const idx = arange(done, done + n, 1, dt).reshape([n, 1, 1]);
    // trapezoid weights: h, halved at both ends
    const wts = Float32Array.from({ length: n }, (_, i) => {
      const g = done + i;
      return g === 0 || g === nNodes - 1 ? 0.5 : 1;
    });
    const logW = add(h.log().reshape([1, C, G]), fromTypedArray(wts, [n, 1, 1]).astype(dt).log());
    absorb(node(add(lo.reshape([1, C, G]), mul(idx, h.reshape([1, C, G]))), logW), keys[c + 1]!, n);
    done += n;
  }
  // after the grid (M finite): the left tail below a cut grid: one node at p′ = 0 with mass e^{a·lo}/a (relative to the mode)
  const tailLog = where(
    cut,
    sub(mul(a, sub(lo, yStar)), add(mul(ab, sub(softplus(lo), softplus(yStar))), a.log())),
    Number.NEGATIVE_INFINITY,
  ).reshape([1, C, G]);
  absorb(
    {
      l: tailLog,
      logBeta: tailLog,
      q: full([1, C, G], 0, dt),
      mean: u.reshape([1, C, G]),
      second: square(u).reshape([1, C, G]),
    },
    keys[0]!,
    1,
  );
  const mean = div(s1, s0);
  const variance = maximum(sub(div(s2, s0), square(mean)), 0);
  let sample: Tensor | null = null;
  if (wantSample && chosenQ) {
    const d = new NegativeBinomialProbs(add(r, u).add(1e-8), chosenQ, false).sample(keys[keys.length - 1]!);
    sample = add(u, d);
  }
  const logLik = bnbLogProb(u, r, alpha, kappa).add(mul(u, nu.log())).add(s0.div(s0Beta).log());
  return { mean, variance, sample, logLik };
}

/**
 * Denoised counts and posterior variances [C, G] of one BNB draw (module notes); `methods`:
 * [general, at zero-inflated zeros].
 */
export function bnbDenoiseGrid(
  u: Tensor,
  P: BnbDenoiseParams,
  methods: [DenoiseMethod, DenoiseMethod],
  k: Key,
  nNodes: number = BNB_DENOISE_NODES,
): DenoiseResult {
  const [C, G] = u.shape as [number, number];
  for (const m of methods)
    if (m === "mode")
      throw new Error(
        'denoise: method "mode" is not available with BNB overdispersion (overdispersion: "bnb"): the posterior of the true counts is a continuous mixture of NBs without a closed-form mode; use "mean" or "sample"',
      );
  const [kPath, kGate, kPick] = splitKey(k, 3) as [Key, Key, Key];
  const p = clamp(P.p, P_FLOOR, 1 - P_FLOOR).expand([C, G]);
  const r = P.r.expand([C, G]);
  const { alpha, kappa } = bnbShapes(p, r, P.omega);
  const wantSample = methods.includes("sample");
  const path: CapturePath = P.nu
    ? capturePath(u, { ...P, nu: P.nu }, alpha, kappa, wantSample, nNodes, kPath)
    : {
        mean: u,
        variance: full([C, G], 0, u.dtype),
        sample: u,
        logLik: bnbLogProb(u, r, alpha, kappa),
      };
  const value = (m: DenoiseMethod) => (m === "sample" ? path.sample! : path.mean);
  if (!P.gate) return { denoised: value(methods[0]), variance: path.variance };
  // structural zero weight w = g / (g + (1 − g) P(u = 0)), P(u = 0) from the capture path at u = 0
  const gate = P.gate.expand([C, G]);
  const isZero = u.eq(0);
  const w = div(gate, add(gate, mul(sub(1, gate), path.logLik.exp())));
  const prior = new BetaNegativeBinomial(r, alpha, kappa);
  const gateMean = prior.mean;
  const gateVar = prior.variance;
  const zeroMethod = methods[1];
  let zeroValue: Tensor;
  if (zeroMethod === "mean") zeroValue = add(mul(w, gateMean), mul(sub(1, w), path.mean));
  else zeroValue = where(random.bernoulli(kPick, w).eq(1), prior.sample(kGate), value("sample"));
  const varZero = add(
    add(mul(w, gateVar), mul(sub(1, w), path.variance)),
    mul(mul(w, sub(1, w)), square(sub(gateMean, path.mean))),
  );
  return {
    denoised: where(isZero, zeroValue, value(methods[0])),
    variance: where(isZero, varZero, path.variance),
  };
}
