import type { Expr, LeafExpr } from "../../expr/expr.js";
import { SCALAR_GROUPS } from "../../expr/scalar-groups.js";
import { SCALAR_OPS, type ScalarOpDef } from "../../expr/scalar-ops.js";
import { contiguousStrides } from "../../tensor/shape.js";
import type { FusedKernel, ReduceKind } from "../backend.js";

/**
 * Turns one or more lazy expressions over the same iteration shape (each either written out
 * or reduced) into a single generated JS loop nest. Several reductions of a backward pass
 * thus share one pass over memory and their common subexpressions. Compiled functions are
 * cached by structure: constants, buffers, shapes and strides are runtime arguments, so a
 * training loop compiles each kernel once.
 */

export type Writable = ArrayLike<number> & { [i: number]: number };

export type CompiledLoop = (
  outs: readonly Writable[],
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
  /** Per output: accumulator size (reductions) or element count (maps). */
  readonly outSizes: readonly number[];
  readonly reduces: readonly (ReduceKind | null)[];
  /** The costliest scalar op in the loop body (see ScalarOpDef.cost): heavy loops split earlier. */
  readonly maxOpCost: number;
}

const COMBINE: Record<ReduceKind, (a: string, v: string) => string> = {
  sum: (a, v) => `${a}+${v}`,
  prod: (a, v) => `${a}*${v}`,
  max: (a, v) => `((${v}>${a}||${v}!==${v})?${v}:${a})`,
  min: (a, v) => `((${v}<${a}||${v}!==${v})?${v}:${a})`,
};

export const REDUCE_INIT: Record<ReduceKind, number> = { sum: 0, prod: 1, max: -Infinity, min: Infinity };

function leafIdentity(l: LeafExpr): string {
  return `${l.tensor.id}:${l.offset}:${l.shape.join(",")}:${l.strides.join(",")}`;
}

interface Walk {
  leaves: LeafExpr[];
  leafIndex: Map<string, number>;
  consts: number[];
  constIndex: Map<Expr, number>;
  refCount: Map<Expr, number>;
}

function countRefs(e: Expr, w: Walk): void {
  const n = w.refCount.get(e) ?? 0;
  w.refCount.set(e, n + 1);
  if (n > 0) return;
  if (e.kind === "leaf") {
    const id = leafIdentity(e);
    if (!w.leafIndex.has(id)) {
      w.leafIndex.set(id, w.leaves.length);
      w.leaves.push(e);
    }
  } else if (e.kind === "const") {
    w.constIndex.set(e, w.consts.length);
    w.consts.push(e.value);
  } else for (const a of e.args) countRefs(a, w);
}

/**
 * Emit scalar code for several roots. Nodes referenced more than once (within or across
 * roots) become temporaries computed once per element.
 */
function emitAll(roots: readonly Expr[], w: Walk): { codes: string[]; temps: string[]; key: string } {
  const temps: string[] = [];
  const tempKeys: string[] = [];
  const memo = new Map<Expr, [string, string]>();
  const groups = new Map<string, string[]>();
  const rec = (x: Expr): [string, string] => {
    const hit = memo.get(x);
    if (hit) return hit;
    let code: string;
    let key: string;
    if (x.kind === "leaf") {
      const k = w.leafIndex.get(leafIdentity(x))!;
      code = `L${k}[p${k}]`;
      key = `L${k}`;
    } else if (x.kind === "const") {
      code = `c${w.constIndex.get(x)!}`;
      key = code;
    } else {
      const parts = x.args.map(rec);
      const def: ScalarOpDef = SCALAR_OPS[x.op];
      key = `${x.op}(${parts.map((p) => p[1]).join(",")})`;
      if (def.group) {
        // Siblings at the same arguments share one emission of the group's code.
        const gkey = `${def.group.name}(${parts.map((p) => p[1]).join(",")})`;
        let outs = groups.get(gkey);
        if (!outs) {
          const g = SCALAR_GROUPS[def.group.name];
          const uid = `_g${groups.size}`;
          outs = Array.from({ length: g.outputs }, (_, i) => `${uid}o${i}`);
          temps.push(
            g.js(
              parts.map((p) => p[0]),
              outs,
              uid,
            ),
          );
          tempKeys.push(gkey);
          groups.set(gkey, outs);
        }
        code = outs[def.group.output]!;
      } else code = (def.js as (...a: string[]) => string)(...parts.map((p) => p[0]));
      if (!def.group && (w.refCount.get(x) ?? 0) > 1) {
        const t = `t${temps.length}`;
        temps.push(`const ${t}=${code};`);
        tempKeys.push(key);
        code = t;
        key = t;
      }
    }
    const r: [string, string] = [code, key];
    memo.set(x, r);
    return r;
  };
  const res = roots.map(rec);
  return {
    codes: res.map((r) => r[0]),
    temps,
    key: `${tempKeys.join(";")}|${res.map((r) => r[1]).join(";")}`,
  };
}

/** Remove unit dims and merge dims that are contiguous in every array. */
function coalesce(dims: number[], strides: number[][]): { dims: number[]; strides: number[][] } {
  const keep: number[] = [];
  for (let i = 0; i < dims.length; i++) if (dims[i] !== 1) keep.push(i);
  let d = keep.map((i) => dims[i]!);
  let s = strides.map((st) => keep.map((i) => st[i]!));
  if (d.length === 0) return { dims: [1], strides: strides.map(() => [0]) };
  for (let i = d.length - 2; i >= 0; i--) {
    if (s.every((st) => st[i] === st[i + 1]! * d[i + 1]!)) {
      d = [...d.slice(0, i), d[i]! * d[i + 1]!, ...d.slice(i + 2)];
      s = s.map((st) => [...st.slice(0, i), st[i + 1]!, ...st.slice(i + 2)]);
    }
  }
  return { dims: d, strides: s };
}

const cache = new Map<string, { fn: CompiledLoop; source: string }>();

/** Number of distinct loops compiled so far (tests check that kernels are reused). */
export function compiledLoopCount(): number {
  return cache.size;
}

function strideClass(s: number): string {
  return s === 0 ? "0" : s === 1 ? "1" : "s";
}

/** Build (or fetch from cache) one loop computing every kernel; all share one iteration shape. */
export function prepareLoop(
  kernels: readonly FusedKernel[],
  lib: unknown,
): { loop: CompiledLoop; prepared: PreparedLoop } {
  const shape = kernels[0]!.expr.shape;
  const rank = shape.length;
  const w: Walk = {
    leaves: [],
    leafIndex: new Map(),
    consts: [],
    constIndex: new Map(),
    refCount: new Map(),
  };
  for (const k of kernels) countRefs(k.expr, w);
  const {
    codes,
    temps,
    key: exprKey,
  } = emitAll(
    kernels.map((k) => k.expr),
    w,
  );
  const leafStrides = w.leaves.map((l) => {
    const off = rank - l.shape.length;
    return shape.map((_, i) => {
      const j = i - off;
      return j >= 0 && l.shape[j] !== 1 ? l.strides[j]! : 0;
    });
  });
  const outSizes: number[] = [];
  const outStrides = kernels.map((k) => {
    if (k.reduce) {
      const axes = k.reduce.axes;
      const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const cs = contiguousStrides(kept);
      outSizes.push(kept.reduce((a, b) => a * b, 1));
      return shape.map((_, i) => (axes.includes(i) ? 0 : cs[i]!));
    }
    outSizes.push(shape.reduce((a, b) => a * b, 1));
    return k.outView ? [...k.outView.strides] : contiguousStrides(shape);
  });
  const { dims, strides } = coalesce([...shape], [...leafStrides, ...outStrides]);
  const R = dims.length;
  const nLeaves = w.leaves.length;
  const reduces = kernels.map((k) => k.reduce?.kind ?? null);
  const innerReduced = kernels.map((k, j) => k.reduce !== undefined && strides[nLeaves + j]![R - 1] === 0);
  const key = [
    exprKey,
    `R${R}`,
    reduces.map((r, j) => `${r ?? "map"}${innerReduced[j] ? "*" : ""}`).join(","),
    strides.map((st) => strideClass(st[R - 1]!)).join(""),
  ].join("|");
  let entry = cache.get(key);
  if (!entry) {
    const source = generate(R, nLeaves, w.consts.length, strides, codes, temps, reduces, innerReduced);
    entry = { fn: new Function("L", source)(lib) as CompiledLoop, source };
    cache.set(key, entry);
  }
  const flatStrides: number[] = [];
  for (const st of strides) flatStrides.push(...st);
  const offsets = [
    ...w.leaves.map((l) => l.offset),
    ...kernels.map((k) => (k.reduce ? 0 : (k.outView?.offset ?? 0))),
  ];
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
      outSizes,
      reduces,
      maxOpCost: maxOpCost(kernels.map((k) => k.expr)),
    },
  };
}

function maxOpCost(roots: readonly Expr[]): number {
  let worst = 0;
  const seen = new Set<Expr>();
  const visit = (e: Expr) => {
    if (e.kind !== "call" || seen.has(e)) return;
    seen.add(e);
    worst = Math.max(worst, (SCALAR_OPS[e.op] as ScalarOpDef).cost);
    for (const a of e.args) visit(a);
  };
  for (const r of roots) visit(r);
  return worst;
}

function generate(
  R: number,
  nLeaves: number,
  nConsts: number,
  strides: number[][],
  codes: string[],
  temps: string[],
  reduces: (ReduceKind | null)[],
  innerReduced: boolean[],
): string {
  const nArr = strides.length;
  const nOut = codes.length;
  const ptr = (a: number) => (a < nLeaves ? `p${a}` : `q${a - nLeaves}`);
  const lines: string[] = ["return function fusedLoop(OUT, I, C, D, S, O, start, end) {"];
  for (let k = 0; k < nLeaves; k++) lines.push(`const L${k} = I[${k}];`);
  for (let j = 0; j < nOut; j++) lines.push(`const Y${j} = OUT[${j}];`);
  for (let k = 0; k < nConsts; k++) lines.push(`const c${k} = C[${k}];`);
  for (let d = 0; d < R; d++) lines.push(`const d${d} = D[${d}];`);
  for (let a = 0; a < nArr; a++)
    for (let d = 0; d < R; d++) lines.push(`const s${a}_${d} = S[${a * R + d}];`);
  for (let a = 0; a < nArr; a++) lines.push(`let ${ptr(a)}_0 = O[${a}] + start * s${a}_0;`);
  for (let d = 0; d < R; d++) {
    if (d > 0) for (let a = 0; a < nArr; a++) lines.push(`let ${ptr(a)}_${d} = ${ptr(a)}_${d - 1};`);
    if (d === R - 1)
      for (let j = 0; j < nOut; j++) if (innerReduced[j]) lines.push(`let acc${j} = Y${j}[q${j}_${d}];`);
    lines.push(
      `for (let i${d} = ${d === 0 ? "start" : "0"}; i${d} < ${d === 0 ? "end" : `d${d}`}; i${d}++) {`,
    );
    if (d === R - 1) {
      for (let a = 0; a < nLeaves; a++) lines.push(`const p${a} = p${a}_${d};`);
      lines.push(...temps);
      for (let j = 0; j < nOut; j++) {
        const r = reduces[j];
        const q = `q${j}_${d}`;
        if (!r) lines.push(`Y${j}[${q}] = ${codes[j]};`);
        else if (innerReduced[j])
          lines.push(`{ const v = ${codes[j]}; acc${j} = ${COMBINE[r](`acc${j}`, "v")}; }`);
        else
          lines.push(
            `{ const v = ${codes[j]}; const a = Y${j}[${q}]; Y${j}[${q}] = ${COMBINE[r]("a", "v")}; }`,
          );
      }
    }
  }
  for (let d = R - 1; d >= 0; d--) {
    for (let a = 0; a < nArr; a++) {
      // Inner strides are part of the cache key, so zero and unit ones are specialized.
      const s = strides[a]![d]!;
      if (d < R - 1) lines.push(`${ptr(a)}_${d} += s${a}_${d};`);
      else if (s === 1) lines.push(`${ptr(a)}_${d}++;`);
      else if (s !== 0) lines.push(`${ptr(a)}_${d} += s${a}_${d};`);
    }
    lines.push("}");
    if (d === R - 1)
      for (let j = 0; j < nOut; j++) if (innerReduced[j]) lines.push(`Y${j}[q${j}_${d}] = acc${j};`);
  }
  lines.push("};");
  // Hoist library functions into closure constants: a call through a constant is cheaper
  // than a property lookup on the library object at every element.
  const body = lines.join("\n");
  const used = [...new Set([...body.matchAll(/L\.(\w+)/g)].map((m) => m[1]!))];
  const hoisted = used.map((f) => `const L_${f} = L.${f};`).join("\n");
  return `${hoisted}\n${body.replace(/L\.(\w+)/g, "L_$1")}`;
}

/** The generated source of every compiled loop, by cache key (for inspecting fusion). */
export function compiledLoopSources(): Map<string, string> {
  return new Map([...cache].map(([k, v]) => [k, v.source]));
}
