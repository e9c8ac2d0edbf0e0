import type { OutView, ReduceKind } from "../backend.js";
import type { Expr, LeafExpr } from "../../expr/expr.js";
import { SCALAR_OPS } from "../../expr/scalar-ops.js";
import { contiguousStrides, type Shape } from "../../tensor/shape.js";

/**
 * Turns a lazy expression (plus an optional reduction) into one generated JS loop nest.
 * Compiled functions are cached by the structure of the expression, so the constants,
 * leaf buffers, shapes and strides are runtime arguments and a training loop compiles
 * each kernel once.
 */

export type CompiledLoop = (
  out: ArrayLike<number> & { [i: number]: number },
  inputs: readonly ArrayLike<number>[],
  consts: readonly number[],
  dims: readonly number[],
  strides: readonly number[],
  offsets: readonly number[],
  start: number,
  end: number,
) => void;

/** A kernel ready to run: the compiled loop plus the runtime arguments for one call. */
export interface PreparedLoop {
  readonly key: string;
  readonly source: string;
  readonly leaves: readonly LeafExpr[];
  readonly consts: readonly number[];
  readonly dims: readonly number[];
  readonly strides: readonly number[];
  readonly offsets: readonly number[];
  /** Size of the accumulator (reductions) or output (maps). */
  readonly outSize: number;
  readonly reduce: ReduceKind | null;
}

const COMBINE: Record<ReduceKind, (a: string, v: string) => string> = {
  sum: (a, v) => `${a}+${v}`,
  prod: (a, v) => `${a}*${v}`,
  max: (a, v) => `((${v}>${a}||${v}!==${v})?${v}:${a})`,
  min: (a, v) => `((${v}<${a}||${v}!==${v})?${v}:${a})`,
};

export const REDUCE_INIT: Record<ReduceKind, number> = { sum: 0, prod: 1, max: -Infinity, min: Infinity };

interface Walk {
  leaves: LeafExpr[];
  leafKeys: Map<string, number>;
  consts: number[];
  refCount: Map<Expr, number>;
}

function leafIdentity(l: LeafExpr): string {
  return `${l.tensor.id}:${l.offset}:${l.shape.join(",")}:${l.strides.join(",")}`;
}

function countRefs(e: Expr, w: Walk): void {
  const n = w.refCount.get(e) ?? 0;
  w.refCount.set(e, n + 1);
  if (n > 0) return;
  if (e.kind === "leaf") {
    const id = leafIdentity(e);
    if (!w.leafKeys.has(id)) {
      w.leafKeys.set(id, w.leaves.length);
      w.leaves.push(e);
    }
  } else if (e.kind === "const") {
    w.consts.push(e.value);
  } else for (const a of e.args) countRefs(a, w);
}

/**
 * Emit the scalar code for an expression. Nodes used more than once become temporaries, so a
 * backward pass that reuses a subexpression computes it once per element.
 */
function emit(e: Expr, w: Walk): { code: string; temps: string[]; key: string } {
  const temps: string[] = [];
  const names = new Map<Expr, string>();
  const keys = new Map<Expr, string>();
  let constIdx = 0;
  const constIndexOf = new Map<Expr, number>();
  const rec = (x: Expr): [string, string] => {
    const named = names.get(x);
    if (named) return [named, keys.get(x)!];
    let code: string;
    let key: string;
    if (x.kind === "leaf") {
      const k = w.leafKeys.get(leafIdentity(x))!;
      code = `L${k}[p${k}]`;
      key = `L${k}`;
    } else if (x.kind === "const") {
      let k = constIndexOf.get(x);
      if (k === undefined) {
        k = constIdx++;
        constIndexOf.set(x, k);
      }
      code = `c${k}`;
      key = `c${k}`;
    } else {
      const parts = x.args.map(rec);
      code = (SCALAR_OPS[x.op].js as (...a: string[]) => string)(...parts.map((p) => p[0]));
      key = `${x.op}(${parts.map((p) => p[1]).join(",")})`;
    }
    if (x.kind === "call" && (w.refCount.get(x) ?? 0) > 1) {
      const t = `t${temps.length}`;
      temps.push(`const ${t}=${code};`);
      names.set(x, t);
      keys.set(x, `${t}=${key}`);
      return [t, `${t}`];
    }
    names.set(x, code);
    keys.set(x, key);
    return [code, key];
  };
  const [code, key] = rec(e);
  return { code, temps, key: `${temps.length}|${key}` };
}

/** Remove unit dims and merge dims that are contiguous in every array. */
function coalesce(dims: number[], strides: number[][]): { dims: number[]; strides: number[][] } {
  const keep: number[] = [];
  for (let i = 0; i < dims.length; i++) if (dims[i] !== 1) keep.push(i);
  let d = keep.map((i) => dims[i]!);
  let s = strides.map((st) => keep.map((i) => st[i]!));
  if (d.length === 0) return { dims: [1], strides: strides.map(() => [0]) };
  for (let i = d.length - 2; i >= 0; i--) {
    const canMerge = s.every((st) => st[i] === st[i + 1]! * d[i + 1]!);
    if (canMerge) {
      d = [...d.slice(0, i), d[i]! * d[i + 1]!, ...d.slice(i + 2)];
      s = s.map((st) => [...st.slice(0, i), st[i + 1]!, ...st.slice(i + 2)]);
    }
  }
  return { dims: d, strides: s };
}

const cache = new Map<string, { fn: CompiledLoop; source: string }>();

/** Number of distinct loops compiled so far (tests check fusion caching with it). */
export function compiledLoopCount(): number {
  return cache.size;
}

function strideClass(s: number): string {
  return s === 0 ? "0" : s === 1 ? "1" : "s";
}

/** Build (or fetch from cache) the loop for `expr` and the runtime arguments to call it with. */
export function prepareLoop(
  expr: Expr,
  reduce: { kind: ReduceKind; axes: readonly number[] } | null,
  lib: unknown,
  outView?: OutView,
): { loop: CompiledLoop; prepared: PreparedLoop } {
  const shape: Shape = expr.shape;
  const rank = shape.length;
  const w: Walk = { leaves: [], leafKeys: new Map(), consts: [], refCount: new Map() };
  countRefs(expr, w);
  const { code, temps, key: exprKey } = emit(expr, w);

  // Strides of every leaf over the iteration shape, then of the output (or accumulator).
  const leafStrides = w.leaves.map((l) => {
    const off = rank - l.shape.length;
    return shape.map((_, i) => {
      const j = i - off;
      return j >= 0 && l.shape[j] !== 1 ? l.strides[j]! : 0;
    });
  });
  let outStrides: number[];
  let outSize = 1;
  if (reduce) {
    const kept = shape.map((d, i) => (reduce.axes.includes(i) ? 1 : d));
    const cs = contiguousStrides(kept);
    outStrides = shape.map((_, i) => (reduce.axes.includes(i) ? 0 : cs[i]!));
    for (const d of kept) outSize *= d;
  } else {
    outStrides = outView ? [...outView.strides] : contiguousStrides(shape);
    for (const d of shape) outSize *= d;
  }
  const { dims, strides } = coalesce([...shape], [...leafStrides, outStrides]);
  const R = dims.length;
  const nArr = strides.length;
  const outArr = nArr - 1;
  const innerReduced = reduce !== null && strides[outArr]![R - 1] === 0;

  const key = [
    exprKey,
    `R${R}`,
    reduce ? reduce.kind : "map",
    strides.map((st) => strideClass(st[R - 1]!)).join(""),
    innerReduced ? "ir" : "",
  ].join("|");

  let entry = cache.get(key);
  if (!entry) {
    const source = generate(R, nArr, w.leaves.length, w.consts.length, strides, code, temps, reduce?.kind ?? null, innerReduced);
    const fn = new Function("L", source)(lib) as CompiledLoop;
    entry = { fn, source };
    cache.set(key, entry);
  }
  const flatStrides: number[] = [];
  for (const st of strides) flatStrides.push(...st);
  const offsets = [...w.leaves.map((l) => l.offset), outView?.offset ?? 0];
  return {
    loop: entry.fn,
    prepared: {
      key,
      source: entry.source,
      leaves: w.leaves,
      consts: w.consts,
      dims,
      strides: flatStrides,
      offsets,
      outSize,
      reduce: reduce?.kind ?? null,
    },
  };
}

function generate(
  R: number,
  nArr: number,
  nLeaves: number,
  nConsts: number,
  strides: number[][],
  code: string,
  temps: string[],
  reduce: ReduceKind | null,
  innerReduced: boolean,
): string {
  const lines: string[] = [];
  lines.push("return function fusedLoop(out, I, C, D, S, O, start, end) {");
  for (let k = 0; k < nLeaves; k++) lines.push(`const L${k} = I[${k}];`);
  for (let k = 0; k < nConsts; k++) lines.push(`const c${k} = C[${k}];`);
  for (let d = 0; d < R; d++) lines.push(`const d${d} = D[${d}];`);
  for (let a = 0; a < nArr; a++)
    for (let d = 0; d < R; d++) lines.push(`const s${a}_${d} = S[${a * R + d}];`);
  const outArr = nArr - 1;
  const ptr = (a: number) => (a === outArr ? "po" : `p${a}`);
  // level-0 pointers depend on i0 (the range split across threads)
  for (let a = 0; a < nArr; a++) lines.push(`let ${ptr(a)}_0 = O[${a}] + start * s${a}_0;`);
  for (let d = 0; d < R; d++) {
    const iv = `i${d}`;
    const lo = d === 0 ? "start" : "0";
    const hi = d === 0 ? "end" : `d${d}`;
    if (d > 0) for (let a = 0; a < nArr; a++) lines.push(`let ${ptr(a)}_${d} = ${ptr(a)}_${d - 1};`);
    if (d === R - 1 && innerReduced) lines.push(`let acc = out[po_${d}];`);
    lines.push(`for (let ${iv} = ${lo}; ${iv} < ${hi}; ${iv}++) {`);
    if (d === R - 1) {
      for (let a = 0; a < nArr - 1; a++) lines.push(`const p${a} = p${a}_${d};`);
      lines.push(...temps);
      if (!reduce) lines.push(`out[po_${d}] = ${code};`);
      else if (innerReduced) lines.push(`const v = ${code}; acc = ${COMBINE[reduce]("acc", "v")};`);
      else lines.push(`const v = ${code}; const a = out[po_${d}]; out[po_${d}] = ${COMBINE[reduce]("a", "v")};`);
    }
  }
  for (let d = R - 1; d >= 0; d--) {
    for (let a = 0; a < nArr; a++) {
      // Inner strides are part of the cache key, so a zero one can be dropped; outer ones vary per call.
      const s = strides[a]![d]!;
      if (d < R - 1) lines.push(`${ptr(a)}_${d} += s${a}_${d};`);
      else if (s === 1) lines.push(`${ptr(a)}_${d}++;`);
      else if (s !== 0) lines.push(`${ptr(a)}_${d} += s${a}_${d};`);
    }
    lines.push("}");
    if (d === R - 1 && innerReduced) lines.push(`out[po_${d}] = acc;`);
  }
  lines.push("};");
  return lines.join("\n");
}
