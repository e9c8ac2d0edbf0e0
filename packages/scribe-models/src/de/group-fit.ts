/**
 * The fast per-group coefficient fit for pure factor designs (glmGamPoi coefficient fit,
 * "group-wise path"): each group's log-mean by Newton with observed information,
 * then the coefficients by solving against the distinct design rows.
 * @module
 */
import { solve } from "./linalg.js";

/** Sample indices of each group. */
export function groupMembers(groups: Int32Array, nGroups: number): Int32Array[] {
  const counts = new Int32Array(nGroups);
  for (let i = 0; i < groups.length; i++) counts[groups[i]!]!++;
  const out = Array.from(counts, (c) => new Int32Array(c));
  const pos = new Int32Array(nGroups);
  for (let i = 0; i < groups.length; i++) {
    const k = groups[i]!;
    out[k]![pos[k]!++] = i;
  }
  return out;
}

function groupLogLik(
  b: number,
  y: Float64Array,
  off: number,
  idx: Int32Array,
  s: Float64Array,
  theta: number,
): number {
  const eb = Math.exp(b);
  let ll = 0;
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j]!;
    const yi = y[off + i]!;
    const mu = eb * s[i]!;
    ll += theta > 0 ? yi * Math.log(mu) - (yi + 1 / theta) * Math.log1p(mu * theta) : yi * Math.log(mu) - mu;
  }
  return ll;
}

/**
 * Maximum-likelihood log-mean b of one group of one gene: μ_i = exp(b)·s_i,
 * Newton with observed information from b₀ = log mean(y/s), |step| < 1e-8,
 * ≤ 100 iterations; an all-zero group gives −∞; non-convergence falls back to a
 * golden-section search on [−30, 30].
 */
export function fitGroupLogMean(
  y: Float64Array,
  off: number,
  idx: Int32Array,
  s: Float64Array,
  theta: number,
): number {
  let m = 0;
  for (let j = 0; j < idx.length; j++) m += y[off + idx[j]!]! / s[idx[j]!]!;
  if (m === 0) return Number.NEGATIVE_INFINITY;
  let b = Math.log(m / idx.length);
  for (let it = 0; it < 100; it++) {
    const eb = Math.exp(b);
    let score = 0;
    let info = 0;
    for (let j = 0; j < idx.length; j++) {
      const i = idx[j]!;
      const yi = y[off + i]!;
      const mu = eb * s[i]!;
      const d = 1 + mu * theta;
      score += (yi - mu) / d;
      info += (mu * (1 + yi * theta)) / (d * d);
    }
    const step = score / info;
    if (!Number.isFinite(step)) break;
    b += step;
    if (Math.abs(step) < 1e-8) return b;
  }
  // Fallback: golden-section maximisation of the group log-likelihood.
  let lo = -30;
  let hi = 30;
  const gr = (Math.sqrt(5) - 1) / 2;
  let c = hi - gr * (hi - lo);
  let d = lo + gr * (hi - lo);
  let fc = groupLogLik(c, y, off, idx, s, theta);
  let fd = groupLogLik(d, y, off, idx, s, theta);
  for (let it = 0; it < 200 && hi - lo > 1e-10; it++) {
    if (fc > fd) {
      hi = d;
      d = c;
      fd = fc;
      c = hi - gr * (hi - lo);
      fc = groupLogLik(c, y, off, idx, s, theta);
    } else {
      lo = c;
      c = d;
      fc = fd;
      d = lo + gr * (hi - lo);
      fd = groupLogLik(d, y, off, idx, s, theta);
    }
  }
  return 0.5 * (lo + hi);
}

/** Output of {@link groupFit}. */
export interface GroupFitResult {
  /** Coefficients, genes × p row-major. */
  beta: Float64Array;
  /** Fitted means, genes × samples row-major (exact zeros for all-zero groups). */
  mu: Float64Array;
}

/**
 * Per-group fit for all genes. `Xu` holds the first design row of each group
 * (nGroups = p rows, p × p row-major); each group's log-mean is floored at −1e8
 * before solving β = Xu⁻¹ b. Means are computed from the group log-means directly
 * (exp(b_k)·s_i), so a floored group has μ exactly 0.
 */
export function groupFit(
  y: Float64Array,
  G: number,
  n: number,
  groups: Int32Array,
  Xu: Float64Array,
  p: number,
  s: Float64Array,
  theta: Float64Array,
): GroupFitResult {
  const members = groupMembers(groups, p);
  const beta = new Float64Array(G * p);
  const mu = new Float64Array(G * n);
  const b = new Float64Array(p);
  // Pre-invert Xu once.
  const inv = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    const e = new Float64Array(p);
    e[j] = 1;
    const col = solve(Xu, e, p);
    if (col === null) throw new Error("group fit: the distinct design rows are singular");
    for (let i = 0; i < p; i++) inv[i * p + j] = col[i]!;
  }
  for (let g = 0; g < G; g++) {
    const off = g * n;
    const th = theta[g]!;
    for (let k = 0; k < p; k++) {
      const bk = fitGroupLogMean(y, off, members[k]!, s, th);
      const eb = Math.exp(bk);
      const idx = members[k]!;
      for (let j = 0; j < idx.length; j++) mu[off + idx[j]!] = eb * s[idx[j]!]!;
      b[k] = Math.max(bk, -1e8);
    }
    for (let i = 0; i < p; i++) {
      let acc = 0;
      for (let j = 0; j < p; j++) acc += inv[i * p + j]! * b[j]!;
      beta[g * p + i] = acc;
    }
  }
  return { beta, mu };
}
