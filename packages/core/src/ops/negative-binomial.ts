import { deferReduction, fromExpr } from "../tensor/realize.js";
import type { Tensor } from "../tensor/tensor.js";
import {
  add,
  elementwise,
  eq,
  exp,
  expm1,
  gt,
  log,
  log1p,
  mul,
  neg,
  softplus,
  sub,
  type TensorLike,
  where,
} from "./elementwise.js";
import { poissonBetaPartials } from "./elementwise-vjp.js";

/**
 * Negative-binomial log-probabilities as single fused kernels. Each is an elementwise
 * expression over count-aware scalar pieces (zero counts skip the special functions, small
 * counts use product forms), so evaluating it together with its reduction is one pass over
 * memory, and its gradient is analytic.
 */

/**
 * log NB(y | mean μ, concentration θ) (NB2 / GammaPoisson with rate θ/μ); one fused
 * kernel with analytic ∂/∂μ and ∂/∂θ.
 * @example
 * nb2LogProb(tensor([0, 3]), tensor([2, 2]), tensor([5, 5])).sum();
 */
export function nb2LogProb(y: TensorLike, mean: TensorLike, concentration: TensorLike): Tensor {
  return elementwise("nb2LogPmf", [y, mean, concentration], "nb2LogProb");
}

/**
 * log NB(y | r, p) with p the success probability of the counted events
 * (mean r·p/(1−p), NumPyro's NegativeBinomialProbs).
 */
export function nbProbsLogProb(y: TensorLike, totalCount: TensorLike, probs: TensorLike): Tensor {
  return elementwise("nbProbsLogPmf", [y, totalCount, probs], "nbProbsLogProb");
}

/**
 * Zero-inflated NB in the probs form with gate probability g (SCRIBE's zinb / zinbvcp
 * likelihood): one fused, count-aware kernel with analytic partials in r, p and g.
 */
export function zinbProbsLogProb(y: TensorLike, totalCount: TensorLike, probs: TensorLike, gate: TensorLike): Tensor {
  return elementwise("zinbProbsLogPmf", [y, totalCount, probs, gate], "zinbProbsLogProb");
}

/** log NB(y | r, logits l) with probs = sigmoid(l) (NumPyro's NegativeBinomialLogits). */
export function nbLogitsLogProb(y: TensorLike, totalCount: TensorLike, logits: TensorLike): Tensor {
  return elementwise("nbLogitsLogPmf", [y, totalCount, logits], "nbLogitsLogProb");
}

/**
 * Zero-inflated NB2: log(g + (1−g)·NB(0)) at y = 0 and log(1−g) + log NB(y) otherwise,
 * with the gate given as a probability.
 */
export function zinb2LogProb(
  y: TensorLike,
  mean: TensorLike,
  concentration: TensorLike,
  gate: TensorLike,
): Tensor {
  const nb = nb2LogProb(y, mean, concentration);
  const log1mGate = log1p(neg(gate));
  // log(g + (1−g)e^{nb}) = log1p((1−g)·expm1(nb)); the log1p form keeps relative accuracy when
  // the result is near 0 (g → 1 or nb → 0), the direct form when it is far below (g, e^{nb} tiny).
  const direct = log(add(gate, mul(sub(1, gate), exp(nb))));
  const viaLog1p = log1p(mul(sub(1, gate), expm1(nb)));
  const atZero = where(gt(direct, -Math.LN2), viaLog1p, direct);
  return where(eq(y, 0), atZero, add(log1mGate, nb));
}

/**
 * Zero-inflated NB2 with the gate in logit space: NumPyro's numerically careful form,
 * log-sum-exp of (gate logit, NB(0)) minus softplus(gate logit) at zero.
 */
export function zinb2LogitsLogProb(
  y: TensorLike,
  mean: TensorLike,
  concentration: TensorLike,
  gateLogits: TensorLike,
): Tensor {
  const nb = nb2LogProb(y, mean, concentration);
  const sp = softplus(gateLogits);
  // log(σ(l) + σ(−l) e^{nb}) = softplus(l + ... ) − softplus(l): log(e^l + e^{nb}) − softplus(l)
  const m = elementwise("maximum", [gateLogits, nb]);
  const lse = add(m, log(add(exp(sub(gateLogits, m)), exp(sub(nb, m)))));
  return where(eq(y, 0), sub(lse, sp), sub(nb, sp));
}

/**
 * log PoissonBeta(u | α, β, λ) = log ∫₀¹ Poisson(u | λq) Beta(q | α, β) dq (the two-state
 * promoter marginal) by the five-piece composite Gauss–Legendre rule of
 * special/scalar/poisson-beta.ts with `numNodes` nodes per element (split 1 : 1 : 2 : 1 : 1 over
 * the pieces; an integer ≥ 6), as one fused kernel with analytic partials in α, β and λ (the
 * derivative of the rule with its node positions held fixed). Negative counts use the integral
 * at u = 0 (mask them). Broadcasts u, α, β, λ.
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
  const out = elementwise("poissonBetaLogPmf", [u, alpha, beta, rate, numNodes], "poissonBetaLogProb");
  const e = out._expr;
  if (!out._tracked || !e || e.kind !== "call" || e.op !== "poissonBetaLogPmf") return out;
  // Under differentiation the partials are computed with the log-pmf: all four are queued as
  // pending maps over the same expression arguments, so whichever is needed first computes
  // them together in one pass (one quadrature per element for value and gradient).
  const partials = PB_GRAD_OPS.map((op) =>
    fromExpr({
      kind: "call",
      op,
      args: e.args,
      shape: e.shape,
      dtype: e.dtype,
      cost: e.cost,
      nodes: e.nodes,
    }),
  ) as [Tensor, Tensor, Tensor];
  for (const t of [out, ...partials]) {
    const x = t._expr!;
    t._expr = null;
    deferReduction(t, { expr: x, outDtype: t.dtype });
  }
  poissonBetaPartials.set(out, partials);
  return out;
}

const PB_GRAD_OPS = ["poissonBetaGradAlpha", "poissonBetaGradBeta", "poissonBetaGradRate"] as const;
