import {
  add,
  betaln,
  broadcastShapes,
  broadcastTo,
  digamma,
  div,
  lgamma,
  log,
  mul,
  square,
  sub,
  sum,
  type Tensor,
  triangularSolve,
  unsqueeze,
  where,
} from "@scribe/core";
import { Beta } from "./continuous/beta.js";
import { Dirichlet } from "./continuous/dirichlet.js";
import { Gamma } from "./continuous/gamma.js";
import { LogNormal } from "./continuous/log-normal.js";
import { LowRankMultivariateNormal } from "./continuous/low-rank-multivariate-normal.js";
import { MultivariateNormal } from "./continuous/multivariate-normal.js";
import { Normal } from "./continuous/normal.js";
import type { Distribution } from "./distribution.js";
import { diagonal } from "./linalg-utils.js";
import { sumRightmost } from "./param-utils.js";
import { ExpandedDistribution } from "./wrappers/expanded.js";
import { Independent } from "./wrappers/independent.js";
import { MaskedDistribution } from "./wrappers/masked.js";

// biome-ignore lint/suspicious/noExplicitAny: constructors of any distribution class
type Ctor = abstract new (...args: any[]) => Distribution;
/** Computes KL(p ‖ q) for a registered pair of classes. */
export type KLFn = (p: never, q: never) => Tensor;

const table = new Map<Ctor, Map<Ctor, KLFn>>();

/**
 * Register KL(p ‖ q) for instances of `P` and `Q` (subclasses match too, nearest first).
 * @example
 * // Laplace ‖ Laplace has no built-in closed form: register one
 * registerKL(Laplace, Laplace, (p, q) => {
 *   const d = p.loc.sub(q.loc).abs();
 *   const r = p.scale.div(q.scale);
 *   return r.log().neg().add(d.div(q.scale)).add(r.mul(d.div(p.scale).neg().exp())).sub(1);
 * });
 * await kl(new Laplace(0, 1), new Laplace(1, 2)).data(); // [≈ 0.377] = log 2 + 1/2 + e⁻¹/2 − 1
 */
export function registerKL<P extends Distribution, Q extends Distribution>(
  pClass: abstract new (...args: never[]) => P,
  qClass: abstract new (...args: never[]) => Q,
  fn: (p: P, q: Q) => Tensor,
): void {
  const row = table.get(pClass as unknown as Ctor) ?? new Map<Ctor, KLFn>();
  row.set(qClass as unknown as Ctor, fn as unknown as KLFn);
  table.set(pClass as unknown as Ctor, row);
}

function chain(d: object): Ctor[] {
  const out: Ctor[] = [];
  for (let c = Object.getPrototypeOf(d); c && c !== Object.prototype; c = Object.getPrototypeOf(c))
    out.push(c.constructor as Ctor);
  return out;
}

function lookup(p: Distribution, q: Distribution): KLFn | undefined {
  for (const pc of chain(p)) {
    const row = table.get(pc);
    if (!row) continue;
    for (const qc of chain(q)) {
      const f = row.get(qc);
      if (f) return f;
    }
  }
  return undefined;
}

/**
 * KL(p ‖ q), batch-shaped (summed over event dims), by dispatch on the classes of p and q.
 * Independent pairs with equal reinterpreted dims sum the base KL; Expanded wrappers are
 * unwrapped and the result broadcast; Masked wrappers zero the masked entries. Throws
 * naming both classes when no closed form is registered (estimate it by Monte Carlo instead).
 * @example
 * kl(new Normal(0, 1), new Normal(1, 2));
 */
export function kl(p: Distribution, q: Distribution): Tensor {
  const batch = broadcastShapes(p.batchShape, q.batchShape);
  if (p instanceof ExpandedDistribution || q instanceof ExpandedDistribution) {
    const pb = p instanceof ExpandedDistribution ? p.base : p;
    const qb = q instanceof ExpandedDistribution ? q.base : q;
    return broadcastTo(kl(pb, qb), batch);
  }
  if (p instanceof MaskedDistribution || q instanceof MaskedDistribution) {
    const pb = p instanceof MaskedDistribution ? p.base : p;
    const qb = q instanceof MaskedDistribution ? q.base : q;
    let v = broadcastTo(kl(pb, qb), batch);
    for (const d of [p, q]) if (d instanceof MaskedDistribution) v = maskKL(v, d.maskValue);
    return v;
  }
  if (p instanceof Independent || q instanceof Independent) {
    if (
      !(p instanceof Independent && q instanceof Independent) ||
      p.reinterpretedBatchNdims !== q.reinterpretedBatchNdims
    )
      throw new Error(
        `kl: Independent wrappers must match on both sides (got ${describe(p)} and ${describe(q)}); apply the same toEvent(n) to both`,
      );
    return sumRightmost(kl(p.base, q.base), p.reinterpretedBatchNdims);
  }
  const f = lookup(p, q);
  if (!f)
    throw new Error(
      `kl: no closed form is registered for KL(${p.constructor.name} ‖ ${q.constructor.name}); use a Monte Carlo estimate`,
    );
  return broadcastTo((f as (a: Distribution, b: Distribution) => Tensor)(p, q), batch);
}

function maskKL(v: Tensor, m: Tensor | boolean): Tensor {
  if (typeof m === "boolean") return m ? v : mul(v, 0);
  return where(m, v, 0);
}

function describe(d: Distribution): string {
  return d instanceof Independent
    ? `Independent(${d.base.constructor.name}, ${d.reinterpretedBatchNdims})`
    : d.constructor.name;
}

function klNormal(pl: Tensor, ps: Tensor, ql: Tensor, qs: Tensor): Tensor {
  const r = div(ps, qs);
  const t = div(sub(pl, ql), qs);
  // ½ (r² + t² − 1) − log r
  return sub(mul(sub(add(square(r), square(t)), 1), 0.5), log(r));
}

registerKL(Normal, Normal, (p, q) => klNormal(p.loc, p.scale, q.loc, q.scale));
registerKL(LogNormal, LogNormal, (p, q) => klNormal(p.loc, p.scale, q.loc, q.scale));

registerKL(Gamma, Gamma, (p, q) => {
  const a = p.concentration;
  const b = p.rate;
  const c = q.concentration;
  const d = q.rate;
  // (a − c) ψ(a) − lgamma(a) + lgamma(c) + c (log b − log d) + a (d − b)/b
  const t1 = sub(add(mul(sub(a, c), digamma(a)), lgamma(c)), lgamma(a));
  return add(add(t1, mul(c, sub(log(b), log(d)))), div(mul(a, sub(d, b)), b));
});

registerKL(Beta, Beta, (p, q) => {
  const a = p.concentration1;
  const b = p.concentration0;
  const t = add(a, b);
  const c = q.concentration1;
  const d = q.concentration0;
  const s = add(mul(sub(a, c), digamma(a)), mul(sub(b, d), digamma(b)));
  return add(sub(betaln(c, d), betaln(a, b)), sub(s, mul(sub(t, add(c, d)), digamma(t))));
});

registerKL(Dirichlet, Dirichlet, (p, q) => {
  const a = p.concentration;
  const c = q.concentration;
  const a0 = sum(a, -1);
  const head = sub(sub(lgamma(a0), lgamma(sum(c, -1))), sub(sum(lgamma(a), -1), sum(lgamma(c), -1)));
  const tail = sum(mul(sub(a, c), sub(digamma(a), unsqueeze(digamma(a0), -1))), -1);
  return add(head, tail);
});

type Gaussian = MultivariateNormal | LowRankMultivariateNormal;

/** KL between two Gaussians through their Cholesky factors: ½(‖Lq⁻¹Lp‖²_F + ‖Lq⁻¹(μq − μp)‖² − K) + log|Lq| − log|Lp|. */
function klGaussian(p: Gaussian, q: Gaussian): Tensor {
  const k = p.eventShape[0]!;
  if (q.eventShape[0] !== k) throw new Error(`kl: event sizes differ (${k} vs ${q.eventShape[0]})`);
  const lp = p.scaleTril;
  const lq = q.scaleTril;
  const m = triangularSolve(lq, lp, { lower: true });
  const tr = sum(sum(square(m), -1), -1);
  const diff = triangularSolve(lq, unsqueeze(sub(q.loc, p.loc), -1), { lower: true });
  const maha = sum(sum(square(diff), -1), -1);
  const logdet = sub(sum(log(diagonal(lq)), -1), sum(log(diagonal(lp)), -1));
  return add(mul(sub(add(tr, maha), k), 0.5), logdet);
}

registerKL(MultivariateNormal, MultivariateNormal, klGaussian);
registerKL(MultivariateNormal, LowRankMultivariateNormal, klGaussian);
registerKL(LowRankMultivariateNormal, MultivariateNormal, klGaussian);
registerKL(LowRankMultivariateNormal, LowRankMultivariateNormal, klGaussian);
