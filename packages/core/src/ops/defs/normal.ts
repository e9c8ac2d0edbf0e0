import { erfc as erfcScalar, erf as erfScalar, TWO_OVER_SQRT_PI } from "../../special/scalar/erf.js";
import { logNdtr as logNdtrScalar } from "../../special/scalar/log-ndtr.js";
import { ndtri as ndtriScalar } from "../../special/scalar/ndtri.js";
import { unaryFn } from "../apply-op.js";
import { defineOp, type TensorLike, type TestDomain } from "../define-op.js";
import { add, mul, neg, square, sub } from "./arithmetic.js";
import { exp } from "./transcendental.js";

/** The error function family and the normal quantile and log-CDF. */

const M = import.meta.url;
const HALF_LOG_2PI = 0.9189385332046727;
const STD: TestDomain = { lo: -2, hi: 2 };
const x0 = (a: readonly TensorLike[]) => a[0]!;

export const erfOp = defineOp({
  name: "erf",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 20,
  testDomain: [STD],
  cpu: { fn: erfScalar },
  wgsl: ([a]) => `sp_erf(${a})`,
  vjp: (g, a) => [mul(g, mul(exp(neg(square(x0(a)))), TWO_OVER_SQRT_PI))],
});
export const erfcOp = defineOp({
  name: "erfc",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 20,
  testDomain: [STD],
  cpu: { fn: erfcScalar },
  wgsl: ([a]) => `sp_erfc(${a})`,
  vjp: (g, a) => [mul(g, mul(exp(neg(square(x0(a)))), -TWO_OVER_SQRT_PI))],
});
/** d ndtri(p)/dp = 1 / φ(ndtri(p)). */
export const ndtriOp = defineOp({
  name: "ndtri",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 30,
  testDomain: [{ lo: 0.02, hi: 0.98 }],
  cpu: { fn: ndtriScalar },
  wgsl: ([a]) => `sp_ndtri(${a})`,
  vjp: (g, _a, [out]) => [mul(g, exp(add(mul(square(out!), 0.5), HALF_LOG_2PI)))],
});
/** d log Φ(x)/dx = φ(x)/Φ(x), evaluated in log space. */
export const logNdtrOp = defineOp({
  name: "logNdtr",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 30,
  testDomain: [{ lo: -6, hi: 4 }],
  cpu: { fn: logNdtrScalar },
  wgsl: ([a]) => `sp_logNdtr(${a})`,
  vjp: (g, a, [out]) => [mul(g, exp(sub(sub(mul(square(x0(a)), -0.5), HALF_LOG_2PI), out!)))],
});

export const erf = unaryFn(erfOp);
export const erfc = unaryFn(erfcOp);
export const ndtri = unaryFn(ndtriOp);
export const logNdtr = unaryFn(logNdtrOp);
