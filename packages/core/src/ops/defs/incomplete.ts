import { gammaReparamGradAt } from "../../random/gamma-grad.js";
import {
  betaincGradA as betaincGradAScalar,
  betaincGradB as betaincGradBScalar,
  betainc as betaincScalar,
} from "../../special/scalar/betainc.js";
import {
  gammaincc as gammainccScalar,
  gammaincGradA as gammaincGradAScalar,
  gammainc as gammaincScalar,
} from "../../special/scalar/gammainc.js";
import { binaryFn, elementwise, ternaryFn } from "../apply-op.js";
import { defineOp, type TensorLike, type TestDomain } from "../define-op.js";
import { add, mul, neg, sub } from "./arithmetic.js";
import { betaln, lgamma } from "./gamma.js";
import { exp, xlog1py, xlogy } from "./transcendental.js";

/** Regularized incomplete gamma and beta functions and the partials their gradients need. */

const M = import.meta.url;
const R = (lo: number, hi: number): TestDomain => ({ lo, hi });
const GAMMA_DOMAIN = [R(0.5, 6), R(0.2, 6)];
const BETA_DOMAIN = [R(0.5, 6), R(0.5, 6), R(0.05, 0.95)];
const x0 = (a: readonly TensorLike[]) => a[0]!;
const x1 = (a: readonly TensorLike[]) => a[1]!;
const x2 = (a: readonly TensorLike[]) => a[2]!;

/** ∂P(a, x)/∂x = x^(a−1) e^(−x) / Γ(a). */
const gammaDensity = (a: readonly TensorLike[]) =>
  exp(sub(sub(xlogy(sub(x0(a), 1), x1(a)), x1(a)), lgamma(x0(a))));

/** ∂P(a, x)/∂a (series / continued fraction; a helper of gammainc's rule, not differentiable). */
export const gammaincGradAOp = defineOp({
  name: "gammaincGradA",
  module: M,
  arity: 2,
  dtype: "float",
  cost: 400,
  testDomain: GAMMA_DOMAIN,
  cpu: { fn: gammaincGradAScalar },
  wgsl: ([a, x]) => `sp_gammaincGradA(${a}, ${x})`,
  vjp: null,
});
/** dx/dα of a Gamma(α, 1) draw x at fixed CDF (implicit reparameterization). Arguments (α, x). */
export const gammaSampleGradOp = defineOp({
  name: "gammaSampleGrad",
  module: M,
  arity: 2,
  dtype: "float",
  cost: 400,
  testDomain: GAMMA_DOMAIN,
  cpu: { fn: (alpha: number, x: number) => gammaReparamGradAt(x, alpha) },
  wgsl: ([a, x]) => `sp_gammaSampleGrad(${a}, ${x})`,
  vjp: null,
});
export const gammaincOp = defineOp({
  name: "gammainc",
  module: M,
  arity: 2,
  dtype: "float",
  cost: 200,
  testDomain: GAMMA_DOMAIN,
  cpu: { fn: gammaincScalar },
  wgsl: ([a, x]) => `sp_gammainc(${a}, ${x})`,
  vjp: (g, a) => [mul(g, elementwise(gammaincGradAOp, [x0(a), x1(a)])), mul(g, gammaDensity(a))],
});
export const gammainccOp = defineOp({
  name: "gammaincc",
  module: M,
  arity: 2,
  dtype: "float",
  cost: 200,
  testDomain: GAMMA_DOMAIN,
  cpu: { fn: gammainccScalar },
  wgsl: ([a, x]) => `sp_gammaincc(${a}, ${x})`,
  vjp: (g, a) => [neg(mul(g, elementwise(gammaincGradAOp, [x0(a), x1(a)]))), neg(mul(g, gammaDensity(a)))],
});
export const betaincGradAOp = defineOp({
  name: "betaincGradA",
  module: M,
  arity: 3,
  dtype: "float",
  cost: 600,
  testDomain: BETA_DOMAIN,
  cpu: { fn: betaincGradAScalar },
  wgsl: ([a, b, x]) => `sp_betaincGradA(${a}, ${b}, ${x})`,
  vjp: null,
});
export const betaincGradBOp = defineOp({
  name: "betaincGradB",
  module: M,
  arity: 3,
  dtype: "float",
  cost: 600,
  testDomain: BETA_DOMAIN,
  cpu: { fn: betaincGradBScalar },
  wgsl: ([a, b, x]) => `sp_betaincGradB(${a}, ${b}, ${x})`,
  vjp: null,
});
/** Regularized incomplete beta I_x(a, b). */
export const betaincOp = defineOp({
  name: "betainc",
  module: M,
  arity: 3,
  dtype: "float",
  cost: 300,
  testDomain: BETA_DOMAIN,
  cpu: { fn: betaincScalar },
  wgsl: ([a, b, x]) => `sp_betainc(${a}, ${b}, ${x})`,
  vjp: (g, a) => [
    mul(g, elementwise(betaincGradAOp, [x0(a), x1(a), x2(a)])),
    mul(g, elementwise(betaincGradBOp, [x0(a), x1(a), x2(a)])),
    mul(
      g,
      exp(sub(add(xlogy(sub(x0(a), 1), x2(a)), xlog1py(sub(x1(a), 1), neg(x2(a)))), betaln(x0(a), x1(a)))),
    ),
  ],
});

export const gammainc = binaryFn(gammaincOp);
export const gammaincc = binaryFn(gammainccOp);
/** Regularized incomplete beta I_x(a, b). */
export const betainc = ternaryFn(betaincOp);
