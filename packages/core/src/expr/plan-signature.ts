import type { FusedKernel } from "../backend/backend.js";
import type { ScalarOp } from "../ops/define-op.js";
import type { DType } from "../tensor/dtype.js";
import type { Expr, LeafExpr } from "./expr.js";

/**
 * The structural signature of a fused pass, and its runtime arguments.
 *
 * {@link planLoop} (loop-plan.ts) is a pure function of a pass's structure: the op of every
 * node, which nodes are the same object, which leaves read the same view of the same buffer,
 * every leaf's view (shape, strides, offset), the iteration shape and the reductions. Only
 * two things vary between passes of equal structure: the tensors the leaves read and the
 * values of the constants. A training loop builds the same handful of passes every step, so
 * a backend can plan (and generate code for) each structure once and reuse that plan with
 * the new leaves and constants, which one walk over the expression here collects in exactly
 * the order planLoop would number them (depth first, arguments in order, each expression
 * object once, each buffer view once).
 */
export interface PlanSignature {
  /** Equal keys give plans that differ only in {@link leaves} and {@link consts}. */
  readonly key: string;
  /** Distinct leaf views, numbered as planLoop numbers them. */
  readonly leaves: readonly LeafExpr[];
  /** Constant values, numbered as planLoop numbers them. */
  readonly consts: readonly number[];
}

/** Walk `kernels` as planLoop does and return their structure and runtime arguments. */
export function planSignature(kernels: readonly FusedKernel[]): PlanSignature {
  const leaves: LeafExpr[] = [];
  const consts: number[] = [];
  // Leaves by the buffer (or pending tensor) they read: a few views per owner at most.
  const byOwner = new Map<object, number[]>();
  const memo = new Map<Expr, number>();
  let key = `${kernels[0]!.expr.shape.join(",")}|`;
  for (const k of kernels) {
    key += k.reduce ? `${k.reduce.kind}${k.reduce.axes.join(",")}` : "map";
    key += `:${k.outDtype}`;
    if (k.outView) key += `@${k.outView.offset}/${k.outView.strides.join(",")}`;
    key += ";";
  }
  let visits = 0;
  const leafNumber = (e: LeafExpr): number => {
    const owner: object = e.tensor._buf ?? e.tensor;
    let list = byOwner.get(owner);
    if (list)
      for (const i of list) {
        const l = leaves[i]!; // indices in byOwner always point into leaves
        if (l.offset === e.offset && sameNumbers(l.shape, e.shape) && sameNumbers(l.strides, e.strides))
          return i;
      }
    else {
      list = [];
      byOwner.set(owner, list);
    }
    list.push(leaves.length);
    leaves.push(e);
    key += `L${DTYPE_TOKEN[e.dtype]}${e.offset}[${shapeText(e.shape)}]${stridesText(e.shape, e.strides)}`;
    return leaves.length - 1;
  };
  // Leaves are numbered by view, not by object, so only constants and calls are memoized
  // (an expression object met twice is one node in planLoop's program too).
  const visit = (e: Expr): void => {
    if (e.kind === "leaf") {
      // Number first: leafNumber appends the view of a new leaf to `key`.
      const n = leafNumber(e);
      key += `l${n}`;
      return;
    }
    const hit = memo.get(e);
    if (hit !== undefined) {
      key += `#${hit}`;
      return;
    }
    if (e.kind === "const") {
      consts.push(e.value);
      key += "c";
    } else {
      key += `(`;
      for (const a of e.args) visit(a);
      key += `)${opNumber(e.op)}.${e.output}`;
    }
    memo.set(e, visits++);
  };
  for (const k of kernels) {
    visit(k.expr);
    key += "|";
  }
  return { key, leaves, consts };
}

/**
 * A number per scalar op object: shorter keys than names, and two op objects that happen to
 * share a name never share a plan.
 */
const opNumbers = new WeakMap<ScalarOp, number>();
let nextOpNumber = 0;

function opNumber(op: ScalarOp): number {
  let n = opNumbers.get(op);
  if (n === undefined) {
    n = nextOpNumber++;
    opNumbers.set(op, n);
  }
  return n;
}

/** One letter per dtype: keys are hashed on every lookup, so shorter is cheaper. */
const DTYPE_TOKEN: Readonly<Record<DType, string>> = { float32: "f", float64: "d", int32: "i", bool: "b" };

/** Shapes are shared arrays (a tensor's `shape`), so their text is kept per array. */
const shapeTexts = new WeakMap<readonly number[], string>();

function shapeText(shape: readonly number[]): string {
  let t = shapeTexts.get(shape);
  if (t === undefined) {
    t = shape.join(",");
    shapeTexts.set(shape, t);
  }
  return t;
}

/** "c" for contiguous strides (the common leaf), else the strides themselves. */
function stridesText(shape: readonly number[], strides: readonly number[]): string {
  let expected = 1;
  let contiguous = true;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (strides[i] !== expected) {
      contiguous = false;
      break;
    }
    expected *= shape[i]!; // i < shape.length
  }
  return contiguous ? "c" : `[${strides.join(",")}]`;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
