import { record } from "../autodiff/tape.js";
import type { ConstExpr, Expr } from "../expr/expr.js";
import { exprCost, exprNodes } from "../expr/expr.js";
import { SCALAR_OPS, type ScalarOpName, scalarOpOutDtype } from "../expr/scalar-ops.js";
import { type DType, isFloat, promoteTypes } from "../tensor/dtype.js";
import { exprOf, fromExpr, hasDeferredLeaf, leafOf } from "../tensor/realize.js";
import { broadcastShapes, type Shape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { ELEMENTWISE_VJP } from "./elementwise-vjp.js";
import { scalarLib } from "../backend/cpu/scalar-lib.js";
import { full } from "../tensor/creation.js";

/** A tensor or a plain number (numbers are weakly typed: they take the tensor's dtype). */
export type TensorLike = Tensor | number;

function constExpr(value: number, dtype: DType): ConstExpr {
  return { kind: "const", value, shape: [], dtype };
}

/** The dtype a plain number takes next to tensors of dtype `strong` (JAX-style weak typing). */
function weakDtype(v: number, strong: DType | null): DType {
  if (strong && (isFloat(strong) || Number.isInteger(v))) return strong;
  return "float32";
}

/**
 * Apply a scalar op elementwise with NumPy broadcasting. The result is lazy: it joins the
 * expression of its inputs and is compiled into one loop with whatever consumes it.
 */
export function elementwise(op: ScalarOpName, args: readonly TensorLike[], where: string = op): Tensor {
  const def = SCALAR_OPS[op];
  if (args.length !== def.arity) throw new Error(`internal: ${op} takes ${def.arity} arguments`);
  // Weakly typed scalars (results of number-only ops) act as the numbers they hold.
  args = args.map((a) => (a instanceof Tensor && a._weakValue !== null && !a._tracked ? a._weakValue : a));
  if (args.every((a) => typeof a === "number")) return weakScalar(op, args as number[]);
  const tensors = args.filter((a): a is Tensor => a instanceof Tensor);
  const backend = tensors[0]?.backend;
  for (const t of tensors)
    if (t.backend !== backend)
      throw new Error(`${where}: inputs live on different backends (${backend?.name} and ${t.backend.name}); move one first`);
  // dtype: `where` ignores its condition; numbers are weak.
  const valueArgs = op === "where" ? args.slice(1) : args;
  let strong: DType | null = null;
  for (const a of valueArgs) if (a instanceof Tensor) strong = strong ? promoteTypes(strong, a.dtype) : a.dtype;
  let inDtype: DType = strong ?? "float32";
  for (const a of valueArgs) if (typeof a === "number") inDtype = promoteTypes(inDtype, weakDtype(a, strong));
  let shape: Shape;
  try {
    shape = broadcastShapes(...tensors.map((t) => t.shape));
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
  // A pending expression smaller than the result would be recomputed for every element it
  // is broadcast over; computing it once into memory is cheaper unless it is trivial.
  let outSize = 1;
  for (const d of shape) outSize *= d;
  const argExprs: Expr[] = args.map((a) => {
    if (!(a instanceof Tensor)) return constExpr(a, weakDtype(a, strong));
    if (a.size < outSize && a._expr?.kind === "call" && exprCost(a._expr) > 1 && !hasDeferredLeaf(a._expr)) return leafOf(a);
    return exprOf(a);
  });
  let cost = def.cost;
  let nodes = 1;
  for (const e of argExprs) {
    cost += exprCost(e);
    nodes += exprNodes(e);
  }
  const dtype = scalarOpOutDtype(op, inDtype);
  const out = fromExpr({ kind: "call", op, args: argExprs, shape, dtype, cost, nodes });
  const rule = ELEMENTWISE_VJP[op];
  if (rule && tensors.length > 0) {
    record(out, tensors, op, (g) => {
      const cts = rule(g, args, out);
      // map from per-argument cotangents to per-tensor-input cotangents
      const res: (Tensor | null)[] = [];
      args.forEach((a, i) => {
        if (a instanceof Tensor) res.push(cts[i] ?? null);
      });
      return res;
    });
  }
  return out;
}

const scalarEvaluators = new Map<ScalarOpName, (...a: number[]) => number>();

/** An op on plain numbers: evaluated exactly in float64 and kept weakly typed. */
function weakScalar(op: ScalarOpName, values: number[]): Tensor {
  let f = scalarEvaluators.get(op);
  if (!f) {
    const names = values.map((_, i) => `a${i}`);
    const expr = (SCALAR_OPS[op].js as (...a: string[]) => string)(...names);
    f = new Function("L", `return (${names.join(",")}) => ${expr};`)(scalarLib) as (...a: number[]) => number;
    scalarEvaluators.set(op, f);
  }
  const v = f(...values);
  const dtype = scalarOpOutDtype(op, values.every(Number.isInteger) && SCALAR_OPS[op].out === "same" ? "int32" : "float32");
  const out = full([], v, dtype);
  if (dtype !== "bool") out._weakValue = v;
  return out;
}

/** Cast to `dtype` (truncating toward zero for int32, nonzero → true for bool). */
export function astype(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const e = exprOf(x);
  const op: ScalarOpName = dtype === "bool" ? "toBool" : "identity";
  const out = fromExpr({ kind: "call", op, args: [e], shape: x.shape, dtype, cost: exprCost(e), nodes: exprNodes(e) + 1 });
  if (isFloat(dtype) && isFloat(x.dtype)) record(out, [x], "astype", (g) => [astype(g, x.dtype)]);
  return out;
}

/** Broadcast to `shape` (NumPy broadcast_to), lazily: no copy is made. */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  const target = broadcastShapes(x.shape, shape);
  if (target.length !== shape.length || target.some((d, i) => d !== shape[i]))
    throw new Error(`broadcastTo: shape [${x.shape}] cannot be broadcast to [${shape}]`);
  if (target.length === x.shape.length && target.every((d, i) => d === x.shape[i])) return x;
  // As in elementwise(): compute a non-trivial pending expression once at its own size
  // rather than once per element it is broadcast over.
  const e = x._expr?.kind === "call" && exprCost(x._expr) > 1 && !hasDeferredLeaf(x._expr) ? leafOf(x) : exprOf(x);
  const out = fromExpr({ kind: "call", op: "identity", args: [e], shape: [...shape], dtype: x.dtype, cost: exprCost(e), nodes: exprNodes(e) + 1 });
  return record(out, [x], "broadcastTo", (g) => [g]);
}

type Un = (x: TensorLike) => Tensor;
type Bin = (a: TensorLike, b: TensorLike) => Tensor;
const un = (op: ScalarOpName): Un => (x) => elementwise(op, [x]);
const bin = (op: ScalarOpName): Bin => (a, b) => elementwise(op, [a, b]);

export const neg = un("neg");
export const abs = un("abs");
export const sign = un("sign");
export const square = un("square");
export const reciprocal = un("reciprocal");
export const sqrt = un("sqrt");
export const rsqrt = un("rsqrt");
export const exp = un("exp");
export const log = un("log");
export const log1p = un("log1p");
export const expm1 = un("expm1");
export const sin = un("sin");
export const cos = un("cos");
export const tan = un("tan");
export const tanh = un("tanh");
export const sigmoid = un("sigmoid");
export const relu = un("relu");
export const floor = un("floor");
export const ceil = un("ceil");
export const round = un("round");
export const isnan = un("isnan");
export const isfinite = un("isfinite");
export const logicalNot = un("logicalNot");
export const lgamma = un("lgamma");
export const digamma = un("digamma");
export const trigamma = un("trigamma");
export const softplus = un("softplus");
export const logSigmoid = un("logSigmoid");
export const erf = un("erf");
export const erfc = un("erfc");
export const ndtri = un("ndtri");
export const logNdtr = un("logNdtr");
export const lfactorial = un("lfactorial");

export const add = bin("add");
export const sub = bin("sub");
export const mul = bin("mul");
export const div = bin("div");
export const pow = bin("pow");
export const maximum = bin("maximum");
export const minimum = bin("minimum");
export const atan2 = bin("atan2");
export const eq = bin("eq");
export const ne = bin("ne");
export const lt = bin("lt");
export const le = bin("le");
export const gt = bin("gt");
export const ge = bin("ge");
export const logicalAnd = bin("logicalAnd");
export const logicalOr = bin("logicalOr");
export const xlogy = bin("xlogy");
export const xlog1py = bin("xlog1py");
export const betaln = bin("betaln");
export const gammainc = bin("gammainc");
export const gammaincc = bin("gammaincc");
/** lgamma(y + θ) − lgamma(θ) for integer counts y ≥ 0, count-aware. Arguments (θ, y). */
export const lgammaShiftDiff = bin("lgammaShiftDiff");
/** ψ(y + θ) − ψ(θ) for integer counts y ≥ 0. Arguments (θ, y). */
export const digammaShiftDiff = bin("digammaShiftDiff");
export const trigammaShiftDiff = bin("trigammaShiftDiff");

/** Elementwise select: `cond ? a : b`, broadcasting all three. */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  return elementwise("where", [cond, a, b]);
}

/** Regularized incomplete beta I_x(a, b). */
export function betainc(a: TensorLike, b: TensorLike, x: TensorLike): Tensor {
  return elementwise("betainc", [a, b, x]);
}

/** Clamp into [lo, hi] (either bound may be omitted). */
export function clamp(x: Tensor, lo?: TensorLike, hi?: TensorLike): Tensor {
  let y = x;
  if (lo !== undefined) y = maximum(y, lo);
  if (hi !== undefined) y = minimum(y, hi);
  return y;
}
