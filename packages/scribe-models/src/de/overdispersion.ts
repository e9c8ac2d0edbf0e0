/**
 * Gene-wise NB overdispersion by Cox–Reid adjusted maximum likelihood on λ = log θ
 * (glmGamPoi's Cox–Reid overdispersion MLE), means held fixed, plus the rough moments estimate used to start
 * the coefficient fit.
 * @module
 */
import { logDetLU } from "./linalg.js";
import {
  digamma,
  digammaShiftDiff,
  lgamma,
  lgammaShiftDiff,
  trigamma,
  trigammaShiftDiff,
} from "./special.js";

/** Cox–Reid shrink factor (glmGamPoi's Cox–Reid overdispersion MLE: c = 0.99). */
export const CR_FACTOR = 0.99;

/**
 * Rough moments overdispersion per gene on raw counts: θ⁰ = (v − ξ m)/m² with
 * ξ = 1/mean(s), m, v the row mean and sample variance; NaN or negative → 0.
 */
export function momentsOverdispersion(
  y: Float64Array,
  G: number,
  n: number,
  sizeFactors: Float64Array,
): Float64Array {
  let sm = 0;
  for (let i = 0; i < n; i++) sm += sizeFactors[i]!;
  const xi = 1 / (sm / n);
  const out = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += y[g * n + i]!;
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (y[g * n + i]! - m) ** 2;
    v /= n - 1;
    const t = (v - xi * m) / (m * m);
    out[g] = t > 0 && Number.isFinite(t) ? t : 0;
  }
  return out;
}

/** Per-gene inputs and reusable workspace of the profile-likelihood evaluation. */
interface GeneCtx {
  y: Float64Array;
  off: number;
  mu: Float64Array;
  n: number;
  X: Float64Array;
  p: number;
  ymax: number;
  cr: boolean;
  A: Float64Array;
  B: Float64Array;
  C: Float64Array;
  Ai: Float64Array;
  M: Float64Array;
}

function makeCtx(n: number, X: Float64Array, p: number, cr: boolean): GeneCtx {
  const pp = p * p;
  return {
    y: new Float64Array(0),
    off: 0,
    mu: new Float64Array(n),
    n,
    X,
    p,
    ymax: 0,
    cr,
    A: new Float64Array(pp),
    B: new Float64Array(pp),
    C: new Float64Array(pp),
    Ai: new Float64Array(pp),
    M: new Float64Array(pp),
  };
}

/** In-place Gauss–Jordan inverse of a small SPD-ish matrix into `out`; false if singular. */
function invertInto(A: Float64Array, p: number, out: Float64Array, work: Float64Array): boolean {
  if (p === 1) {
    out[0] = 1 / A[0]!;
    return A[0]! !== 0;
  }
  if (p === 2) {
    const det = A[0]! * A[3]! - A[1]! * A[2]!;
    if (det === 0) return false;
    out[0] = A[3]! / det;
    out[1] = -A[1]! / det;
    out[2] = -A[2]! / det;
    out[3] = A[0]! / det;
    return true;
  }
  work.set(A);
  out.fill(0);
  for (let j = 0; j < p; j++) out[j * p + j] = 1;
  for (let k = 0; k < p; k++) {
    let piv = k;
    for (let i = k + 1; i < p; i++) if (Math.abs(work[i * p + k]!) > Math.abs(work[piv * p + k]!)) piv = i;
    if (work[piv * p + k] === 0) return false;
    if (piv !== k) {
      for (let j = 0; j < p; j++) {
        let t = work[k * p + j]!;
        work[k * p + j] = work[piv * p + j]!;
        work[piv * p + j] = t;
        t = out[k * p + j]!;
        out[k * p + j] = out[piv * p + j]!;
        out[piv * p + j] = t;
      }
    }
    const d = work[k * p + k]!;
    for (let j = 0; j < p; j++) {
      work[k * p + j] = work[k * p + j]! / d;
      out[k * p + j] = out[k * p + j]! / d;
    }
    for (let i = 0; i < p; i++) {
      if (i === k) continue;
      const f = work[i * p + k]!;
      if (f === 0) continue;
      for (let j = 0; j < p; j++) {
        work[i * p + j] = work[i * p + j]! - f * work[k * p + j]!;
        out[i * p + j] = out[i * p + j]! - f * out[k * p + j]!;
      }
    }
  }
  return true;
}

/** Value (when asked), first and second derivative w.r.t. λ = log θ. */
interface Eval3 {
  f: number;
  g: number;
  h: number;
}

/**
 * Profile log-likelihood pieces at λ. Per count, with r = 1/θ, x = μθ:
 *   ℓ = [lgamma(y+r) − lgamma(r) − y log r] − (y + r) log1p(x)
 *   ∂ℓ/∂λ = r[log1p(x) − x/(1+x)] + y/(1+x) − r[ψ(y+r) − ψ(r)]
 *   ∂²ℓ/∂λ² = −∂ℓ/∂λ − r²[ψ'(r) − ψ'(y+r)] + μ/(1+x) − (μ − y)/(1+x)²
 * The shifted sums use direct forms for small integer y, series when r > 1e6·max y,
 * the core shift-difference functions when r > 1000, and plain special functions of
 * y + r (with the r-terms shared across samples) otherwise.
 * Cox–Reid term −½c·log det(XᵀWX), W = μ/(1+μθ): derivative ½cθ·tr(A⁻¹B),
 * second derivative ½c[θ tr(A⁻¹B) + θ² tr((A⁻¹B)²) − 2θ² tr(A⁻¹C)], B = XᵀW²X,
 * C = XᵀW³X; a 1e-6 ridge is added to A before inverting.
 */
function evaluate(ctx: GeneCtx, lambda: number, wantF: boolean): Eval3 {
  const { y, off, mu, n, X, p, A, B, C } = ctx;
  const theta = Math.exp(lambda);
  const r = 1 / theta;
  const series = r > 1e6 * ctx.ymax;
  const shiftFns = !series && r > 1000;
  const plain = !series && !shiftFns;
  const lr = Math.log(r);
  const lgr = plain && wantF ? lgamma(r) : 0;
  const dgr = plain ? digamma(r) : 0;
  const tgr = plain ? trigamma(r) : 0;
  let f = 0;
  let g = 0;
  let h = 0;
  for (let i = 0; i < n; i++) {
    const yi = y[off + i]!;
    const m = mu[i]!;
    const x = m * theta;
    const d = 1 + x;
    const l1p = Math.log1p(x);
    const rh = x < 1e-4 ? m * x * (0.5 - (2 * x) / 3 + 0.75 * x * x) : r * (l1p - x / d);
    if (yi === 0) {
      if (wantF) f -= r * l1p;
      g += rh;
      h += -rh + m / d - m / (d * d);
      continue;
    }
    let s0 = 0;
    let s1: number;
    let s2: number;
    if (series) {
      const a = yi * (yi - 1);
      const b = a * (2 * yi - 1);
      s0 = (theta * a) / 2 - (theta * theta * b) / 12;
      s1 = yi - (theta * a) / 2 + (theta * theta * b) / 6;
      s2 = yi - theta * a + (theta * theta * b) / 2;
    } else if (yi <= 8 && yi === Math.floor(yi)) {
      s1 = 1;
      s2 = 1;
      for (let j = 1; j < yi; j++) {
        const jt = j * theta;
        if (wantF) s0 += Math.log1p(jt);
        const q = 1 / (1 + jt);
        s1 += q;
        s2 += q * q;
      }
    } else if (shiftFns) {
      if (wantF) s0 = lgammaShiftDiff(r, yi) - yi * lr;
      s1 = r * digammaShiftDiff(r, yi);
      s2 = -r * r * trigammaShiftDiff(r, yi);
    } else {
      if (wantF) s0 = lgamma(yi + r) - lgr - yi * lr;
      s1 = r * (digamma(yi + r) - dgr);
      s2 = r * r * (tgr - trigamma(yi + r));
    }
    if (wantF) f += s0 - (yi + r) * l1p;
    const sc = rh + yi / d - s1;
    g += sc;
    h += -sc - s2 + m / d - (m - yi) / (d * d);
  }
  if (ctx.cr) {
    A.fill(0);
    B.fill(0);
    C.fill(0);
    for (let i = 0; i < n; i++) {
      const m = mu[i]!;
      const w = m / (1 + m * theta);
      for (let j = 0; j < p; j++) {
        const xj = X[i * p + j]!;
        if (xj === 0) continue;
        for (let l = 0; l <= j; l++) {
          const v = xj * X[i * p + l]! * w;
          A[j * p + l] = A[j * p + l]! + v;
          B[j * p + l] = B[j * p + l]! + v * w;
          C[j * p + l] = C[j * p + l]! + v * w * w;
        }
      }
    }
    for (let j = 0; j < p; j++) {
      for (let l = j + 1; l < p; l++) {
        A[j * p + l] = A[l * p + j]!;
        B[j * p + l] = B[l * p + j]!;
        C[j * p + l] = C[l * p + j]!;
      }
    }
    if (wantF) f -= 0.5 * CR_FACTOR * logDetLU(A, p);
    for (let j = 0; j < p; j++) A[j * p + j] = A[j * p + j]! + 1e-6;
    const { Ai, M } = ctx;
    if (invertInto(A, p, Ai, M)) {
      let trAB = 0;
      let trAC = 0;
      let trABAB = 0;
      for (let j = 0; j < p; j++) {
        for (let l = 0; l < p; l++) {
          let s = 0;
          for (let k = 0; k < p; k++) s += Ai[j * p + k]! * B[k * p + l]!;
          M[j * p + l] = s;
        }
      }
      for (let j = 0; j < p; j++) {
        trAB += M[j * p + j]!;
        for (let k = 0; k < p; k++) {
          trAC += Ai[j * p + k]! * C[k * p + j]!;
          trABAB += M[j * p + k]! * M[k * p + j]!;
        }
      }
      g += 0.5 * CR_FACTOR * theta * trAB;
      h += 0.5 * CR_FACTOR * (theta * trAB + theta * theta * trABAB - 2 * theta * theta * trAC);
    }
  }
  return { f, g, h };
}

const LAMBDA_MIN = Math.log(1e-16);
const LAMBDA_MAX = Math.log(1e16);

/** Options of {@link overdispersionMle}. */
export interface OverdispersionOptions {
  /** Apply the Cox–Reid adjustment (default true). */
  coxReid?: boolean;
  /** Maximum iterations (default 200). */
  maxIter?: number;
}

function loadGene(ctx: GeneCtx, y: Float64Array, off: number, muIn: Float64Array, muOff: number): number {
  const n = ctx.n;
  let ymax = 0;
  let ysum = 0;
  for (let i = 0; i < n; i++) {
    const v = y[off + i]!;
    if (v > ymax) ymax = v;
    ysum += v;
    const m = muIn[muOff + i]!;
    ctx.mu[i] = m === 0 ? 1e-6 : m;
  }
  ctx.y = y;
  ctx.off = off;
  ctx.ymax = ymax;
  return ysum;
}

function mleFromCtx(ctx: GeneCtx, ysum: number, maxIter: number): number {
  const { y, off, n } = ctx;
  if (ctx.ymax === 0) return 0;
  if (evaluate(ctx, Math.log(1e-8), false).g < 0) return 0;
  const ybar = ysum / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (y[off + i]! - ybar) ** 2;
  v /= n - 1;
  const start = (v - ybar) / (ybar * ybar);
  let lambda = start > 0 && Number.isFinite(start) ? Math.log(start) : Math.log(0.5);
  lambda = Math.min(Math.max(lambda, LAMBDA_MIN), LAMBDA_MAX);
  // Local search for a root of the score with negative curvature: march uphill
  // (Newton where concave, steps of ±3 otherwise) until the score changes sign,
  // then safeguarded Newton–bisection inside the bracket.
  let lo = Number.NaN;
  let hi = Number.NaN;
  let cur = evaluate(ctx, lambda, false);
  for (let it = 0; it < maxIter; it++) {
    if (cur.g === 0) break;
    if (cur.g > 0) lo = lambda;
    else hi = lambda;
    let next = cur.h < 0 ? lambda - cur.g / cur.h : lambda + 3 * Math.sign(cur.g);
    const bracketed = !Number.isNaN(lo) && !Number.isNaN(hi) && lo < hi;
    if (bracketed) {
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    } else {
      next = Math.min(Math.max(next, lambda - 3), lambda + 3);
    }
    next = Math.min(Math.max(next, LAMBDA_MIN), LAMBDA_MAX);
    const step = next - lambda;
    if (step === 0) break;
    lambda = next;
    if (Math.abs(step) < 1e-8 || (bracketed && hi - lo < 1e-8)) break;
    cur = evaluate(ctx, lambda, false);
  }
  return Math.exp(lambda);
}

/**
 * Cox–Reid adjusted MLE of θ for one gene, means fixed. Rules (glmGamPoi's Cox–Reid overdispersion MLE): all
 * counts zero → 0; μ = 0 → 1e-6; analytic score at θ = 1e-8 negative → 0 (Poisson);
 * otherwise a local search on λ = log θ from the raw-count moments start (log 0.5
 * if that is not positive), bounded to θ ∈ [1e-16, 1e16]: uphill steps until the
 * score changes sign, then safeguarded Newton–bisection to |Δλ| < 1e-8.
 */
export function overdispersionMle(
  y: Float64Array,
  off: number,
  muIn: Float64Array,
  muOff: number,
  n: number,
  X: Float64Array,
  p: number,
  opts: OverdispersionOptions = {},
): number {
  const ctx = makeCtx(n, X, p, opts.coxReid ?? true);
  const ysum = loadGene(ctx, y, off, muIn, muOff);
  return mleFromCtx(ctx, ysum, opts.maxIter ?? 200);
}

/**
 * {@link overdispersionMle} for every gene of a genes × samples matrix given the
 * fitted means (same layout). Genes with NaN means get NaN.
 */
export function overdispersionMleAll(
  y: Float64Array,
  G: number,
  n: number,
  mu: Float64Array,
  X: Float64Array,
  p: number,
  opts: OverdispersionOptions = {},
): Float64Array {
  const out = new Float64Array(G);
  const ctx = makeCtx(n, X, p, opts.coxReid ?? true);
  for (let g = 0; g < G; g++) {
    let bad = false;
    for (let i = 0; i < n; i++) if (Number.isNaN(mu[g * n + i]!)) bad = true;
    if (bad) {
      out[g] = Number.NaN;
      continue;
    }
    const ysum = loadGene(ctx, y, g * n, mu, g * n);
    out[g] = mleFromCtx(ctx, ysum, opts.maxIter ?? 200);
  }
  return out;
}

/**
 * The Cox–Reid adjusted profile log-likelihood of one gene at λ = log θ, with its
 * first and second derivatives in λ (means fixed; θ-free terms dropped). Exposed for
 * diagnostics and tests.
 */
export function overdispersionProfile(
  y: Float64Array,
  mu: Float64Array,
  X: Float64Array,
  p: number,
  lambda: number,
  coxReid = true,
): Eval3 {
  const ctx = makeCtx(y.length, X, p, coxReid);
  loadGene(ctx, y, 0, mu, 0);
  return evaluate(ctx, lambda, true);
}
