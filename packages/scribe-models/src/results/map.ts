/**
 * Point estimates from a fitted guide (SCRIBE results `get_map`): the mode of each factor —
 * Beta (a−1)/(a+b−2) inside, 0 or 1 at the boundaries, NaN when both ≤ 1 (with `useMean`,
 * the default, the mean in both boundary cases: p = 1 or a capture probability of 0 is not a
 * point where the count likelihood is finite, so a boundary mode broke every per-cell
 * log-likelihood at the MAP); LogNormal exp(μ − σ²); BetaPrime (β−1)/(α+1); Dirichlet (α−1)/(Σα−K); and for
 * Normal + transform factors the Jacobian-corrected mode (`mapMethod: "auto"`: exp in closed
 * form x* = μ − σ², sigmoid/softplus by a grid then Newton) or T(loc) (`"transform"`, the
 * median). Derived parameters follow from the modes.
 *
 * Every mode is computed with tensor ops on the parameters' own backend (no readback), so MAP
 * estimates work on WebGPU as on the cpu (ARCHITECTURE.md: model code never reads back); the
 * scalar {@link jacobianMode} is the float64 reference of the vectorized grid-and-Newton search.
 * @module
 */
import {
  broadcastTo,
  eq,
  isfinite,
  logicalAnd,
  logicalNot,
  logSigmoid,
  realize,
  scope,
  type Tensor,
  where,
} from "@scribe/core";
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
import { FlowGuideFactor, JointFlowSite } from "../guides/flow-guide.js";
import { guideDistributions } from "../guides/guide.js";
import type { ModelConfig } from "../models/config.js";
import { ScribeBetaPrime } from "../models/scribe-beta-prime.js";
import { TransformedNormal, type TransformName } from "../models/transformed-normal.js";
import type { McmcEstimate } from "./mcmc-map.js";
import { withDerived } from "./posterior.js";

/** Options of {@link mapEstimates}. */
export interface MapOptions {
  /** Replace undefined (NaN) and boundary (0 or 1) Beta modes by the mean (default true). */
  useMean?: boolean;
  /** "auto": Jacobian-corrected mode for Normal + transform factors; "transform": T(loc). */
  mapMethod?: "auto" | "transform";
  /** Counts (amortized capture guide). */
  counts?: Tensor | null;
  /**
   * MCMC results only: the lowest-potential-energy draw ("minPotential", default, as SCRIBE)
   * or the posterior mean of each site ("mean"); see results/mcmc-map.ts.
   */
  mcmcEstimate?: McmcEstimate;
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

/** log T'(x) of the transform, elementwise. */
function logJacobian(x: Tensor, t: "sigmoid" | "softplus"): Tensor {
  // sigmoid: log σ(x) + log σ(−x); softplus: log σ(x)
  return t === "sigmoid" ? logSigmoid(x).add(logSigmoid(x.neg())) : logSigmoid(x);
}

/**
 * {@link jacobianMode} for every element of `mu`, `s` at once, with tensor ops: the same grid of
 * 81 points over μ ± 4σ and up to 30 Newton steps (an element stops where the curvature is not
 * negative or the step is below 1e-10, as the scalar version does). Float32 parameters give the
 * mode to float32 accuracy.
 */
function jacobianModes(mu: Tensor, s: Tensor, t: "sigmoid" | "softplus"): Tensor {
  return scope(() => {
    const s2 = s.square();
    const f = (x: Tensor) => x.sub(mu).square().div(s2.mul(2)).neg().sub(logJacobian(x, t));
    let best = mu;
    let fb = f(mu);
    for (let i = -40; i <= 40; i++) {
      const x = mu.add(s.mul(i / 10));
      const fx = f(x);
      const better = fx.gt(fb);
      best = where(better, x, best);
      fb = where(better, fx, fb);
      // keep the lazily fused expression short: realize every few grid points (no readback)
      if (i % 8 === 0) {
        realize(best);
        realize(fb);
      }
    }
    let x = best;
    let active = isfinite(x);
    for (let it = 0; it < 30; it++) {
      const sg = x.sigmoid();
      const dsg = sg.mul(sg.neg().add(1));
      const r = x.sub(mu).div(s2).neg();
      const grad = t === "sigmoid" ? r.add(sg.mul(2)).sub(1) : r.sub(sg.neg().add(1));
      const hess = t === "sigmoid" ? s2.reciprocal().neg().add(dsg.mul(2)) : s2.reciprocal().neg().add(dsg);
      active = logicalAnd(active, hess.lt(0));
      const step = grad.div(hess);
      x = where(active, x.sub(step), x);
      active = logicalAnd(active, step.abs().ge(1e-10));
      realize(x);
      realize(active);
    }
    // as the scalar version: keep Newton's point unless it is not finite or worse than the grid's
    // (the tolerance is relative on float32, where f is rounded to ~1e-7·|f|)
    const tol = mu.dtype === "float64" ? fb.abs().add(1).mul(1e-12) : fb.abs().add(1).mul(1e-5);
    return where(logicalAnd(isfinite(x), f(x).ge(fb.sub(tol))), x, best);
  });
}

/** The forward transform, elementwise. */
function forwardTensor(x: Tensor, t: TransformName): Tensor {
  return t === "sigmoid" ? x.sigmoid() : t === "softplus" ? x.softplus() : t === "exp" ? x.exp() : x;
}

/** The mode of one guide factor (see the module doc), computed on the parameters' backend. */
export function factorMode(d: Distribution, opts: MapOptions = {}): Tensor {
  const useMean = opts.useMean ?? true;
  const method = opts.mapMethod ?? "auto";
  if (d instanceof Beta) {
    return scope(() => {
      const a = d.concentration1;
      const b = d.concentration0;
      const aIn = a.gt(1);
      const bIn = b.gt(1);
      const inside = a.sub(1).div(a.add(b).sub(2));
      const boundary = useMean
        ? a.div(a.add(b))
        : where(
            logicalAnd(logicalNot(aIn), bIn),
            0,
            where(logicalAnd(aIn, logicalNot(bIn)), 1, a.mul(Number.NaN)),
          );
      return broadcastTo(where(logicalAnd(aIn, bIn), inside, boundary), [...d.batchShape]);
    });
  }
  if (d instanceof ScribeBetaPrime) return d.mode;
  if (d instanceof LogNormal) return d.loc.sub(d.scale.square()).exp();
  if (d instanceof Dirichlet) {
    return scope(() => {
      const a = d.concentration;
      const K = a.shape[a.shape.length - 1] ?? 1;
      const sum = a.sum(-1, true);
      // the mode where every α_k > 1 (per row), else the mean
      const all = eq(a.le(1).astype("float32").sum(-1, true), 0);
      return where(all, a.sub(1).div(sum.sub(K)), a.div(sum));
    });
  }
  if (d instanceof Normal) return d.loc;
  // a flow factor's point value: the image of its base centre (guides/flow-guide.ts)
  if (d instanceof FlowGuideFactor || d instanceof JointFlowSite) return d.centralValue();
  if (d instanceof TransformedNormal || d instanceof TransformedDistribution) {
    const t = transformName(d);
    const shape = [...d.batchShape, ...d.eventShape];
    // a mixture's low-rank factor holds the normal with its component axis promoted to an event dim
    const base = d.baseDist instanceof Independent ? d.baseDist.base : d.baseDist;
    return scope(() => {
      let loc: Tensor;
      let sd: Tensor;
      if (base instanceof Normal) {
        loc = base.loc;
        sd = base.scale;
      } else if (base instanceof LowRankMultivariateNormal) {
        loc = base.loc;
        // marginal variances: Σ_ii = Σ_k W_ik² + D_i; for exp the joint mode is μ − Σ𝟙
        const W = base.covFactor;
        sd = W.square().sum(-1).add(base.covDiag).sqrt();
        if (t === "exp" && method === "auto") {
          const rowSum = W.matmul(W.sum(-2).unsqueeze(-1)).squeeze(-1).add(base.covDiag);
          return broadcastTo(loc.sub(rowSum).exp(), shape);
        }
      } else throw new Error(`MAP: unsupported base distribution ${base.constructor.name}`);
      let x = loc;
      if (method === "auto") {
        if (t === "exp") x = loc.sub(sd.square());
        else if (t === "sigmoid" || t === "softplus") x = jacobianModes(loc, broadcastTo(sd, loc.shape), t);
      }
      return broadcastTo(forwardTensor(x, t), shape);
    });
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
