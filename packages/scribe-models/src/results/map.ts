/**
 * Point estimates from a fitted guide (spec §4.2 `get_map`): the mode of each factor —
 * Beta (a−1)/(a+b−2) inside, 0 or 1 at the boundaries, NaN when both ≤ 1 (the mean with
 * `useMean`); LogNormal exp(μ − σ²); BetaPrime (β−1)/(α+1); Dirichlet (α−1)/(Σα−K); and for
 * Normal + transform factors the Jacobian-corrected mode (`mapMethod: "auto"`: exp in closed
 * form x* = μ − σ², sigmoid/softplus by a grid then Newton) or T(loc) (`"transform"`, the
 * median). Derived parameters follow from the modes.
 * @module
 */
import { fromTypedArray, type Tensor } from "@scribe/core";
import {
  Beta,
  Dirichlet,
  type Distribution,
  Independent,
  LogNormal,
  LowRankMultivariateNormal,
  Normal,
  TransformedDistribution,
} from "@scribe/distributions";
import { guideDistributions } from "../guides/guide.js";
import type { ModelConfig } from "../models/config.js";
import { ScribeBetaPrime } from "../models/scribe-beta-prime.js";
import { TransformedNormal, type TransformName } from "../models/transformed-normal.js";
import { withDerived } from "./posterior.js";

/** Options of {@link mapEstimates}. */
export interface MapOptions {
  /** Replace undefined modes (NaN) by the mean (default true). */
  useMean?: boolean;
  /** "auto": Jacobian-corrected mode for Normal + transform factors; "transform": T(loc). */
  mapMethod?: "auto" | "transform";
  /** Counts (amortized capture guide). */
  counts?: Tensor | null;
}

function arr(t: Tensor): Float64Array {
  return Float64Array.from(t.dataSync() as ArrayLike<number>);
}

function sig(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/**
 * x* maximizing log N(x; μ, σ) − log T'(x), the mode of T(X) in the constrained space, by a
 * coarse grid over μ ± 4σ and Newton steps. Returned in the unconstrained space.
 */
export function jacobianMode(mu: number, s: number, t: TransformName): number {
  if (t === "identity") return mu;
  if (t === "exp") return mu - s * s;
  const s2 = s * s;
  // gradient and curvature of f(x) = −(x−μ)²/(2σ²) − log T'(x)
  const grad = (x: number) =>
    t === "sigmoid" ? -(x - mu) / s2 + 2 * sig(x) - 1 : -(x - mu) / s2 - (1 - sig(x));
  const hess = (x: number) =>
    t === "sigmoid" ? -1 / s2 + 2 * sig(x) * (1 - sig(x)) : -1 / s2 + sig(x) * (1 - sig(x));
  const f = (x: number) => {
    const lj = t === "sigmoid" ? Math.log(sig(x)) + Math.log(sig(-x)) : Math.log(sig(x));
    return -((x - mu) ** 2) / (2 * s2) - lj;
  };
  let best = mu;
  let fb = f(mu);
  for (let i = -40; i <= 40; i++) {
    const x = mu + (i / 10) * s;
    const fx = f(x);
    if (fx > fb) {
      fb = fx;
      best = x;
    }
  }
  let x = best;
  for (let it = 0; it < 30; it++) {
    const h = hess(x);
    if (!(h < 0)) break;
    const step = grad(x) / h;
    x -= step;
    if (Math.abs(step) < 1e-10) break;
  }
  return Number.isFinite(x) && f(x) >= fb - 1e-9 ? x : best;
}

function forward(x: number, t: TransformName): number {
  return t === "sigmoid"
    ? sig(x)
    : t === "softplus"
      ? x > 30
        ? x
        : Math.log1p(Math.exp(x))
      : t === "exp"
        ? Math.exp(x)
        : x;
}

function transformName(d: TransformedDistribution): TransformName {
  const n = d.transforms[0]!.constructor.name;
  return n.startsWith("Sigmoid")
    ? "sigmoid"
    : n.startsWith("Softplus")
      ? "softplus"
      : n.startsWith("Exp")
        ? "exp"
        : "identity";
}

function tensorLike(values: Float64Array, shape: readonly number[]): Tensor {
  return fromTypedArray(Float32Array.from(values), [...shape]);
}

/** The mode of one guide factor (see the module doc). */
export function factorMode(d: Distribution, opts: MapOptions = {}): Tensor {
  const useMean = opts.useMean ?? true;
  const method = opts.mapMethod ?? "auto";
  if (d instanceof Beta) {
    const a = arr(d.concentration1);
    const b = arr(d.concentration0);
    const out = a.map((ai, i) => {
      const bi = b[i]!;
      if (ai > 1 && bi > 1) return (ai - 1) / (ai + bi - 2);
      if (ai <= 1 && bi > 1) return 0;
      if (ai > 1 && bi <= 1) return 1;
      return useMean ? ai / (ai + bi) : Number.NaN;
    });
    return tensorLike(out, d.batchShape);
  }
  if (d instanceof ScribeBetaPrime) return d.mode;
  if (d instanceof LogNormal) return d.loc.sub(d.scale.square()).exp();
  if (d instanceof Dirichlet) {
    const a = arr(d.concentration);
    const K = a.length;
    const sum = a.reduce((x, y) => x + y, 0);
    const all = a.every((x) => x > 1);
    return tensorLike(
      a.map((x) => (all ? (x - 1) / (sum - K) : x / sum)),
      d.batchShape.length ? [...d.batchShape, K] : [K],
    );
  }
  if (d instanceof Normal) return d.loc;
  if (d instanceof TransformedNormal || d instanceof TransformedDistribution) {
    const t = transformName(d);
    let loc: Float64Array;
    let sd: Float64Array;
    // a mixture's low-rank factor holds the normal with its component axis promoted to an event dim
    const base = d.baseDist instanceof Independent ? d.baseDist.base : d.baseDist;
    if (base instanceof Normal) {
      loc = arr(base.loc);
      sd = arr(base.scale);
    } else if (base instanceof LowRankMultivariateNormal) {
      loc = arr(base.loc);
      // marginal variances: Σ_ii = Σ_k W_ik² + D_i; for exp the joint mode is μ − Σ𝟙
      const W = base.covFactor;
      sd = arr(W.square().sum(-1).add(base.covDiag)).map(Math.sqrt);
      if (t === "exp" && method === "auto") {
        const rowSum = arr(W.matmul(W.sum(-2).unsqueeze(-1)).squeeze(-1).add(base.covDiag));
        return tensorLike(
          loc.map((m, i) => Math.exp(m - rowSum[i]!)),
          d.batchShape.length ? [...d.batchShape, ...d.eventShape] : d.eventShape,
        );
      }
    } else throw new Error(`MAP: unsupported base distribution ${base.constructor.name}`);
    const out = loc.map((m, i) => forward(method === "auto" ? jacobianMode(m, sd[i]!, t) : m, t));
    return tensorLike(out, [...d.batchShape, ...d.eventShape]);
  }
  throw new Error(`MAP: no mode for ${d.constructor.name}`);
}

/**
 * MAP estimates of every latent site and the derived parameters p, r, mu, phi, gate and
 * p_capture (in their natural shapes).
 */
export function mapEstimates(
  cfg: ModelConfig,
  params: Readonly<Record<string, Tensor>>,
  opts: MapOptions = {},
): Record<string, Tensor> {
  const dists = guideDistributions(cfg, params, opts.counts ?? null);
  const latent: Record<string, Tensor> = {};
  for (const [name, { dist }] of dists) latent[name] = factorMode(dist, opts);
  return withDerived(cfg, latent, 0);
}
