import { record } from "../../autodiff/tape.js";
import { exprCost, exprNodes } from "../../expr/expr.js";
import { type DType, isFloat } from "../../tensor/dtype.js";
import { exprOf, fromExpr, hasDeferredLeaf, leafOf } from "../../tensor/realize.js";
import { broadcastShapes, type Shape } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import { binaryFn, ternaryFn, unaryFn } from "../apply-op.js";
import { defineOp, type TensorLike, type TestDomain } from "../define-op.js";
import { eq, gt } from "./logic.js";
import { xlogy } from "./transcendental.js";

/** Arithmetic, rounding, selection and casts: the ops every backend writes inline. */

const M = import.meta.url;
const STD: TestDomain = { lo: -2, hi: 2 };
const POS: TestDomain = { lo: 0.2, hi: 4 };
const x0 = (a: readonly TensorLike[]) => a[0]!;
const x1 = (a: readonly TensorLike[]) => a[1]!;

/** Round half to even, as NumPy's `round`. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The identity: casts (the node's dtype is the target) and broadcasts (the node's shape is the target). */
export const identityOp = defineOp({
  name: "identity",
  module: M,
  arity: 1,
  dtype: "same",
  cost: 0,
  testDomain: [STD],
  cpu: { inline: ([a]) => `${a}` },
  wgsl: ([a]) => `${a}`,
  vjp: (g) => [g],
});
export const toBoolOp = defineOp({
  name: "toBool",
  module: M,
  arity: 1,
  dtype: "bool",
  cost: 0,
  testDomain: [STD],
  cpu: { inline: ([a]) => `(${a}?1:0)` },
  wgsl: ([a]) => `sp_b(${a} != 0.0)`,
  vjp: null,
});
export const negOp = defineOp({
  name: "neg",
  module: M,
  arity: 1,
  dtype: "same",
  cost: 1,
  testDomain: [STD],
  cpu: { inline: ([a]) => `(-${a})` },
  wgsl: ([a]) => `(-${a})`,
  vjp: (g) => [neg(g)],
});
export const absOp = defineOp({
  name: "abs",
  module: M,
  arity: 1,
  dtype: "same",
  cost: 1,
  testDomain: [STD],
  cpu: { inline: ([a]) => `Math.abs(${a})` },
  wgsl: ([a]) => `abs(${a})`,
  vjp: (g, a) => [mul(g, sign(x0(a)))],
});
export const signOp = defineOp({
  name: "sign",
  module: M,
  arity: 1,
  dtype: "same",
  cost: 1,
  testDomain: [STD],
  cpu: { inline: ([a]) => `Math.sign(${a})` },
  wgsl: ([a]) => `sign(${a})`,
  vjp: null,
});
export const squareOp = defineOp({
  name: "square",
  module: M,
  arity: 1,
  dtype: "same",
  cost: 1,
  testDomain: [STD],
  cpu: { inline: ([a]) => `(${a}*${a})` },
  wgsl: ([a]) => `(${a} * ${a})`,
  vjp: (g, a) => [mul(g, mul(x0(a), 2))],
});
export const reciprocalOp = defineOp({
  name: "reciprocal",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 1,
  testDomain: [POS],
  cpu: { inline: ([a]) => `(1/${a})` },
  wgsl: ([a]) => `(1.0 / ${a})`,
  vjp: (g, _a, [out]) => [neg(mul(g, square(out!)))],
});
export const sqrtOp = defineOp({
  name: "sqrt",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 2,
  testDomain: [POS],
  cpu: { inline: ([a]) => `Math.sqrt(${a})` },
  wgsl: ([a]) => `sqrt(${a})`,
  vjp: (g, _a, [out]) => [div(mul(g, 0.5), out!)],
});
export const rsqrtOp = defineOp({
  name: "rsqrt",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 2,
  testDomain: [POS],
  cpu: { inline: ([a]) => `(1/Math.sqrt(${a}))` },
  wgsl: ([a]) => `(1.0 / sqrt(${a}))`,
  vjp: (g, a, [out]) => [mul(mul(g, -0.5), div(out!, x0(a)))],
});
export const reluOp = defineOp({
  name: "relu",
  module: M,
  arity: 1,
  dtype: "same",
  cost: 1,
  testDomain: [STD],
  cpu: { inline: ([a]) => `(${a}>0?${a}:0)` },
  wgsl: ([a]) => `select(0.0, ${a}, ${a} > 0.0)`,
  vjp: (g, a) => [mul(g, gt(x0(a), 0))],
});
export const floorOp = defineOp({
  name: "floor",
  module: M,
  arity: 1,
  dtype: "same",
  cost: 1,
  testDomain: [STD],
  cpu: { inline: ([a]) => `Math.floor(${a})` },
  wgsl: ([a]) => `floor(${a})`,
  vjp: null,
});
export const ceilOp = defineOp({
  name: "ceil",
  module: M,
  arity: 1,
  dtype: "same",
  cost: 1,
  testDomain: [STD],
  cpu: { inline: ([a]) => `Math.ceil(${a})` },
  wgsl: ([a]) => `ceil(${a})`,
  vjp: null,
});
/** Rounds half to even (NumPy); WGSL's `round` does too. */
export const roundOp = defineOp({
  name: "round",
  module: M,
  arity: 1,
  dtype: "same",
  cost: 1,
  testDomain: [STD],
  cpu: { fn: roundHalfEven },
  wgsl: ([a]) => `round(${a})`,
  vjp: null,
});
export const addOp = defineOp({
  name: "add",
  module: M,
  arity: 2,
  dtype: "same",
  cost: 1,
  testDomain: [STD, STD],
  cpu: { inline: ([a, b]) => `(${a}+${b})` },
  wgsl: ([a, b]) => `(${a} + ${b})`,
  vjp: (g) => [g, g],
});
export const subOp = defineOp({
  name: "sub",
  module: M,
  arity: 2,
  dtype: "same",
  cost: 1,
  testDomain: [STD, STD],
  cpu: { inline: ([a, b]) => `(${a}-${b})` },
  wgsl: ([a, b]) => `(${a} - ${b})`,
  vjp: (g) => [g, neg(g)],
});
export const mulOp = defineOp({
  name: "mul",
  module: M,
  arity: 2,
  dtype: "same",
  cost: 1,
  testDomain: [STD, STD],
  cpu: { inline: ([a, b]) => `(${a}*${b})` },
  wgsl: ([a, b]) => `(${a} * ${b})`,
  vjp: (g, a) => [mul(g, x1(a)), mul(g, x0(a))],
});
export const divOp = defineOp({
  name: "div",
  module: M,
  arity: 2,
  dtype: "float",
  cost: 1,
  testDomain: [STD, POS],
  cpu: { inline: ([a, b]) => `(${a}/${b})` },
  wgsl: ([a, b]) => `(${a} / ${b})`,
  vjp: (g, a, [out]) => [div(g, x1(a)), neg(div(mul(g, out!), x1(a)))],
});
export const powOp = defineOp({
  name: "pow",
  module: M,
  arity: 2,
  dtype: "float",
  cost: 8,
  testDomain: [POS, STD],
  cpu: { inline: ([a, b]) => `Math.pow(${a},${b})` },
  wgsl: ([a, b]) => `sp_pow(${a}, ${b})`,
  vjp: (g, a, [out]) => [mul(g, mul(x1(a), pow(x0(a), sub(x1(a), 1)))), mul(g, xlogy(out!, x0(a)))],
});
export const maximumOp = defineOp({
  name: "maximum",
  module: M,
  arity: 2,
  dtype: "same",
  cost: 1,
  testDomain: [STD, STD],
  cpu: { inline: ([a, b]) => `((${a}>${b}||${a}!==${a})?${a}:${b})` },
  wgsl: ([a, b]) => `sp_maximum(${a}, ${b})`,
  vjp: (g, a) => {
    const share = add(gt(x0(a), x1(a)), mul(eq(x0(a), x1(a)), 0.5));
    return [mul(g, share), mul(g, sub(1, share))];
  },
});
export const minimumOp = defineOp({
  name: "minimum",
  module: M,
  arity: 2,
  dtype: "same",
  cost: 1,
  testDomain: [STD, STD],
  cpu: { inline: ([a, b]) => `((${a}<${b}||${a}!==${a})?${a}:${b})` },
  wgsl: ([a, b]) => `sp_minimum(${a}, ${b})`,
  vjp: (g, a) => {
    const share = add(gt(x1(a), x0(a)), mul(eq(x0(a), x1(a)), 0.5));
    return [mul(g, share), mul(g, sub(1, share))];
  },
});
/** `cond ? a : b`; the condition does not take part in dtype promotion. */
export const whereOp = defineOp({
  name: "where",
  module: M,
  arity: 3,
  dtype: "same",
  cost: 1,
  testDomain: [{ lo: 0, hi: 1, integer: true }, STD, STD],
  cpu: { inline: ([c, a, b]) => `(${c}?${a}:${b})` },
  wgsl: ([c, a, b]) => `select(${b}, ${a}, ${c} != 0.0)`,
  vjp: (g, a) => [null, where(x0(a), g, 0), where(x0(a), 0, g)],
});

export const neg = unaryFn(negOp);
export const abs = unaryFn(absOp);
export const sign = unaryFn(signOp);
export const square = unaryFn(squareOp);
export const reciprocal = unaryFn(reciprocalOp);
export const sqrt = unaryFn(sqrtOp);
export const rsqrt = unaryFn(rsqrtOp);
export const relu = unaryFn(reluOp);
export const floor = unaryFn(floorOp);
export const ceil = unaryFn(ceilOp);
export const round = unaryFn(roundOp);
export const add = binaryFn(addOp);
export const sub = binaryFn(subOp);
export const mul = binaryFn(mulOp);
export const div = binaryFn(divOp);
export const pow = binaryFn(powOp);
export const maximum = binaryFn(maximumOp);
export const minimum = binaryFn(minimumOp);
/** Elementwise select: `cond ? a : b`, broadcasting all three. */
export const where: (cond: TensorLike, a: TensorLike, b: TensorLike) => Tensor = ternaryFn(whereOp);

/** Clamp into [lo, hi] (either bound may be omitted). */
export function clamp(x: Tensor, lo?: TensorLike, hi?: TensorLike): Tensor {
  let y = x;
  if (lo !== undefined) y = maximum(y, lo);
  if (hi !== undefined) y = minimum(y, hi);
  return y;
}

/** Cast to `dtype` (truncating toward zero for int32, nonzero → true for bool). */
export function astype(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const e = exprOf(x);
  const op = dtype === "bool" ? toBoolOp : identityOp;
  const out = fromExpr({
    kind: "call",
    op,
    output: 0,
    args: [e],
    shape: x.shape,
    dtype,
    cost: exprCost(e),
    nodes: exprNodes(e) + 1,
  });
  if (isFloat(dtype) && isFloat(x.dtype)) record(out, [x], "astype", (g) => [astype(g, x.dtype)]);
  return out;
}

/** Broadcast to `shape` (NumPy broadcast_to), lazily: no copy is made. */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  const target = broadcastShapes(x.shape, shape);
  if (target.length !== shape.length || target.some((d, i) => d !== shape[i]))
    throw new Error(`broadcastTo: shape [${x.shape}] cannot be broadcast to [${shape}]`);
  if (target.length === x.shape.length && target.every((d, i) => d === x.shape[i])) return x;
  // As in applyOp: compute a non-trivial pending expression once at its own size rather than
  // once per element it is broadcast over.
  const e =
    x._expr?.kind === "call" && exprCost(x._expr) > 1 && !hasDeferredLeaf(x._expr) ? leafOf(x) : exprOf(x);
  const out = fromExpr({
    kind: "call",
    op: identityOp,
    output: 0,
    args: [e],
    shape: [...shape],
    dtype: x.dtype,
    cost: exprCost(e),
    nodes: exprNodes(e) + 1,
  });
  return record(out, [x], "broadcastTo", (g) => [g]);
}
