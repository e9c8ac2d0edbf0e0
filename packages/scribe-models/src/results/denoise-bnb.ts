/**
 * Denoising under BNB overdispersion (SCRIBE BNB overdispersion, `overdispersion="bnb"`) for
 * one parameter draw. The model's observation is u ~ BNB(r, α̂, κ) with SCRIBE's shapes taken at
 * the captured probability p̂ = pν/(1 − p(1 − ν)) (`models/observation.ts`, `bnbShapes`):
 * p′ ~ Beta(α̂, κ), u | p′ ~ NB(r, p′). Read as thinning, p′ is the captured form of a
 * biological probability p″ = p′/(ν + p′(1 − ν)): true counts m | p′ ~ NB(r, p″) and
 * u | m ~ Binomial(m, ν) give exactly u | p′ ~ NB(r, p′), so this story has the model's
 * likelihood, and E[m] = r·p/(1 − p) as without BNB.
 *
 * Then p′ | u ~ Beta(α̂ + u, κ + r) (conjugate), and given p′ the NB formulas of
 * `denoise-nb.ts` hold with q″ = p″(1 − ν): m = u + d, d | u, p′ ~ NB(r + u, q″). The
 * remaining one-dimensional integral over p′ is done by the trapezoidal rule in y = logit p′
 * (where the Beta log-density a·y − (a + b)·softplus(y) is smooth, log-concave and decays
 * exponentially, so the rule converges geometrically) on N nodes over
 * [y* − 25/a − 6σ, y* + 25/b + 6σ] around the mode y* = log(a/b) (σ² = (a + b)/(ab), the
 * curvature there); the density is written relative to its mode with log1p/expm1 so that
 * a, b ~ 10⁶ (ω → 0) lose no float32 precision. Where the left end is cut at y = −35 (tiny a),
 * the mass below is one node at p′ = 0 (∫ e^{a y} dy = e^{a·lo}/a). "mean" is the quadrature of
 * E[m | u, p′] and the variance the law of total variance over the nodes; "sample" picks a node
 * by its weight and draws there (a draw from the discretised posterior of p′). "mode" is
 * refused: the posterior is a continuous mixture of NBs without a closed-form mode.
 *
 * Without capture (ν ≡ 1) the observed counts are the true ones: denoising is the identity. At
 * zero-inflated zeros the structural-zero weight is w = g/(g + (1 − g)·BNB(0; r, α̂, κ)) (exact),
 * and the gate path's true count follows the prior of m: the same quadrature over
 * p′ ~ Beta(α̂, κ) of NB(r, p″) (without capture: BNB(r, α, κ) in closed form).
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
  /** NB probability p (biological, before capture). */
  p: Tensor;
  /** Excess-dispersion fraction ω (> 0). */
  omega: Tensor;
  /** Capture probability ν [C, 1], or null. */
  nu: Tensor | null;
  /** Zero-inflation gate, or null. */
  gate: Tensor | null;
}

/** Mean, variance and (for "sample") a draw of a Beta mixture of NBs, [C, G]. */
interface MixtureMoments {
  mean: Tensor;
  variance: Tensor;
  sample: Tensor | null;
}

/** Where the left end of the logit grid is cut (p′ = 6e−16); the mass below becomes one node at p′ = 0. */
const LOGIT_FLOOR = -35;

/** A Beta(a, b) mixture over the captured probability p′ of `offset` + NB(total, π(p′)), [C, G] each. */
interface BetaNbMixture {
  a: Tensor;
  b: Tensor;
  nu: Tensor;
  offset: Tensor;
  total: Tensor;
  /** π = p″(1 − ν) (the uncaptured rest, given the observed counts) or p″ (the prior of m). */
  thinned: boolean;
}

/**
 * The quadrature over y = logit p′ (module notes), streamed in chunks of nodes: running log-max
 * M of the node log-weights l, Σ e^{l−M}, Σ e^{l−M}·mean, Σ e^{l−M}·(var + mean²), and for
 * "sample" one node kept by weighted reservoir sampling (an exact draw from the categorical over
 * the nodes).
 */
function betaNbMoments(mx: BetaNbMixture, wantSample: boolean, nNodes: number, k: Key): MixtureMoments {
  const { a, b, nu, offset, total } = mx;
  const [C, G] = a.shape as [number, number];
  const dt = a.dtype;
  const ab = add(a, b);
  const yStar = div(a, b).log();
  const sigStar = sigmoid(yStar);
  const sd = div(ab, mul(a, b)).sqrt();
  const loFree = sub(yStar, add(div(25, a), mul(6, sd)));
  const cut = loFree.lt(LOGIT_FLOOR);
  const lo = maximum(loFree, LOGIT_FLOOR);
  const hi = add(yStar, add(div(25, b), mul(6, sd)));
  const h = div(sub(hi, lo), nNodes - 1);
  const oneMinusNu = sub(1, nu);
  /** Moments of offset + NB(total, π) at captured probability p′. */
  const atP = (pj: Tensor) => {
    const pTrue = div(pj, add(nu, mul(pj, oneMinusNu)));
    const pi = clamp(mx.thinned ? mul(pTrue, oneMinusNu) : pTrue, 0, 1 - P_FLOOR);
    const odds = div(pi, sub(1, pi));
    const mean = add(offset, mul(total, odds));
    const second = add(div(mul(total, odds), sub(1, pi)), square(mean));
    return { pi, mean, second };
  };
  const chunk = Math.max(1, Math.min(nNodes, Math.floor(CHUNK_ELEMENTS / (C * G))));
  const keys = splitKey(k, Math.ceil(nNodes / chunk) + 2);
  let M: Tensor = full([C, G], Number.NEGATIVE_INFINITY, dt);
  let s0: Tensor = full([C, G], 0, dt);
  let s1 = s0;
  let s2 = s0;
  let chosenPi: Tensor | null = null;
  const absorb = (l: Tensor, nd: { pi: Tensor; mean: Tensor; second: Tensor }, kc: Key, n: number) => {
    const newM = maximum(M, l.max(0));
    const scale = M.sub(newM).exp();
    const e = l.sub(newM).exp();
    const chunkW = e.sum(0);
    s0 = s0.mul(scale).add(chunkW);
    s1 = s1.mul(scale).add(e.mul(nd.mean).sum(0));
    s2 = s2.mul(scale).add(e.mul(nd.second).sum(0));
    M = newM;
    if (!wantSample) return;
    // one node within the chunk by its weight (the tail node alone: itself), kept with
    // probability W_chunk / W_total
    const [kj, kr] = splitKey(kc, 2) as [Key, Key];
    let pj: Tensor;
    if (n === 1) pj = nd.pi.reshape([C, G]);
    else {
      const j = random.categorical(kj, l.transpose([1, 2, 0]));
      const ks = fromTypedArray(
        Int32Array.from({ length: n }, (_, i) => i),
        [1, 1, n],
      );
      const pick = eq(j.astype("int32").reshape([C, G, 1]), ks).astype(dt);
      pj = nd.pi.expand([n, C, G]).transpose([1, 2, 0]).mul(pick).sum(2);
    }
    const keep = random.uniform(kr, [C, G], 0, 1, { dtype: dt }).lt(div(chunkW, s0));
    chosenPi = chosenPi ? where(keep, pj, chosenPi) : pj;
  };
  for (let c = 0, done = 0; done < nNodes; c++) {
    const n = Math.min(chunk, nNodes - done);
    const idx = arange(done, done + n, 1, dt).reshape([n, 1, 1]);
    // trapezoid weights: h, halved at both ends
    const ends = Float32Array.from({ length: n }, (_, i) =>
      done + i === 0 || done + i === nNodes - 1 ? 0.5 : 1,
    );
    const logW = add(h.log().reshape([1, C, G]), fromTypedArray(ends, [n, 1, 1]).astype(dt).log());
    const y = add(lo.reshape([1, C, G]), mul(idx, h.reshape([1, C, G])));
    const delta = sub(y, yStar);
    const l = sub(mul(a, delta), mul(ab, log1p(mul(sigStar, expm1(delta))))).add(logW);
    absorb(l, atP(sigmoid(y)), keys[c + 1]!, n);
    done += n;
  }
  // after the grid (M finite): the left tail below a cut grid, one node at p′ = 0 with mass
  // e^{a·lo}/a relative to the mode
  const tailLog = where(
    cut,
    sub(mul(a, sub(lo, yStar)), add(mul(ab, sub(softplus(lo), softplus(yStar))), a.log())),
    Number.NEGATIVE_INFINITY,
  ).reshape([1, C, G]);
  const zero = atP(full([1, C, G], 0, dt));
  absorb(tailLog, zero, keys[0]!, 1);
  const mean = div(s1, s0);
  const variance = maximum(sub(div(s2, s0), square(mean)), 0);
  let sample: Tensor | null = null;
  if (wantSample && chosenPi)
    sample = add(
      offset,
      new NegativeBinomialProbs(total.add(1e-8), chosenPi, false).sample(keys[keys.length - 1]!),
    );
  return { mean, variance, sample };
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
  const dt = u.dtype;
  const p = clamp(P.p, P_FLOOR, 1 - P_FLOOR).expand([C, G]);
  const r = P.r.expand([C, G]);
  const nu = P.nu ? P.nu.expand([C, G]) : null;
  // SCRIBE's shapes at the captured probability (as the model's likelihood takes them)
  const pHat = nu ? clamp(div(mul(p, nu), sub(1, mul(p, sub(1, nu)))), P_FLOOR, 1 - P_FLOOR) : p;
  const { alpha, kappa } = bnbShapes(pHat, r, P.omega);
  const wantSample = methods.includes("sample");
  const path: MixtureMoments = nu
    ? betaNbMoments(
        { a: add(alpha, u), b: add(kappa, r), nu, offset: u, total: add(r, u), thinned: true },
        wantSample,
        nNodes,
        kPath,
      )
    : { mean: u, variance: full([C, G], 0, dt), sample: u };
  const value = (m: DenoiseMethod) => (m === "sample" ? path.sample! : path.mean);
  if (!P.gate) return { denoised: value(methods[0]), variance: path.variance };
  // structural zero weight w = g / (g + (1 − g) P(u = 0)), P(u = 0) = BNB(0; r, α̂, κ)
  const gate = P.gate.expand([C, G]);
  const isZero = u.eq(0);
  const w = div(gate, add(gate, mul(sub(1, gate), bnbLogProb(full([C, G], 0, dt), r, alpha, kappa).exp())));
  const zeroMethod = methods[1];
  let prior: MixtureMoments;
  if (nu)
    prior = betaNbMoments(
      { a: alpha, b: kappa, nu, offset: full([C, G], 0, dt), total: r, thinned: false },
      zeroMethod === "sample",
      nNodes,
      kGate,
    );
  else {
    const bnb = new BetaNegativeBinomial(r, alpha, kappa);
    prior = {
      mean: bnb.mean,
      variance: bnb.variance,
      sample: zeroMethod === "sample" ? bnb.sample(kGate) : null,
    };
  }
  let zeroValue: Tensor;
  if (zeroMethod === "mean") zeroValue = add(mul(w, prior.mean), mul(sub(1, w), path.mean));
  else zeroValue = where(random.bernoulli(kPick, w).eq(1), prior.sample!, value("sample"));
  const varZero = add(
    add(mul(w, prior.variance), mul(sub(1, w), path.variance)),
    mul(mul(w, sub(1, w)), square(sub(prior.mean, path.mean))),
  );
  return {
    denoised: where(isZero, zeroValue, value(methods[0])),
    variance: where(isZero, varZero, path.variance),
  };
}
