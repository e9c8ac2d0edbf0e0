/**
 * PoissonBeta log-pmf, value + gradient in (α, β, rate) on a [cells, genes] batch: the fused
 * per-element kernel (core's poissonBetaLogProb, used by PoissonBeta.logProb) against the
 * previous formulation of the same five-piece rule from tensor ops over a [..., K] node axis
 * (kept below verbatim for the comparison). `npm run bench -- pb [--cells 64] [--genes 914]
 * [--nodes 128] [--runs 5] [--threads]`.
 */
import {
  abs,
  add,
  type Backend,
  betaln,
  ceil,
  concat,
  type DType,
  div,
  exp,
  fromTypedArray,
  ge,
  gt,
  isfinite,
  keep,
  lgamma,
  log,
  log1p,
  logicalAnd,
  logSigmoid,
  logsumexp,
  lt,
  maximum,
  minimum,
  mul,
  neg,
  realize,
  rsqrt,
  type Shape,
  sqrt,
  square,
  stopGradient,
  sub,
  sum,
  type Tensor,
  tensor,
  unsqueeze,
  valueAndGrad,
  where,
  withBackend,
  xlogy,
} from "@scribe/core";
import { disableThreads, enableThreads } from "@scribe/core/node";
import { gaussLegendre01, PoissonBeta } from "@scribe/distributions";
import { argValue, printTable, timeIt } from "./harness.js";

const T_DROP = 40;
const HALF_MAX = 5;
const NEWTON_STEPS = 4;

interface Rule {
  a: Tensor;
  b: Tensor;
}
/** Node tables per backend, then per (order, use, dtype). */
const tables = new WeakMap<Backend, Map<string, Rule>>();

/**
 * Constant node tensors of the K-point rule on [0, 1] on `backend`, for one of three uses:
 * "pow": (log t, log w); "lin": (t, log w); "sq": (t², log(2t·w)).
 */
function rule(K: number, kind: "pow" | "lin" | "sq", dtype: DType, backend: Backend): Rule {
  let cache = tables.get(backend);
  if (!cache) {
    cache = new Map();
    tables.set(backend, cache);
  }
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
function windowEdge(
  side: -1 | 1,
  xs: Tensor,
  sd: Tensor,
  level: Tensor,
  A: Tensor,
  B: Tensor,
  lam: Tensor,
): Tensor {
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
export function logPosteriorIntegral(
  alpha: Tensor,
  beta: Tensor,
  lam: Tensor,
  u: Tensor,
  total: number,
): Tensor {
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
  const x = concat(
    [sub(K(x0), mul(K(w0), sq0.a)), add(K(x0), mul(K(w1), lin.a)), add(K(x1), mul(K(w2), sq2.a))],
    -1,
  );
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

/** The previous PoissonBeta.logProb body (tensor formulation; the integral at max(u, 0)). */
export function poissonBetaLogProbTensor(
  u: Tensor,
  alpha: Tensor,
  beta: Tensor,
  lam: Tensor,
  numNodes: number,
): Tensor {
  const uq = where(ge(u, 0), u, 0);
  const integral = logPosteriorIntegral(alpha, beta, lam, uq, numNodes);
  return add(sub(integral, betaln(alpha, beta)), sub(xlogy(u, lam), lgamma(add(u, 1))));
}

export async function runPb(args: string[]): Promise<void> {
  const C = Number(argValue(args, "--cells") ?? 64);
  const G = Number(argValue(args, "--genes") ?? 914);
  const K = Number(argValue(args, "--nodes") ?? 128);
  const runs = Number(argValue(args, "--runs") ?? 5);
  const dtype = (argValue(args, "--dtype") ?? "float64") as DType;
  if (args.includes("--threads")) await enableThreads();
  else disableThreads();
  // gene parameters [G], counts [C, G] around the mean λα/(α+β), a few zeros and large counts
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const logU = (lo: number, hi: number) => lo * (hi / lo) ** rnd();
  const a = Array.from({ length: G }, () => logU(0.05, 20));
  const b = Array.from({ length: G }, () => logU(0.1, 50));
  const r = Array.from({ length: G }, () => logU(0.5, 500));
  const counts = new Float64Array(C * G);
  for (let c = 0; c < C; c++)
    for (let g = 0; g < G; g++) {
      const m = (r[g]! * a[g]!) / (a[g]! + b[g]!);
      counts[c * G + g] = Math.floor(rnd() < 0.3 ? 0 : m * 2 * rnd());
    }
  const t = (v: number[] | Float64Array, shape: Shape) =>
    tensor(Float64Array.from(v), { shape }).astype(dtype);
  const params = [t(a, [G]), t(b, [G]), t(r, [G])];
  const u = t(counts, [C, G]);
  const fused = valueAndGrad((p: Tensor[]) =>
    sum(new PoissonBeta(p[0]!, p[1]!, p[2]!, 1, { numNodes: K, validateArgs: false }).logProb(u)),
  );
  const old = valueAndGrad((p: Tensor[]) => sum(poissonBetaLogProbTensor(u, p[0]!, p[1]!, p[2]!, K)));
  const run = (f: typeof fused) => () => {
    const [v, g] = f(params);
    (v as Tensor).dataSync();
    for (const x of g as Tensor[]) x.dataSync();
  };
  // agreement of the two formulations on this batch
  const [vf, gf] = fused(params);
  const [vo, go] = old(params);
  let gerr = 0;
  (gf as Tensor[]).forEach((x, i) => {
    const xs = x.dataSync();
    const ys = (go as Tensor[])[i]!.dataSync();
    for (let j = 0; j < xs.length; j++)
      gerr = Math.max(gerr, Math.abs(xs[j]! - ys[j]!) / Math.max(1, Math.abs(ys[j]!)));
  });
  const tf = await timeIt(run(fused), { warmup: 2, runs });
  const to = await timeIt(run(old), { warmup: 1, runs });
  printTable(
    `PoissonBeta value + grad (α, β, rate) on [${C}, ${G}] × ${K} nodes, ${dtype}${args.includes("--threads") ? ", threads" : ""}`,
    [
      { name: "fused poissonBeta scalar group (poissonBetaLogProb)", ms: tf.medianMs },
      { name: "tensor formulation over a [..., K] node axis (previous)", ms: to.medianMs },
    ],
    "fused poissonBeta scalar group (poissonBetaLogProb)",
  );
  const sv = (vf as Tensor).item();
  const so = (vo as Tensor).item();
  console.log(
    `sum of log-pmfs: fused ${sv}, tensor ${so} (rel. diff ${(Math.abs(sv - so) / Math.abs(so)).toExponential(2)}); ` +
      `worst gradient difference ${gerr.toExponential(2)} (relative to max(1, |g|))`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await runPb(process.argv.slice(2));
