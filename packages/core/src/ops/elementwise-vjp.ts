import type { ScalarOpName } from "../expr/scalar-ops.js";
import type { Tensor } from "../tensor/tensor.js";
import type { TensorLike } from "./elementwise.js";
import {
  add,
  digamma,
  digammaShiftDiff,
  div,
  elementwise,
  eq,
  exp,
  gt,
  lgamma,
  log,
  log1p,
  logNdtr,
  mul,
  neg,
  sigmoid,
  sign,
  square,
  sub,
  trigamma,
  trigammaShiftDiff,
  where,
  xlog1py,
  xlogy,
  cos,
  sin,
  betaln,
} from "./elementwise.js";

/**
 * Vector-Jacobian products of the scalar ops, written with other tensor ops (so backward
 * passes are fused too). `null` marks an op that is not differentiable (comparisons, rounding,
 * the derivative helpers themselves); the entry must still exist, so forgetting a rule is a
 * compile error. Cotangents may have the broadcast shape; the autodiff engine sums them back
 * to each input's shape.
 */
export type ElementwiseVjp = (g: Tensor, args: readonly TensorLike[], out: Tensor) => readonly (Tensor | null)[];

const HALF_LOG_2PI = 0.9189385332046727;
const TWO_OVER_SQRT_PI = 1.1283791670955126;

const x0 = (a: readonly TensorLike[]) => a[0]!;
const x1 = (a: readonly TensorLike[]) => a[1]!;
const x2 = (a: readonly TensorLike[]) => a[2]!;
/**
 * Partials ∂/∂α, ∂/∂β, ∂/∂λ computed in the forward pass of poissonBetaLogProb (in the same
 * kernel as the log-pmf, so the quadrature runs once per element), by output tensor.
 */
export const poissonBetaPartials = new WeakMap<Tensor, readonly [Tensor, Tensor, Tensor]>();
const PB_GRAD_OPS = ["poissonBetaGradAlpha", "poissonBetaGradBeta", "poissonBetaGradRate"] as const;
const pbPartial = (i: 0 | 1 | 2, g: Tensor, a: readonly TensorLike[], out: Tensor) => {
  const saved = poissonBetaPartials.get(out)?.[i];
  return mul(g, saved && !saved._disposed ? saved : elementwise(PB_GRAD_OPS[i], a));
};

export const ELEMENTWISE_VJP: Record<ScalarOpName, ElementwiseVjp | null> = {
  identity: (g) => [g],
  toBool: null,
  neg: (g) => [neg(g)],
  abs: (g, a) => [mul(g, sign(x0(a)))],
  sign: null,
  square: (g, a) => [mul(g, mul(x0(a), 2))],
  reciprocal: (g, _a, out) => [neg(mul(g, square(out)))],
  sqrt: (g, _a, out) => [div(mul(g, 0.5), out)],
  rsqrt: (g, a, out) => [mul(mul(g, -0.5), div(out, x0(a)))],
  exp: (g, _a, out) => [mul(g, out)],
  log: (g, a) => [div(g, x0(a))],
  log1p: (g, a) => [div(g, add(x0(a), 1))],
  expm1: (g, _a, out) => [mul(g, add(out, 1))],
  sin: (g, a) => [mul(g, cos(x0(a)))],
  cos: (g, a) => [neg(mul(g, sin(x0(a))))],
  tan: (g, _a, out) => [mul(g, add(square(out), 1))],
  tanh: (g, _a, out) => [mul(g, sub(1, square(out)))],
  sigmoid: (g, _a, out) => [mul(g, mul(out, sub(1, out)))],
  relu: (g, a) => [mul(g, gt(x0(a), 0))],
  floor: null,
  ceil: null,
  round: null,
  isnan: null,
  isfinite: null,
  logicalNot: null,
  lgamma: (g, a) => [mul(g, digamma(x0(a)))],
  digamma: (g, a) => [mul(g, trigamma(x0(a)))],
  trigamma: null,
  softplus: (g, a) => [mul(g, sigmoid(x0(a)))],
  logSigmoid: (g, a) => [mul(g, sigmoid(neg(x0(a))))],
  erf: (g, a) => [mul(g, mul(exp(neg(square(x0(a)))), TWO_OVER_SQRT_PI))],
  erfc: (g, a) => [mul(g, mul(exp(neg(square(x0(a)))), -TWO_OVER_SQRT_PI))],
  // d ndtri(p)/dp = 1 / φ(ndtri(p))
  ndtri: (g, _a, out) => [mul(g, exp(add(mul(square(out), 0.5), HALF_LOG_2PI)))],
  // d log Φ(x)/dx = φ(x)/Φ(x), evaluated in log space
  logNdtr: (g, a) => [mul(g, exp(sub(sub(mul(square(x0(a)), -0.5), HALF_LOG_2PI), logNdtr(x0(a)))))],
  lfactorial: (g, a) => [mul(g, digamma(add(x0(a), 1)))],
  add: (g) => [g, g],
  sub: (g) => [g, neg(g)],
  mul: (g, a) => [mul(g, x1(a)), mul(g, x0(a))],
  div: (g, a, out) => [div(g, x1(a)), neg(div(mul(g, out), x1(a)))],
  pow: (g, a, out) => [
    mul(g, mul(x1(a), elementwise("pow", [x0(a), sub(x1(a), 1)]))),
    mul(g, xlogy(out, x0(a))),
  ],
  maximum: (g, a) => {
    const share = add(gt(x0(a), x1(a)), mul(eq(x0(a), x1(a)), 0.5));
    return [mul(g, share), mul(g, sub(1, share))];
  },
  minimum: (g, a) => {
    const share = add(gt(x1(a), x0(a)), mul(eq(x0(a), x1(a)), 0.5));
    return [mul(g, share), mul(g, sub(1, share))];
  },
  atan2: (g, a) => {
    const r2 = add(square(x0(a)), square(x1(a)));
    return [mul(g, div(x1(a), r2)), neg(mul(g, div(x0(a), r2)))];
  },
  eq: null,
  ne: null,
  lt: null,
  le: null,
  gt: null,
  ge: null,
  logicalAnd: null,
  logicalOr: null,
  xlogy: (g, a) => [mul(g, log(x1(a))), mul(g, div(x0(a), x1(a)))],
  xlog1py: (g, a) => [mul(g, log1p(x1(a))), mul(g, div(x0(a), add(x1(a), 1)))],
  betaln: (g, a) => {
    const dab = digamma(add(x0(a), x1(a)));
    return [mul(g, sub(digamma(x0(a)), dab)), mul(g, sub(digamma(x1(a)), dab))];
  },
  gammainc: (g, a) => [
    mul(g, elementwise("gammaincGradA", [x0(a), x1(a)])),
    mul(g, exp(sub(sub(xlogy(sub(x0(a), 1), x1(a)), x1(a)), lgamma(x0(a))))),
  ],
  gammaincc: (g, a) => [
    neg(mul(g, elementwise("gammaincGradA", [x0(a), x1(a)]))),
    neg(mul(g, exp(sub(sub(xlogy(sub(x0(a), 1), x1(a)), x1(a)), lgamma(x0(a)))))),
  ],
  gammaincGradA: null,
  gammaSampleGrad: null,
  lgammaShiftDiff: (g, a) => [mul(g, digammaShiftDiff(x0(a), x1(a))), null],
  digammaShiftDiff: (g, a) => [mul(g, trigammaShiftDiff(x0(a), x1(a))), null],
  trigammaShiftDiff: null,
  where: (g, a) => [null, where(x0(a), g, 0), where(x0(a), 0, g)],
  betainc: (g, a) => [
    mul(g, elementwise("betaincGradA", [x0(a), x1(a), x2(a)])),
    mul(g, elementwise("betaincGradB", [x0(a), x1(a), x2(a)])),
    mul(g, exp(sub(add(xlogy(sub(x0(a), 1), x2(a)), xlog1py(sub(x1(a), 1), neg(x2(a)))), betaln(x0(a), x1(a))))),
  ],
  betaincGradA: null,
  betaincGradB: null,
  nb2LogPmf: (g, a) => [
    null,
    mul(g, elementwise("nb2GradMean", [x0(a), x1(a), x2(a)])),
    mul(g, elementwise("nb2GradConc", [x0(a), x1(a), x2(a)])),
  ],
  nb2GradMean: null,
  // the node count (argument 4) is a constant; the count u is not differentiated
  poissonBetaLogPmf: (g, a, out) => [null, pbPartial(0, g, a, out), pbPartial(1, g, a, out), pbPartial(2, g, a, out), null],
  poissonBetaGradAlpha: null,
  poissonBetaGradBeta: null,
  poissonBetaGradRate: null,
  nb2GradConc: null,
  nbProbsLogPmf: (g, a) => [
    null,
    mul(g, elementwise("nbProbsGradR", [x0(a), x1(a), x2(a)])),
    mul(g, elementwise("nbProbsGradP", [x0(a), x1(a), x2(a)])),
  ],
  nbProbsGradR: null,
  nbProbsGradP: null,
  nbLogitsLogPmf: (g, a) => [
    null,
    mul(g, elementwise("nbLogitsGradR", [x0(a), x1(a), x2(a)])),
    mul(g, elementwise("nbLogitsGradLogits", [x0(a), x1(a), x2(a)])),
  ],
  nbLogitsGradR: null,
  nbLogitsGradLogits: null,
  zinbProbsLogPmf: (g, a) => [
    null,
    mul(g, elementwise("zinbProbsGradR", [x0(a), x1(a), x2(a), a[3]!])),
    mul(g, elementwise("zinbProbsGradP", [x0(a), x1(a), x2(a), a[3]!])),
    mul(g, elementwise("zinbProbsGradGate", [x0(a), x1(a), x2(a), a[3]!])),
  ],
  zinbProbsGradR: null,
  zinbProbsGradP: null,
  zinbProbsGradGate: null,
};
