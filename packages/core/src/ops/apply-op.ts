import { isRecording, record } from "../autodiff/tape.js";
import type { CallExpr, ConstExpr, Expr } from "../expr/expr.js";
import { exprCost, exprNodes } from "../expr/expr.js";
import { full } from "../tensor/creation.js";
import { type DType, isFloat, promoteTypes } from "../tensor/dtype.js";
import { deferReduction, exprOf, fromExpr, hasDeferredLeaf, leafOf } from "../tensor/realize.js";
import { broadcastShapes, type Shape, shapesEqual, sizeOf } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { opOutDtype, type ScalarOp, type TensorLike } from "./define-op.js";

export type { TensorLike } from "./define-op.js";

function constExpr(value: number, dtype: DType): ConstExpr {
  return { kind: "const", value, shape: [], dtype };
}

/** The dtype a plain number takes next to tensors of dtype `strong` (JAX-style weak typing). */
function weakDtype(v: number, strong: DType | null): DType {
  if (strong && (isFloat(strong) || Number.isInteger(v))) return strong;
  return "float32";
}

/**
 * Apply a scalar op elementwise with NumPy broadcasting; returns its primal output. The
 * result is lazy: it joins the expression of its inputs and is compiled into one loop with
 * whatever consumes it. `where` names the caller in error messages.
 */
export function elementwise(op: ScalarOp, args: readonly TensorLike[], where: string = op.name): Tensor {
  return applyOp(op, args, where)[0]!;
}

/**
 * Apply a scalar op and return its outputs: the primal output, and the residuals of a
 * multi-output op (lazy siblings of the primal output, realized with it) under differentiation
 * or when `allOutputs` asks for them. Records the op's VJP.
 */
export function applyOp(
  op: ScalarOp,
  args: readonly TensorLike[],
  where: string = op.name,
  allOutputs = false,
): Tensor[] {
  if (args.length !== op.arity)
    throw new Error(`${where}: ${op.name} takes ${op.arity} arguments, got ${args.length}`);
  // Weakly typed scalars (results of number-only ops) act as the numbers they hold. This
  // runs for every op of every step, so it loops by hand and allocates only what it keeps.
  let anyWeak = false;
  let allNumbers = true;
  for (const a of args)
    if (a instanceof Tensor) {
      if (a._weakValue !== null && !a._tracked) anyWeak = true;
      else allNumbers = false;
    }
  if (anyWeak)
    args = args.map((a) => (a instanceof Tensor && a._weakValue !== null && !a._tracked ? a._weakValue : a));
  if (allNumbers) return [weakScalar(op, args as number[])];
  const tensors: Tensor[] = [];
  for (const a of args) if (a instanceof Tensor) tensors.push(a);
  const backend = tensors[0]!.backend;
  for (const t of tensors)
    if (t.backend !== backend)
      throw new Error(
        `${where}: inputs live on different backends (${backend.name} and ${t.backend.name}); move one first`,
      );
  // dtype: a select ignores its condition; numbers are weak.
  const firstValueArg = op.name === "where" ? 1 : 0;
  let strong: DType | null = null;
  for (let i = firstValueArg; i < args.length; i++) {
    const a = args[i]!;
    if (a instanceof Tensor) strong = strong ? promoteTypes(strong, a.dtype) : a.dtype;
  }
  let inDtype: DType = strong ?? "float32";
  for (let i = firstValueArg; i < args.length; i++) {
    const a = args[i]!;
    if (typeof a === "number") inDtype = promoteTypes(inDtype, weakDtype(a, strong));
  }
  const shape = outputShape(tensors, where);
  // A pending expression smaller than the result would be recomputed for every element it
  // is broadcast over; computing it once into memory is cheaper unless it is trivial.
  const outSize = sizeOf(shape);
  const argExprs: Expr[] = new Array(args.length);
  let cost = 0;
  let nodes = 1;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    let e: Expr;
    if (!(a instanceof Tensor)) e = constExpr(a, weakDtype(a, strong));
    else if (
      a.size < outSize &&
      a._expr?.kind === "call" &&
      exprCost(a._expr) > 1 &&
      !hasDeferredLeaf(a._expr)
    )
      e = leafOf(a);
    else e = exprOf(a);
    argExprs[i] = e;
    cost += exprCost(e);
    nodes += exprNodes(e);
  }
  const dtype = opOutDtype(op, inDtype);
  const outs: Tensor[] = [];
  const make = (output: number) => {
    const e: CallExpr = {
      kind: "call",
      op,
      output,
      args: argExprs,
      shape,
      dtype,
      cost: cost + op.outputCosts[output]!,
      nodes,
    };
    outs.push(fromExpr(e));
  };
  make(0);
  const rule = op.vjp;
  // The pullback closure is made only for ops the tape will keep (record() checks the same).
  if (rule && isRecording() && tensors.some((t) => t._tracked)) {
    record(outs[0]!, tensors, op.name, (g) => {
      const cts = rule(g, args, outs);
      // map from per-argument cotangents to per-tensor-input cotangents
      const res: (Tensor | null)[] = [];
      for (let i = 0; i < args.length; i++) if (args[i] instanceof Tensor) res.push(cts[i] ?? null);
      return res;
    });
  }
  // Residuals exist only when needed: lazy, and computed with the primal value.
  if (allOutputs || outs[0]!._tracked) for (let output = 1; output < op.outputs; output++) make(output);
  // A heavy call (a quadrature per element) is computed once for all its outputs: they wait
  // together as pending maps, and whichever is needed first computes them all in one pass.
  if (outs.length > 1 && op.cost >= MATERIALIZE_TOGETHER_COST)
    for (const t of outs) {
      const e = t._expr!;
      t._expr = null;
      deferReduction(t, { expr: e, outDtype: t.dtype });
    }
  return outs;
}

/**
 * The broadcast shape of the inputs. Where it equals an input's shape (nearly always) that
 * input's frozen array is returned, so the output tensor shares it instead of copying it.
 */
function outputShape(tensors: readonly Tensor[], where: string): Shape {
  const first = tensors[0]!.shape;
  let same = true;
  for (let i = 1; i < tensors.length && same; i++) same = shapesEqual(tensors[i]!.shape, first);
  if (same) return first;
  let shape: Shape;
  try {
    shape = broadcastShapes(...tensors.map((t) => t.shape));
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
  for (const t of tensors) if (shapesEqual(t.shape, shape)) return t.shape;
  return shape;
}

/** Multi-output calls at least this costly per element are materialized together (see applyOp). */
export const MATERIALIZE_TOGETHER_COST = 256;

/** An op on plain numbers: evaluated exactly in float64 and kept weakly typed. */
function weakScalar(op: ScalarOp, values: number[]): Tensor {
  const v = op.evaluate(...values)[0]!;
  const dtype = opOutDtype(op, values.every(Number.isInteger) && op.dtype === "same" ? "int32" : "float32");
  const out = full([], v, dtype);
  if (dtype !== "bool") out._weakValue = v;
  return out;
}

/** `x ↦ op(x)` as a tensor function. */
export function unaryFn(op: ScalarOp): (x: TensorLike) => Tensor {
  return (x) => elementwise(op, [x]);
}

/** `(a, b) ↦ op(a, b)` as a tensor function. */
export function binaryFn(op: ScalarOp): (a: TensorLike, b: TensorLike) => Tensor {
  return (a, b) => elementwise(op, [a, b]);
}

/** `(a, b, c) ↦ op(a, b, c)` as a tensor function. */
export function ternaryFn(op: ScalarOp): (a: TensorLike, b: TensorLike, c: TensorLike) => Tensor {
  return (a, b, c) => elementwise(op, [a, b, c]);
}
