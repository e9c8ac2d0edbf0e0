import type { FusedKernel, ReduceKind } from "../backend/backend.js";
import type { ScalarOp } from "../ops/define-op.js";
import { contiguousStrides, type Shape } from "../tensor/shape.js";
import type { Expr, LeafExpr } from "./expr.js";

/**
 * The one loop planner of both backends. It turns fused kernels over one iteration shape
 * (maps and reductions, several outputs) into a plan: a scalar program in SSA form (loads,
 * constants, op calls; structurally equal subexpressions and the outputs of one multi-output
 * call computed once), the arrays it reads and writes with their strides over the iteration
 * dims (broadcast dims have stride 0, reduced dims stride 0 in the output), and those dims
 * coalesced (unit dims dropped, dims contiguous in every array merged). The CPU renderer
 * (backend/cpu/codegen.ts) and the WGSL renderer (backend/webgpu/wgsl-codegen.ts) turn a plan
 * into code; neither walks expressions itself.
 *
 * Per-argument hoisting: an op may declare values derived from one argument alone and a body
 * that takes them (`HoistedBody` in ops/define-op.ts). Where that argument is a leaf read
 * broadcast (a per-gene θ in a cells × genes loop), the call is marked with the leaf
 * (`hoistFrom`): a renderer may then compute the values once per element of the leaf's own
 * array, into tables indexed like the leaf, and call the hoisted body. A renderer that does
 * not hoist (WGSL) evaluates the ordinary body; both bodies give the same outputs.
 */

/** A value in the scalar program: output `output` of node `node`. */
export interface ValueRef {
  readonly node: number;
  readonly output: number;
}

/** One SSA node of the per-element program. */
export type PlanNode =
  | { readonly kind: "load"; readonly leaf: number }
  | { readonly kind: "const"; readonly index: number }
  | {
      readonly kind: "call";
      readonly op: ScalarOp;
      readonly args: readonly ValueRef[];
      /**
       * The leaf whose per-element tables of the op's hoisted values (`op.hoisted`) this call
       * reads, or null: the call evaluates its ordinary body. See {@link hoistedLeaf}.
       */
      readonly hoistFrom: number | null;
    };

/** Iteration dims and per-array strides after coalescing. */
export interface LoopDims {
  readonly dims: readonly number[];
  /** strides[a][d]: arrays are the leaves, then the outputs. */
  readonly strides: readonly (readonly number[])[];
}

export interface LoopPlan {
  /** Iteration shape before coalescing. */
  readonly shape: Shape;
  readonly leaves: readonly LeafExpr[];
  readonly consts: readonly number[];
  readonly nodes: readonly PlanNode[];
  /** How many references each node's values get (within the program and from the roots). */
  readonly uses: readonly number[];
  /** The value each kernel writes or reduces. */
  readonly roots: readonly ValueRef[];
  readonly reduces: readonly (ReduceKind | null)[];
  /**
   * Reduced axes of the first reduction. The CPU loop mixes reductions over different axes;
   * a shader (kept / reduced split below) takes reductions over the same axes only.
   */
  readonly axes: readonly number[];
  /** All dims coalesced (the CPU loop nest), at least one dim. */
  readonly loop: LoopDims;
  /** Kept dims and reduced dims coalesced separately (one GPU thread or workgroup per kept index). */
  readonly kept: LoopDims;
  readonly reduced: LoopDims;
  /** Start offset of every array (leaves, then outputs). */
  readonly offsets: readonly number[];
  /** Per output: accumulator size (reductions) or element count (maps). */
  readonly outSizes: readonly number[];
  readonly outDtypes: readonly FusedKernel["outDtype"][];
  /** Elements in the iteration space. */
  readonly total: number;
  /** The costliest op in the program (work splitting: heavy loops are split earlier). */
  readonly maxOpCost: number;
  /** Structural key of the program and its reductions (no shapes, strides or values). */
  readonly programKey: string;
}

/** Identity of a leaf: its buffer (or tensor) and view. */
function leafIdentity(l: LeafExpr): string {
  const owner = l.tensor._buf ? `b${l.tensor._buf.id}` : `t${l.tensor.id}`;
  return `${owner}:${l.offset}:${l.shape.join(",")}:${l.strides.join(",")}`;
}

/** Remove unit dims and merge dims contiguous in every array (`strides[a][d]`); may return no dims. */
export function coalesce(dims: readonly number[], strides: readonly (readonly number[])[]): LoopDims {
  const keep: number[] = [];
  for (let i = 0; i < dims.length; i++) if (dims[i] !== 1) keep.push(i);
  let d = keep.map((i) => dims[i]!);
  let s = strides.map((st) => keep.map((i) => st[i]!));
  for (let i = d.length - 2; i >= 0; i--) {
    if (s.every((st) => st[i] === st[i + 1]! * d[i + 1]!)) {
      d = [...d.slice(0, i), d[i]! * d[i + 1]!, ...d.slice(i + 2)];
      s = s.map((st) => [...st.slice(0, i), st[i + 1]!, ...st.slice(i + 2)]);
    }
  }
  return { dims: d, strides: s };
}

/**
 * Plan one pass computing every kernel (same iteration shape; reductions over the same axes).
 * `hoist: false` marks no call for hoisting (every call evaluates its op's ordinary body).
 */
export function planLoop(kernels: readonly FusedKernel[], { hoist = true } = {}): LoopPlan {
  const shape = kernels[0]!.expr.shape;
  const rank = shape.length;
  const axes = kernels.find((k) => k.reduce)?.reduce?.axes ?? [];
  const leaves: LeafExpr[] = [];
  const leafIndex = new Map<string, number>();
  const consts: number[] = [];
  const nodes: PlanNode[] = [];
  const uses: number[] = [];
  const byKey = new Map<string, number>();
  const keys: string[] = [];
  const memo = new Map<Expr, ValueRef>();
  let maxOpCost = 0;
  const add = (node: PlanNode, key: string): number => {
    const hit = byKey.get(key);
    if (hit !== undefined) return hit;
    nodes.push(node);
    uses.push(0);
    keys.push(key);
    byKey.set(key, nodes.length - 1);
    return nodes.length - 1;
  };
  const total = shape.reduce((a, b) => a * b, 1);
  const visit = (e: Expr): ValueRef => {
    const hit = memo.get(e);
    if (hit) return hit;
    let ref: ValueRef;
    if (e.kind === "leaf") {
      const id = leafIdentity(e);
      let k = leafIndex.get(id);
      if (k === undefined) {
        k = leaves.length;
        leafIndex.set(id, k);
        leaves.push(e);
      }
      ref = { node: add({ kind: "load", leaf: k }, `L${k}`), output: 0 };
    } else if (e.kind === "const") {
      // Constants are runtime values (one per expression node), so a new value reuses the loop.
      consts.push(e.value);
      ref = { node: add({ kind: "const", index: consts.length - 1 }, `c${consts.length - 1}`), output: 0 };
    } else {
      const args = e.args.map(visit);
      maxOpCost = Math.max(maxOpCost, e.op.cost);
      const hoistFrom = hoist ? hoistedLeaf(e.op, args, nodes, leaves, total) : null;
      const key = `${e.op.name}${hoistFrom === null ? "" : "^"}(${args.map(refKey).join(",")})`;
      const node = add({ kind: "call", op: e.op, args, hoistFrom }, key);
      ref = { node, output: e.output };
    }
    memo.set(e, ref);
    return ref;
  };
  const refKey = (r: ValueRef) => `n${r.node}${r.output ? `.${r.output}` : ""}`;
  const roots = kernels.map((k) => visit(k.expr));
  // Count references per node (the outputs of a multi-output call share its count).
  for (const n of nodes) if (n.kind === "call") for (const a of n.args) uses[a.node]!++;
  for (const r of roots) uses[r.node]!++;
  const reduces = kernels.map((k) => k.reduce?.kind ?? null);
  const leafStrides = leaves.map((l) => {
    const off = rank - l.shape.length;
    return shape.map((_, i) => {
      const j = i - off;
      return j >= 0 && l.shape[j] !== 1 ? l.strides[j]! : 0;
    });
  });
  // Each reduction writes the kept dims contiguously (stride 0 over its reduced axes).
  const outSizes: number[] = [];
  const outStrides = kernels.map((k) => {
    if (k.reduce) {
      const ax = k.reduce.axes;
      const kept = shape.map((d, i) => (ax.includes(i) ? 1 : d));
      const cs = contiguousStrides(kept);
      outSizes.push(kept.reduce((a, b) => a * b, 1));
      return shape.map((_, i) => (ax.includes(i) ? 0 : cs[i]!));
    }
    outSizes.push(shape.reduce((a, b) => a * b, 1));
    return k.outView ? [...k.outView.strides] : contiguousStrides(shape);
  });
  const all = [...leafStrides, ...outStrides];
  const full = coalesce(shape, all);
  const loop: LoopDims = full.dims.length > 0 ? full : { dims: [1], strides: all.map(() => [0]) };
  const kIdx = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const rIdx = shape.map((_, i) => i).filter((i) => axes.includes(i));
  const pick = (idx: number[]) =>
    coalesce(
      idx.map((i) => shape[i]!),
      all.map((st) => idx.map((i) => st[i]!)),
    );
  const offsets = [
    ...leaves.map((l) => l.offset),
    ...kernels.map((k) => (k.reduce ? 0 : (k.outView?.offset ?? 0))),
  ];
  const programKey = `${keys.map((k, i) => `n${i}=${k}`).join(";")}|${roots.map(refKey).join(",")}|${reduces.map((r) => r ?? "map").join(",")}`;
  return {
    shape,
    leaves,
    consts,
    nodes,
    uses,
    roots,
    reduces,
    axes,
    loop,
    kept: pick(kIdx),
    reduced: pick(rIdx),
    offsets,
    outSizes,
    outDtypes: kernels.map((k) => k.outDtype),
    total,
    maxOpCost,
    programKey,
  };
}

/**
 * A broadcast argument must be re-read this many times per element of its own on average
 * before its hoisted values are tabled: a table costs a pass over the argument's array.
 */
const HOIST_MIN_REUSE = 4;

/**
 * The leaf whose values a call's hoisted body may take from tables: the op has a hoisted body,
 * its hoisted argument is loaded straight from a leaf, and the loop reads that leaf's
 * elements at least {@link HOIST_MIN_REUSE} times each (it is broadcast). Decided from shapes
 * only, which the structural key of a pass (plan-signature.ts) includes.
 */
function hoistedLeaf(
  op: ScalarOp,
  args: readonly ValueRef[],
  nodes: readonly PlanNode[],
  leaves: readonly LeafExpr[],
  total: number,
): number | null {
  if (!op.hoisted) return null;
  const arg = nodes[args[op.hoisted.arg]!.node]!;
  if (arg.kind !== "load") return null;
  // Distinct elements the leaf's view reads (an expanded view repeats with stride 0).
  const leaf = leaves[arg.leaf]!;
  const own = leaf.shape.reduce((a, d, j) => (leaf.strides[j] === 0 ? a : a * d), 1);
  return own * HOIST_MIN_REUSE <= total ? arg.leaf : null;
}

/** The ops a plan calls, each once (their code and libraries go into the rendered source). */
export function planOps(plan: LoopPlan): ScalarOp[] {
  const seen = new Map<string, ScalarOp>();
  for (const n of plan.nodes) if (n.kind === "call") seen.set(n.op.name, n.op);
  return [...seen.values()];
}
