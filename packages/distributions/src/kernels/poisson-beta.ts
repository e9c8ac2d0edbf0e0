import { defineOp, elementwise, mul, type Tensor, type TensorLike } from "@scribe/core";
import { poissonBetaPartials } from "./poisson-beta-rule.js";
import { POISSON_BETA_FN_WGSL, POISSON_BETA_WGSL } from "./poisson-beta-wgsl.js";

/**
 * The Poisson–Beta log-pmf as one op: output 0 the log-pmf, outputs 1–3 its partials in α, β
 * and λ, all from one quadrature per element (poisson-beta-rule.ts on the CPU,
 * poisson-beta-wgsl.ts on WebGPU). Under differentiation the partials are saved outputs,
 * realized in the same pass as the log-pmf, and the VJP only multiplies them.
 */
export const poissonBetaOp = defineOp({
  name: "poissonBeta",
  module: import.meta.url,
  arity: 5,
  outputs: ["logPmf", "gradAlpha", "gradBeta", "gradRate"],
  dtype: "float",
  cost: 4000,
  testDomain: [
    { lo: 0, hi: 20, integer: true },
    { lo: 0.2, hi: 5 },
    { lo: 0.2, hi: 5 },
    { lo: 0.5, hi: 50 },
    { lo: 192, hi: 192, integer: true },
  ],
  cpu: { fn: poissonBetaPartials },
  wgsl: { fn: "sp_poissonBeta" },
  wgslLib: { ...POISSON_BETA_WGSL, sp_poissonBeta: POISSON_BETA_FN_WGSL },
  // the count u and the node count are not differentiated
  vjp: (g, _args, [, dA, dB, dL]) => [null, mul(g, dA!), mul(g, dB!), mul(g, dL!), null],
});

/**
 * log PoissonBeta(u | α, β, λ) = log ∫₀¹ Poisson(u | λq) Beta(q | α, β) dq (the two-state
 * promoter marginal) by the five-piece composite Gauss–Legendre rule of poisson-beta-rule.ts
 * with `numNodes` nodes per element (split 1 : 1 : 2 : 1 : 1 over the pieces; an integer ≥ 6),
 * as one fused kernel with analytic partials in α, β and λ (the derivative of the rule with
 * its node positions held fixed). Negative counts use the integral at u = 0 (mask them).
 * Broadcasts u, α, β, λ.
 * @example
 * poissonBetaLogProb(tensor([1]), tensor([2]), tensor([20]), tensor([5]), 128); // ≈ −1.386917
 */
export function poissonBetaLogProb(
  u: TensorLike,
  alpha: TensorLike,
  beta: TensorLike,
  rate: TensorLike,
  numNodes: number,
): Tensor {
  if (!Number.isInteger(numNodes) || numNodes < 6)
    throw new Error(`poissonBetaLogProb: numNodes must be an integer ≥ 6, got ${numNodes}`);
  return elementwise(poissonBetaOp, [u, alpha, beta, rate, numNodes], "poissonBetaLogProb");
}
