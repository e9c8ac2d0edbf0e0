/**
 * One cell-batched Newton system of the Laplace engine: for latent values x [C, G'] the
 * log joint f(x) = log p(u | x) + log N(x; μ, Σ) (up to constants), its gradient, the
 * Newton direction A⁻¹ ∇f with A = −∇²f (+ damping on the diagonal), and log det(Σ A).
 * The observation's rank-one Hessian term (multinomial) enters by Sherman–Morrison and the
 * matrix determinant lemma on top of the Woodbury solve of `low-rank-precision.ts`.
 * @module
 */
import type { Tensor } from "@scribe/core";
import {
  type LowRankGaussian,
  type PosteriorSystem,
  posteriorSolve,
  posteriorSystem,
  precisionTimes,
} from "./low-rank-precision.js";
import type { ObservationData, ObservationGlobals, ObservationModel } from "./observation.js";

/** Everything a Newton step or a Laplace evaluation reads besides x. */
export interface LaplaceContext {
  readonly obs: ObservationModel;
  readonly prior: LowRankGaussian;
  /** Cholesky factor of the prior's capacitance (`capacitanceCholesky`). */
  readonly mChol: Tensor;
  readonly data: ObservationData;
  readonly globals: ObservationGlobals;
}

/** log joint f(x) per cell [C], without the Gaussian's normalising constant. */
export function logJoint(ctx: LaplaceContext, x: Tensor): { value: Tensor; prec: Tensor } {
  const { quad, prec } = precisionTimes(ctx.prior, x.sub(ctx.prior.mu), ctx.mChol);
  return { value: ctx.obs.logLik(x, ctx.data, ctx.globals).sub(quad.mul(0.5)), prec };
}

/** The Newton matrix A = Σ⁻¹ + diag(curvature + damping) − v vᵀ, factored. */
export interface NewtonMatrix {
  readonly sys: PosteriorSystem;
  /** A₀⁻¹ v and 1 − vᵀ A₀⁻¹ v [C, 1] for the rank-one term, or null. */
  readonly rankOne: { v: Tensor; av: Tensor; denom: Tensor } | null;
  /** log det(Σ A) per cell [C]. */
  readonly logDetSigmaA: Tensor;
}

/** Factor A at x with extra diagonal `damping` (0 for the Laplace evaluation). */
export function newtonMatrix(
  ctx: LaplaceContext,
  curvature: Tensor,
  v: Tensor | null,
  damping: number,
): NewtonMatrix {
  const sys = posteriorSystem(ctx.prior, damping > 0 ? curvature.add(damping) : curvature);
  if (!v) return { sys, rankOne: null, logDetSigmaA: sys.logDetSigmaA };
  const av = posteriorSolve(ctx.prior, sys, v);
  const denom = v.mul(av).sum(-1, true).neg().add(1);
  return { sys, rankOne: { v, av, denom }, logDetSigmaA: sys.logDetSigmaA.add(denom.squeeze(-1).log()) };
}

/** A⁻¹ g for a factored {@link NewtonMatrix}. */
export function newtonSolve(ctx: LaplaceContext, m: NewtonMatrix, g: Tensor): Tensor {
  const a0g = posteriorSolve(ctx.prior, m.sys, g);
  if (!m.rankOne) return a0g;
  const { v, av, denom } = m.rankOne;
  return a0g.add(av.mul(v.mul(a0g).sum(-1, true).div(denom)));
}

/** The damped Newton direction at x [C, G']. */
export function newtonDirection(ctx: LaplaceContext, x: Tensor, damping: number): Tensor {
  const { prec } = precisionTimes(ctx.prior, x.sub(ctx.prior.mu), ctx.mChol);
  const t = ctx.obs.terms(x, ctx.data, ctx.globals);
  const m = newtonMatrix(ctx, t.curvature, t.rankOne, damping);
  return newtonSolve(ctx, m, t.grad.sub(prec));
}

/**
 * The Laplace approximation of log p(u_c) per cell [C] at modes x̂:
 * log p(u | x̂) − ½ (x̂−μ)ᵀ Σ⁻¹ (x̂−μ) − ½ log det(Σ A(x̂)), A = −∇² log p(x, u) at x̂
 * (Rasmussen & Williams 2006, eq. 3.32, with the prior's normaliser folded into det(Σ A)).
 * Differentiable in the globals; treat x̂ as data (the Laplace-EM M-step).
 */
export function laplaceLogMarginal(ctx: LaplaceContext, xHat: Tensor): Tensor {
  const { value } = logJoint(ctx, xHat);
  const t = ctx.obs.terms(xHat, ctx.data, ctx.globals);
  const m = newtonMatrix(ctx, t.curvature, t.rankOne, 0);
  return value.sub(m.logDetSigmaA.mul(0.5));
}
