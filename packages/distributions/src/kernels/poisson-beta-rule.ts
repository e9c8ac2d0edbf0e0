/**
 * Poisson–Beta log-pmf and its partials per element, in float64: the scalar form of the
 * composite Gauss–Legendre rule of @scribe/distributions' PoissonBeta (see the comment at the
 * top of packages/distributions/src/poisson-beta.ts for the five pieces L, M0, M1, M2, R). It is
 * the CPU body of the `poissonBeta` op (poisson-beta.ts): one call gives
 *
 *   log p(u | α, β, λ) = log ∫₀¹ q^(α+u−1) (1−q)^(β−1) e^(−λq) dq − log B(α, β) + u log λ − log u!
 *
 * and ∂/∂α, ∂/∂β, ∂/∂λ, each the derivative of the rule with its node positions held fixed
 * (piece ends, c₀, c_b and the integers m of the power substitutions are functions of the
 * parameters' values only), while the power p = m/A (m/B) follows the live exponent, so the
 * log v term of ∂(v^(p(A−1)))/∂A cancels exactly as in the tensor formulation.
 */
import { gaussLegendre01, specialScalar } from "@scribe/core";

const { betaln, digamma, lgamma, logSigmoid, xlogy } = specialScalar;

/** Drop of the integrand's log (from its maximum) at the edges of the central window. */
export const PB_T_DROP = 40;
/** Largest half-width of the central window, in logit units. */
export const PB_HALF_MAX = 5;
/** Newton steps for each window edge. */
export const PB_NEWTON_STEPS = 4;

/** Split a total node count over the five pieces (L, M0, M1, M2, R) as 1 : 1 : 2 : 1 : 1. */
export function poissonBetaPieceSizes(total: number): [number, number, number, number, number] {
  const k = Math.max(1, Math.round(total / 6));
  return [k, k, Math.max(1, total - 4 * k), k, k];
}

/** Node tables of one total node count: per piece, the abscissa transform and log weight. */
interface PbTables {
  readonly sizes: readonly [number, number, number, number, number];
  /** L piece: log t, log w. */
  readonly lLogT: Float64Array;
  readonly lLogW: Float64Array;
  /** M0: t², log(2t·w). */
  readonly m0T: Float64Array;
  readonly m0LogW: Float64Array;
  /** M1: t, log w. */
  readonly m1T: Float64Array;
  readonly m1LogW: Float64Array;
  /** M2: t², log(2t·w). */
  readonly m2T: Float64Array;
  readonly m2LogW: Float64Array;
  /** R piece: log t, log w. */
  readonly rLogT: Float64Array;
  readonly rLogW: Float64Array;
}

const tableCache = new Map<number, PbTables>();
let lastTotal = -1;
let lastTables: PbTables | null = null;

function tablesFor(total: number): PbTables {
  if (total === lastTotal && lastTables) return lastTables;
  let t = tableCache.get(total);
  if (!t) {
    const sizes = poissonBetaPieceSizes(total);
    const pow = (k: number) => {
      const { nodes, weights } = gaussLegendre01(k);
      return [nodes.map(Math.log), weights.map(Math.log)] as const;
    };
    const lin = (k: number) => {
      const { nodes, weights } = gaussLegendre01(k);
      return [Float64Array.from(nodes), weights.map(Math.log)] as const;
    };
    const sq = (k: number) => {
      const { nodes, weights } = gaussLegendre01(k);
      return [nodes.map((x) => x * x), nodes.map((x, i) => Math.log(2 * x * weights[i]!))] as const;
    };
    const [lLogT, lLogW] = pow(sizes[0]);
    const [m0T, m0LogW] = sq(sizes[1]);
    const [m1T, m1LogW] = lin(sizes[2]);
    const [m2T, m2LogW] = sq(sizes[3]);
    const [rLogT, rLogW] = pow(sizes[4]);
    t = { sizes, lLogT, lLogW, m0T, m0LogW, m1T, m1LogW, m2T, m2LogW, rLogT, rLogW };
    tableCache.set(total, t);
  }
  lastTotal = total;
  lastTables = t;
  return t;
}

/**
 * log1p(x) for x > −1 by Goldberg's correction, log(u)·x/(u − 1) with u = 1 + x (a few ulp;
 * about 2.5× faster than Math.log1p in V8, and this is the quadrature's inner loop).
 */
function log1pFast(x: number): number {
  const u = 1 + x;
  const d = u - 1;
  return d === 0 ? x : (Math.log(u) * x) / d;
}

/** h(x) = (A+B) log σ(x) − Bx − λσ(x) and h′(x) at one point (hAndSlope of the tensor form). */
function hSlope(x: number, A: number, B: number, lam: number, out: Float64Array): void {
  const e = Math.exp(-Math.abs(x));
  const ls = Math.min(x, 0) - Math.log1p(e);
  const s = (x >= 0 ? 1 : e) / (1 + e);
  out[0] = (A + B) * ls - B * x - lam * s;
  out[1] = A - (A + B) * s - lam * s * (1 - s);
}

const hd = new Float64Array(2);
const SQRT_2T = Math.sqrt(2 * PB_T_DROP);

function windowEdge(
  side: -1 | 1,
  xs: number,
  sd: number,
  level: number,
  A: number,
  B: number,
  lam: number,
): number {
  const far = xs + side * PB_HALF_MAX;
  const off = sd * SQRT_2T;
  let x = xs + side * (off < PB_HALF_MAX || Number.isNaN(off) ? off : PB_HALF_MAX);
  for (let i = 0; i < PB_NEWTON_STEPS; i++) {
    hSlope(x, A, B, lam, hd);
    const h = hd[0]!;
    const d = hd[1]!;
    const next = x + (level - h) / d;
    const ok = (side < 0 ? d > 0 : d < 0) && Number.isFinite(next);
    x = ok ? (side < 0 ? Math.min(Math.max(next, far), xs) : Math.max(Math.min(next, far), xs)) : far;
  }
  return x;
}

/**
 * Pieces whose whole integral is provably below e^(−SKIP_DROP) of the sum so far are left out
 * (they cannot change the result in float64: e^(−40) ≈ 4e-18, and their share of the partials
 * is as small): a graded logit piece outside the window holds at most width·e^(h(edge)) (h is
 * unimodal, and the piece's weights Σ 2tᵢwᵢ sum to 1); an end piece, the bound of its
 * integrand's integral given at the power pieces below. The window M1 is always summed first.
 */
const SKIP_DROP = 40;

/**
 * log ∫₀¹ q^(A−1) (1−q)^(B−1) e^(−λq) dq by the five-piece rule with `total` nodes, into
 * out[0], and its partials in A, B, λ into out[1..3]. The log-sum-exp over the terms runs
 * online: the largest term so far `M`, the others' sum relative to it `rest` (the result is
 * M + log1p(rest), as the tensor logsumexp), and the weighted partial sums.
 */
export function poissonBetaLogIntegral(
  out: Float64Array,
  A: number,
  B: number,
  lam: number,
  total: number,
): void {
  const tb = tablesFor(total);
  // mode of h, as q and r = 1 − q without cancellation
  const D = Math.sqrt((lam - A) * (lam - A) + B * (B + 2 * (lam + A)));
  const S = lam + A + B;
  const qs = (2 * A) / (S + D);
  const e0 = A + B - lam;
  const rs = e0 >= 0 ? (2 * B) / (e0 + D) : (D - e0) / (2 * Math.max(lam, 1e-300));
  const xs = Math.log(qs) - Math.log(rs);
  const curv = qs * rs * (A + B + lam * (rs - qs));
  const sd = 1 / Math.sqrt(curv);
  hSlope(xs, A, B, lam, hd);
  const level = hd[0]! - PB_T_DROP;
  const x0 = windowEdge(-1, xs, sd, level, A, B, lam);
  const x1 = windowEdge(1, xs, sd, level, A, B, lam);
  const xa = Math.min(x0, 0);
  const xb = Math.max(Math.max(x1, 0), Math.log((lam + A + 1) / Math.min(B, 1) - 1));
  const AB = A + B;
  let M = -Infinity;
  let rest = 0;
  let sA = 0;
  let sB = 0;
  let sL = 0;
  let bad = false;
  // logit pieces: the central window M1 first (so the running maximum rarely moves), then M0, M2
  for (let piece = 0; piece < 3; piece++) {
    const base = piece === 2 ? x1 : x0;
    const dir = piece === 1 ? -1 : 1;
    const width =
      piece === 0 ? Math.max(x1 - x0, 0) : piece === 1 ? Math.max(x0 - xa, 0) : Math.max(xb - x1, 0);
    if (!(width > 0)) {
      if (Number.isNaN(width)) bad = true;
      continue;
    }
    const lwid = Math.log(width);
    if (piece > 0 && M > -Infinity) {
      hSlope(base, A, B, lam, hd);
      if (lwid + hd[0]! < M + Math.log1p(rest) - SKIP_DROP) continue;
    }
    const T = piece === 0 ? tb.m1T : piece === 1 ? tb.m0T : tb.m2T;
    const LW = piece === 0 ? tb.m1LogW : piece === 1 ? tb.m0LogW : tb.m2LogW;
    const n = T.length;
    for (let i = 0; i < n; i++) {
      const x = base + dir * (width * T[i]!);
      const e = Math.exp(-Math.abs(x));
      const ls = Math.min(x, 0) - log1pFast(e);
      const s = (x >= 0 ? 1 : e) / (1 + e);
      const f = lwid + LW[i]! + (AB * ls - B * x - lam * s);
      if (f > M) {
        const r = Math.exp(M - f);
        rest = rest * r + (M === -Infinity ? 0 : r);
        sA = sA * r + ls;
        sB = sB * r + (ls - x);
        sL = sL * r - s;
        M = f;
      } else if (f > -Infinity) {
        const w = Math.exp(f - M);
        rest += w;
        sA += w * ls;
        sB += w * (ls - x);
        sL -= w * s;
      } else if (Number.isNaN(f)) bad = true;
    }
  }
  // power pieces: d = c·v^p, p = m/E for the live exponent E of d^(E−1) (A on the left, B on
  // the right), O the other exponent; terms log c + log p + (p−1) log v + log w + (E−1) log d +
  // (O−1) log1p(−d) − λ·(d or 1−d), ∂/∂E = log c − 1/E + (−(O−1) d/(1−d) ∓ λd)·(−(p/E) log v)
  for (let piece = 0; piece < 2; piece++) {
    const right = piece === 1;
    const logC = right ? logSigmoid(-xb) : logSigmoid(xa);
    const E = right ? B : A;
    const O = right ? A : B;
    const LT = right ? tb.rLogT : tb.lLogT;
    const LW = right ? tb.rLogW : tb.lLogW;
    // the piece's integral is at most c^E/E · max(1, (1−c)^(O−1)) · e^(−λ·(0 or 1−c)) (c ≤ ½)
    if (M > -Infinity) {
      const c = Math.exp(logC);
      const bound =
        E * logC - Math.log(E) + Math.max(0, (O - 1) * Math.log1p(-c)) - (right ? lam * (1 - c) : 0);
      if (bound < M + Math.log1p(rest) - SKIP_DROP) continue;
    }
    const m = Math.ceil(E < 4 ? 2 * E : E);
    const p = m / E;
    const fb = logC + Math.log(p);
    const dE = logC - 1 / E;
    const pe = -p / E;
    const n = LT.length;
    for (let i = 0; i < n; i++) {
      const lt = LT[i]!;
      const logD = logC + p * lt;
      const d = Math.exp(logD);
      const l1 = log1pFast(-d);
      const f =
        fb + (p - 1) * lt + LW[i]! + ((E - 1) * logD + (O - 1) * l1 - (right ? lam * (1 - d) : lam * d));
      const gE = dE + ((-(O - 1) * d) / (1 - d) + (right ? lam * d : -lam * d)) * (pe * lt);
      const gA = right ? l1 : gE;
      const gB = right ? gE : l1;
      const gL = right ? d - 1 : -d;
      if (f > M) {
        const r = Math.exp(M - f);
        rest = rest * r + (M === -Infinity ? 0 : r);
        sA = sA * r + gA;
        sB = sB * r + gB;
        sL = sL * r + gL;
        M = f;
      } else if (f > -Infinity) {
        const w = Math.exp(f - M);
        rest += w;
        sA += w * gA;
        sB += w * gB;
        sL += w * gL;
      } else if (Number.isNaN(f)) bad = true;
    }
  }
  if (bad || Number.isNaN(M)) {
    out[0] = out[1] = out[2] = out[3] = NaN;
  } else if (M > -Infinity && M < Infinity) {
    const z = 1 + rest;
    out[0] = M + Math.log1p(rest);
    out[1] = sA / z;
    out[2] = sB / z;
    out[3] = sL / z;
  } else {
    out[0] = M;
    out[1] = out[2] = out[3] = NaN;
  }
}

/** The outputs of the Poisson–Beta kernel, by the op's output names. */
export type PoissonBetaOutputs = {
  readonly logPmf: number;
  readonly gradAlpha: number;
  readonly gradBeta: number;
  readonly gradRate: number;
};

const integral = new Float64Array(4);

/**
 * PoissonBeta log-pmf of count u with Beta(α, β) promoter and Poisson scale λ, by the
 * `numNodes`-node rule (`logPmf`), and ∂/∂α, ∂/∂β, ∂/∂λ. Counts below 0 use the integral at 0
 * (their log-pmf is masked by the caller); u log λ and log u! take u as given.
 */
export function poissonBetaPartials(
  u: number,
  alpha: number,
  beta: number,
  lam: number,
  numNodes: number,
): PoissonBetaOutputs {
  // biome-ignore lint/complexity/useMathMinMax: a NaN count uses 0 here, as where(u ≥ 0, u, 0)
  const uq = u >= 0 ? u : 0;
  poissonBetaLogIntegral(integral, alpha + uq, beta, lam, numNodes);
  const dab = digamma(alpha + beta);
  return {
    logPmf: integral[0]! - betaln(alpha, beta) + (xlogy(u, lam) - lgamma(u + 1)),
    gradAlpha: integral[1]! - (digamma(alpha) - dab),
    gradBeta: integral[2]! - (digamma(beta) - dab),
    gradRate: integral[3]! + (u === 0 ? 0 : u / lam),
  };
}

/** log p(u | α, β, λ) alone (reference form; fused loops use the `poissonBeta` op). */
export function poissonBetaLogPmf(
  u: number,
  alpha: number,
  beta: number,
  lam: number,
  numNodes: number,
): number {
  return poissonBetaPartials(u, alpha, beta, lam, numNodes).logPmf;
}
