import {
  add,
  elementwise,
  eq,
  exp,
  expm1,
  gt,
  log,
  log1p,
  maximumOp,
  mul,
  neg,
  softplus,
  sub,
  type Tensor,
  type TensorLike,
  where,
} from "@scribe/core";
import { nb2LogProb } from "./negative-binomial.js";

/**
 * Zero-inflated NB2: log(g + (1−g)·NB(0)) at y = 0 and log(1−g) + log NB(y) otherwise,
 * with the gate given as a probability; composed from the fused nb2 kernel.
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
  // log(σ(l) + σ(−l) e^{nb}) = log(e^l + e^{nb}) − softplus(l)
  const m = elementwise(maximumOp, [gateLogits, nb]);
  const lse = add(m, log(add(exp(sub(gateLogits, m)), exp(sub(nb, m)))));
  return where(eq(y, 0), sub(lse, sp), sub(nb, sp));
}
