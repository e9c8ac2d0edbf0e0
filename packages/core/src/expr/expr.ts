import type { ScalarOp } from "../ops/define-op.js";
import type { DType } from "../tensor/dtype.js";
import type { Shape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";

/**
 * A lazy elementwise expression. Chains of elementwise ops build a tree of these instead of
 * running one pass per op; the tree is compiled into one loop (or one shader) when a
 * reduction, an indexing op or a readback needs its values.
 */
export type Expr = LeafExpr | ConstExpr | CallExpr;

/** A strided view of a realized tensor's buffer: zero-copy transpose, slice and expand. */
export interface LeafExpr {
  readonly kind: "leaf";
  readonly tensor: Tensor;
  readonly shape: Shape;
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
}

export interface ConstExpr {
  readonly kind: "const";
  readonly value: number;
  readonly shape: Shape;
  readonly dtype: DType;
}

/**
 * Output `output` of a scalar op applied to `args`. Outputs of one multi-output op at the same
 * arguments are computed once per element wherever they meet in a loop.
 */
export interface CallExpr {
  readonly kind: "call";
  readonly op: ScalarOp;
  readonly output: number;
  readonly args: readonly Expr[];
  readonly shape: Shape;
  readonly dtype: DType;
  /** Estimated cost per element, used to decide when recomputation is worse than a memory pass. */
  readonly cost: number;
  readonly nodes: number;
}

export function exprCost(e: Expr): number {
  return e.kind === "call" ? e.cost : 0;
}

export function exprNodes(e: Expr): number {
  return e.kind === "call" ? e.nodes : 1;
}
