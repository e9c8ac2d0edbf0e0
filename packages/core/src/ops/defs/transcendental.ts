import { logSigmoid as logSigmoidScalar, softplus as softplusScalar } from "../../special/scalar/softplus.js";
import { xlog1py as xlog1pyScalar, xlogy as xlogyScalar } from "../../special/scalar/xlogy.js";
import { binaryFn, unaryFn } from "../apply-op.js";
import { defineOp, type TensorLike, type TestDomain } from "../define-op.js";
import { add, div, mul, neg, square, sub } from "./arithmetic.js";

/** Exponentials, logarithms, trigonometric and logistic functions. */

const M = import.meta.url;
const STD: TestDomain = { lo: -2, hi: 2 };
const POS: TestDomain = { lo: 0.2, hi: 4 };
const R = (lo: number, hi: number): TestDomain => ({ lo, hi });
const x0 = (a: readonly TensorLike[]) => a[0]!;
const x1 = (a: readonly TensorLike[]) => a[1]!;

/** The logistic function, without overflow for either sign. */
function sigmoidScalar(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

export const expOp = defineOp({
  name: "exp",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 4,
  testDomain: [STD],
  cpu: { inline: ([a]) => `Math.exp(${a})` },
  wgsl: ([a]) => `exp(${a})`,
  vjp: (g, _a, [out]) => [mul(g, out!)],
});
export const logOp = defineOp({
  name: "log",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 4,
  testDomain: [POS],
  cpu: { inline: ([a]) => `Math.log(${a})` },
  wgsl: ([a]) => `sp_log(${a})`,
  vjp: (g, a) => [div(g, x0(a))],
});
export const log1pOp = defineOp({
  name: "log1p",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 4,
  testDomain: [R(-0.5, 3)],
  cpu: { inline: ([a]) => `Math.log1p(${a})` },
  wgsl: ([a]) => `sp_log1p(${a})`,
  vjp: (g, a) => [div(g, add(x0(a), 1))],
});
export const expm1Op = defineOp({
  name: "expm1",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 4,
  testDomain: [STD],
  cpu: { inline: ([a]) => `Math.expm1(${a})` },
  wgsl: ([a]) => `sp_expm1(${a})`,
  vjp: (g, _a, [out]) => [mul(g, add(out!, 1))],
});
export const sinOp = defineOp({
  name: "sin",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 4,
  testDomain: [STD],
  cpu: { inline: ([a]) => `Math.sin(${a})` },
  wgsl: ([a]) => `sp_sincos(${a}).x`,
  vjp: (g, a) => [mul(g, cos(x0(a)))],
});
export const cosOp = defineOp({
  name: "cos",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 4,
  testDomain: [STD],
  cpu: { inline: ([a]) => `Math.cos(${a})` },
  wgsl: ([a]) => `sp_sincos(${a}).y`,
  vjp: (g, a) => [neg(mul(g, sin(x0(a))))],
});
export const tanOp = defineOp({
  name: "tan",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 4,
  testDomain: [R(-1, 1)],
  cpu: { inline: ([a]) => `Math.tan(${a})` },
  wgsl: ([a]) => `sp_tan(${a})`,
  vjp: (g, _a, [out]) => [mul(g, add(square(out!), 1))],
});
export const tanhOp = defineOp({
  name: "tanh",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 4,
  testDomain: [STD],
  cpu: { inline: ([a]) => `Math.tanh(${a})` },
  wgsl: ([a]) => `sp_tanh(${a})`,
  vjp: (g, _a, [out]) => [mul(g, sub(1, square(out!)))],
});
export const sigmoidOp = defineOp({
  name: "sigmoid",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 4,
  testDomain: [R(-5, 5)],
  cpu: { fn: sigmoidScalar },
  wgsl: ([a]) => `sp_sigmoid(${a})`,
  vjp: (g, _a, [out]) => [mul(g, mul(out!, sub(1, out!)))],
});
export const softplusOp = defineOp({
  name: "softplus",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 8,
  testDomain: [R(-8, 8)],
  cpu: { fn: softplusScalar },
  wgsl: ([a]) => `sp_softplus(${a})`,
  vjp: (g, a) => [mul(g, sigmoid(x0(a)))],
});
export const logSigmoidOp = defineOp({
  name: "logSigmoid",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 8,
  testDomain: [R(-8, 8)],
  cpu: { fn: logSigmoidScalar },
  wgsl: ([a]) => `(-sp_softplus(-${a}))`,
  vjp: (g, a) => [mul(g, sigmoid(neg(x0(a))))],
});
export const atan2Op = defineOp({
  name: "atan2",
  module: M,
  arity: 2,
  dtype: "float",
  cost: 8,
  testDomain: [STD, POS],
  cpu: { inline: ([a, b]) => `Math.atan2(${a},${b})` },
  wgsl: ([a, b]) => `atan2(${a}, ${b})`,
  vjp: (g, a) => {
    const r2 = add(square(x0(a)), square(x1(a)));
    return [mul(g, div(x1(a), r2)), neg(mul(g, div(x0(a), r2)))];
  },
});
/** x·log y, 0 where x = 0 (y not NaN). */
export const xlogyOp = defineOp({
  name: "xlogy",
  module: M,
  arity: 2,
  dtype: "float",
  cost: 5,
  testDomain: [STD, POS],
  cpu: { fn: xlogyScalar },
  wgsl: ([a, b]) => `sp_xlogy(${a}, ${b})`,
  vjp: (g, a) => [mul(g, log(x1(a))), mul(g, div(x0(a), x1(a)))],
});
/** x·log1p y, 0 where x = 0 (y not NaN). */
export const xlog1pyOp = defineOp({
  name: "xlog1py",
  module: M,
  arity: 2,
  dtype: "float",
  cost: 5,
  testDomain: [STD, R(-0.5, 3)],
  cpu: { fn: xlog1pyScalar },
  wgsl: ([a, b]) => `sp_xlog1py(${a}, ${b})`,
  vjp: (g, a) => [mul(g, log1p(x1(a))), mul(g, div(x0(a), add(x1(a), 1)))],
});

export const exp = unaryFn(expOp);
export const log = unaryFn(logOp);
export const log1p = unaryFn(log1pOp);
export const expm1 = unaryFn(expm1Op);
export const sin = unaryFn(sinOp);
export const cos = unaryFn(cosOp);
export const tan = unaryFn(tanOp);
export const tanh = unaryFn(tanhOp);
export const sigmoid = unaryFn(sigmoidOp);
export const softplus = unaryFn(softplusOp);
export const logSigmoid = unaryFn(logSigmoidOp);
export const atan2 = binaryFn(atan2Op);
export const xlogy = binaryFn(xlogyOp);
export const xlog1py = binaryFn(xlog1pyOp);
