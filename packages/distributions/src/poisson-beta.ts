import {
  type Backend, type DType, type Key, type Shape, type Tensor, abs, add, betaln, ceil, concat, div, exp, fromTypedArray,
  ge, gt, isfinite, keep, lgamma, log, log1p, logSigmoid, logicalAnd, logsumexp, lt, maximum, minimum, mul, neg, random,
  realize, rsqrt, splitKey, sqrt, square, stopGradient, sub, unsqueeze, where, withBackend, xlogy,
} from "@scribe/core";
import { Distribution } from "./distribution.js";
import { nonnegativeInteger, positive, unitInterval } from "./constraints.js";
import { maskOutOfSupport } from "./validation.js";
import { gaussLegendre01 } from "./gauss-legendre.js";
import { type ParamLike, asValue, checkArgs, promoteParams } from "./param-utils.js";

/**
 * The quadrature of the log-pmf works on the unnormalized posterior of q,
 * f(q) = q^(A−1) (1−q)^(B−1) e^(−λq) with A = α + u and B = β, and writes its integral as the
 * sum of five pieces, each with a Gauss–Legendre rule in a variable where that piece is smooth:
 *
 * - L, q ∈ [0, c₀] with q = c₀ v^p and p = m/A (m a positive integer): the substitution turns
 *   q^(A−1) dq into c₀^A p v^(m−1) dv, so the endpoint singularity of α < 1 (or the fractional
 *   power of 1 < A < 4) disappears exactly;
 * - M0, M1, M2 in the logit x = log(q/(1−q)), where the integrand e^(h(x)),
 *   h(x) = A log σ(x) + B log σ(−x) − λσ(x), is smooth and unimodal: M1 = [x₀, x₁] spans the
 *   peak (where h is within T of its maximum, at most W either side of the mode); M0 = [xₐ, x₀]
 *   and M2 = [x₁, x_b] reach out to xₐ = min(x₀, 0) and
 *   x_b = max(x₁, 0, logit(1 − min(1, B)/(λ + A + 1))), with nodes graded (∝ t²) towards x₀, x₁;
 * - R, 1 − q ∈ [0, 1 − c_b] with 1 − q = (1 − c_b) w^p, p = m/B, for the (1−q)^(β−1) end.
 *
 * On L (left of the mode, c₀ ≤ ½) the integrand's log-slope in log v is at most m; on R
 * (1 − q ≤ ½ and ≤ min(1, B)/(λ + A + 1)) the factor q^(A−1) e^(−λq) varies by at most
 * ~min(1, B) against the power w^(1/B): both are smooth, low-degree-like functions of v, w.
 * The pieces' positions are computed from detached parameters: the integral does not depend
 * on where it is split, so the gradient is the same rule applied to the parameter derivative
 * of the integrand.
 */
const T_DROP = 40;
const HALF_MAX = 5;
const NEWTON_STEPS = 4;

interface Rule { a: Tensor; b: Tensor }
/** Node tables per backend, then per (order, use, dtype). */
const tables = new WeakMap<Backend, Map<string, Rule>>();

/**
 * Constant node tensors of the K-point rule on [0, 1] on `backend`, for one of three uses:
 * "pow": (log t, log w); "lin": (t, log w); "sq": (t², log(2t·w)).
 */
function rule(K: number, kind: "pow" | "lin" | "sq", dtype: DType, backend: Backend): Rule {
  let cache = tables.get(backend);
  if (!cache) tables.set(backend, (cache = new Map()));
  const id = `${K}:${kind}:${dtype}`;
  const hit = cache.get(id);
  if (hit) return hit;
  const { nodes, weights } = gaussLegendre01(K);
  const make = (f: (i: number) => number) => {
    const arr = dtype === "float64" ? new Float64Array(K) : new Float32Array(K);
    for (let i = 0; i < K; i++) arr[i] = f(i);
    // cached across calls: kept alive past the memory scope (e.g. a gradient) it is first made in
    return keep(withBackend(backend, () => fromTypedArray(arr, [K])));
  };
  const t = (i: number) => nodes[i]!;
  const w = (i: number) => weights[i]!;
  const r: Rule =
    kind === "pow"
      ? { a: make((i) => Math.log(t(i))), b: make((i) => Math.log(w(i))) }
      : kind === "lin"
        ? { a: make(t), b: make((i) => Math.log(w(i))) }
        : { a: make((i) => t(i) * t(i)), b: make((i) => Math.log(2 * t(i) * w(i))) };
  cache.set(id, r);
  return r;
}

/**
 * log σ(x) and σ(x) from e = exp(−|x|): log σ(x) = min(x, 0) − log1p(e) and
 * σ(x) = (x ≥ 0 ? 1 : e)/(1 + e) (two transcendentals).
 */
function logSigmoidAndSigmoid(x: Tensor): [Tensor, Tensor] {
  const e = exp(neg(abs(x)));
  return [sub(minimum(x, 0), log1p(e)), div(where(ge(x, 0), 1, e), add(e, 1))];
}

/**
 * h(x) = A log σ(x) + B log σ(−x) − λσ(x) = (A+B) log σ(x) − Bx − λσ(x) and
 * h′(x) = A − (A+B)σ(x) − λσ(x)(1 − σ(x)).
 */
function hAndSlope(x: Tensor, A: Tensor, B: Tensor, lam: Tensor): [Tensor, Tensor] {
  const [ls, s] = logSigmoidAndSigmoid(x);
  const AB = add(A, B);
  const h = sub(sub(mul(AB, ls), mul(B, x)), mul(lam, s));
  const d = sub(sub(A, mul(AB, s)), mul(mul(lam, s), sub(1, s)));
  return [h, d];
}

/**
 * Window edge on one side (`side` −1 or +1) of the mode xs: Newton on h(x) = h(xs) − T from the
 * Gaussian guess, kept within [xs − W, xs] (or [xs, xs + W]).
 */
function windowEdge(side: -1 | 1, xs: Tensor, sd: Tensor, level: Tensor, A: Tensor, B: Tensor, lam: Tensor): Tensor {
  const far = add(xs, side * HALF_MAX);
  let x = add(xs, mul(side, minimum(mul(sd, Math.sqrt(2 * T_DROP)), HALF_MAX)));
  for (let i = 0; i < NEWTON_STEPS; i++) {
    const [h, d] = hAndSlope(x, A, B, lam);
    const next = add(x, div(sub(level, h), d));
    const ok = logicalAnd(side < 0 ? gt(d, 0) : lt(d, 0), isfinite(next));
    const kept = side < 0 ? minimum(maximum(next, far), xs) : maximum(minimum(next, far), xs);
    x = where(ok, kept, far);
  }
  return x;
}

/** Split a total node count over the five pieces (L, M0, M1, M2, R) as 1 : 1 : 2 : 1 : 1. */
function pieceSizes(total: number): [number, number, number, number, number] {
  const k = Math.max(1, Math.round(total / 6));
  return [k, k, Math.max(1, total - 4 * k), k, k];
}

/**
 * log ∫₀¹ q^(A−1) (1−q)^(B−1) e^(−λq) dq for A = α + u > 0, B = β > 0, λ ≥ 0 (broadcast),
 * differentiable in α, β and λ.
 */
function logPosteriorIntegral(alpha: Tensor, beta: Tensor, lam: Tensor, u: Tensor, total: number): Tensor {
  const dtype = alpha.dtype;
  const backend = alpha.backend;
  const [kL, k0, k1, k2, kR] = pieceSizes(total);
  // live parameters (gradients flow through the integrand only)
  const A = add(alpha, u);
  const B = beta;
  // detached copies place the nodes
  const As = stopGradient(A);
  const Bs = stopGradient(B);
  const ls = stopGradient(lam);
  // mode of h: λq² − (λ+A+B)q + A = 0, its root in (0, 1), and r = 1 − q, both without cancellation
  const D = sqrt(add(square(sub(ls, As)), mul(Bs, add(Bs, mul(2, add(ls, As))))));
  const S = add(add(ls, As), Bs);
  const qs = div(mul(2, As), add(S, D));
  const e = sub(add(As, Bs), ls);
  const rs = where(ge(e, 0), div(mul(2, Bs), add(e, D)), div(sub(D, e), mul(2, maximum(ls, 1e-300))));
  const xs = sub(log(qs), log(rs));
  const curv = mul(mul(qs, rs), add(add(As, Bs), mul(ls, sub(rs, qs))));
  const sd = rsqrt(curv);
  const [hs] = hAndSlope(xs, As, Bs, ls);
  const level = sub(hs, T_DROP);
  const x0 = windowEdge(-1, xs, sd, level, As, Bs, ls);
  const x1 = windowEdge(1, xs, sd, level, As, Bs, ls);
  const xa = minimum(x0, 0);
  const xb = maximum(maximum(x1, 0), log(sub(div(add(add(ls, As), 1), minimum(Bs, 1)), 1)));
  // computed once per element rather than re-fused into the per-node kernels: a lazy x₁ fused
  // into a float32 kernel is evaluated in double precision there, so x_b − x₁ could come out
  // negative against a stored float32 x₁ (hence also the clamps of the widths below)
  for (const t of [x0, x1, xa, xb]) realize(t);
  const K = (t: Tensor) => unsqueeze(t, t.rank);

  // logit pieces M0 (graded towards x₀), M1 (linear), M2 (graded towards x₁)
  const sq0 = rule(k0, "sq", dtype, backend);
  const lin = rule(k1, "lin", dtype, backend);
  const sq2 = rule(k2, "sq", dtype, backend);
  const w0 = maximum(sub(x0, xa), 0);
  const w1 = maximum(sub(x1, x0), 0);
  const w2 = maximum(sub(xb, x1), 0);
  const x = concat([sub(K(x0), mul(K(w0), sq0.a)), add(K(x0), mul(K(w1), lin.a)), add(K(x1), mul(K(w2), sq2.a))], -1);
  const lw = concat([add(K(log(w0)), sq0.b), add(K(log(w1)), lin.b), add(K(log(w2)), sq2.b)], -1);
  const [hx] = hAndSlope(x, K(A), K(B), K(lam));
  const mid = add(lw, hx);

  // power pieces: d = c·v^p with p = m/e, m = ⌈2e⌉ for e < 4, ⌈e⌉ otherwise. p follows the
  // live exponent e, so that ∂/∂e of log p + (p−1) log v + (e−1) log d is log c − 1/e: the
  // log v of ∂(d^(e−1))/∂e, which no polynomial rule integrates well near v = 0, cancels.
  const power = (k: number, logC: Tensor, e: Tensor) => {
    const r = rule(k, "pow", dtype, backend);
    const es = stopGradient(e);
    const p = div(ceil(where(lt(es, 4), mul(2, es), es)), e);
    const logD = add(K(logC), mul(K(p), r.a));
    const logJac = add(add(K(add(logC, log(p))), mul(K(sub(p, 1)), r.a)), r.b);
    return { logD, logJac };
  };
  const left = power(kL, logSigmoid(xa), A);
  const qL = exp(left.logD);
  const fL = add(
    left.logJac,
    sub(add(mul(K(sub(A, 1)), left.logD), mul(K(sub(B, 1)), log1p(neg(qL)))), mul(K(lam), qL)),
  );
  const right = power(kR, logSigmoid(neg(xb)), B);
  const rR = exp(right.logD);
  const fR = add(
    right.logJac,
    sub(add(mul(K(sub(B, 1)), right.logD), mul(K(sub(A, 1)), log1p(neg(rR)))), mul(K(lam), sub(1, rR))),
  );
  return logsumexp(concat([fL, mid, fR], -1), -1);
}

/**
 * PoissonBeta(alpha α, beta β, rate r, capture ν = 1): the two-state (telegraph) promoter
 * marginal used by SCRIBE, u | q ~ Poisson(λq) with q ~ Beta(α, β) and λ = r·ν.
 *
 * The log-pmf is u log λ − log u! − log B(α, β) + log ∫₀¹ q^(α+u−1) (1−q)^(β−1) e^(−λq) dq, the
 * integral by a composite Gauss–Legendre rule placed per element (default 192 nodes in float64,
 * 120 in float32): power substitutions q = c v^p and 1 − q = c w^p at the two ends remove the
 * endpoint singularities of α, β < 1 exactly, and a window in logit(q) around the integrand's
 * mode (out to where it has fallen by e^40, at most 5 logit units either side) resolves sharp
 * peaks (large λ or u). Against mpmath, float64: ≤ 2e-13 (|error| / max(1, |log p|)) for
 * α, β ∈ [0.05, 50], λ ≤ 1e3, u ≤ 1000, U-shaped, bimodal and bursty laws included; ~1e-11 out
 * to α, β ∈ [0.01, 2000], λ ≤ 1e5 (~1e-10 for α ≈ 0.01 with λ ≈ 1e5 at u = 0); float32 ≲ 1e-5
 * (rounding of u log λ). Gradients reach α, β, r and ν (the same rule applied to the parameter
 * derivative of the integrand; see test/distributions/poisson-beta-refvec.test.ts).
 * Sampling is ancestral, with an independent q for every element of the output.
 * @example
 * new PoissonBeta(tensor([2]), tensor([20]), tensor([5])).logProb(tensor([1])); // ≈ −1.386917
 */
export class PoissonBeta extends Distribution {
  static override readonly argConstraints = { alpha: positive, beta: positive, rate: positive, capture: unitInterval };
  static override readonly support = nonnegativeInteger;
  static override readonly reparametrized = false;

  /** Beta shape α (promoter activation), broadcast to the batch shape. */
  readonly alpha: Tensor;
  /** Beta shape β (promoter deactivation), broadcast to the batch shape. */
  readonly beta: Tensor;
  /** Transcription rate r, broadcast to the batch shape. */
  readonly rate: Tensor;
  /** Capture probability ν, broadcast to the batch shape. */
  readonly capture: Tensor;
  /** Quadrature nodes per element (split 1 : 1 : 2 : 1 : 1 over the five pieces; at least 6). */
  readonly numNodes: number;

  constructor(
    alpha: ParamLike,
    beta: ParamLike,
    rate: ParamLike,
    capture: ParamLike = 1,
    opts: { numNodes?: number; validateArgs?: boolean } = {},
  ) {
    const { values, batchShape } = promoteParams("PoissonBeta", { alpha, beta, rate, capture });
    super(batchShape, [], opts.validateArgs);
    this.alpha = values.alpha;
    this.beta = values.beta;
    this.rate = values.rate;
    this.capture = values.capture;
    this.numNodes = opts.numNodes ?? (this.alpha.dtype === "float64" ? 192 : 120);
    if (!Number.isInteger(this.numNodes) || this.numNodes < 6)
      throw new Error(`PoissonBeta: numNodes must be an integer ≥ 6, got ${this.numNodes}`);
    checkArgs(this, values);
  }

  /** The effective Poisson scale λ = rate·capture. */
  get effectiveRate(): Tensor {
    return mul(this.rate, this.capture);
  }

  sample(key: Key, sampleShape: Shape = []): Tensor {
    const [kq, ku] = splitKey(key, 2) as [Key, Key];
    const shape = this.shape(sampleShape);
    const q = random.beta(kq, this.alpha, this.beta, shape, { dtype: this.alpha.dtype });
    return random.poisson(ku, maximum(mul(q, this.effectiveRate), 1e-30), shape, { dtype: this.alpha.dtype });
  }

  logProb(value: Tensor): Tensor {
    const dtype = this.alpha.dtype;
    const u = asValue(value, dtype);
    const lam = this.effectiveRate;
    // the integral at a valid count (0 elsewhere), so that masked out-of-support values keep
    // finite gradients; the mask below sets their log-pmf
    const uq = where(ge(u, 0), u, 0);
    const integral = logPosteriorIntegral(this.alpha, this.beta, lam, uq, this.numNodes);
    // lgamma(u + 1) rather than lfactorial (a running sum of logs, ~10 ulp off near u = 1000)
    const lp = add(sub(integral, betaln(this.alpha, this.beta)), sub(xlogy(u, lam), lgamma(add(u, 1))));
    return maskOutOfSupport(this, value, lp);
  }

  /** λα/(α + β). */
  override get mean(): Tensor {
    return div(mul(this.effectiveRate, this.alpha), add(this.alpha, this.beta));
  }

  /** λα/(α+β) + λ²αβ/((α+β)²(α+β+1)). */
  override get variance(): Tensor {
    const s = add(this.alpha, this.beta);
    const lam = this.effectiveRate;
    return add(this.mean, div(mul(mul(square(lam), this.alpha), this.beta), mul(square(s), add(s, 1))));
  }
}
