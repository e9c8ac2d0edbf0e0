import type { LeafExpr } from "../../expr/expr.js";
import { type LoopPlan, planLoop, planOps, type ValueRef } from "../../expr/loop-plan.js";
import type { DType } from "../../tensor/dtype.js";
import type { BackendBuffer, FusedKernel, ReduceKind } from "../backend.js";
import type { BindingKind } from "./pipeline-cache.js";
import { libraryFor } from "./wgsl-lib/registry.js";

/**
 * Turns fused kernels over one iteration shape (all maps, or all reductions over the same
 * axes) into one WGSL compute shader with several outputs. Shapes, strides, offsets and
 * constants are runtime values in a uniform header, so the source (the pipeline-cache key)
 * depends only on the kernel's structure. Reductions accumulate per thread with Kahan
 * summation and combine across a workgroup by a pairwise tree.
 */

/** Threads per workgroup of every generated shader. */
export const WG = 128;
/** Reductions over more elements than this use one workgroup per output (tree), else one thread. */
export const TREE_MIN = 64;
/** Workgroups a split reduction aims for: enough to fill a large GPU (132 SMs × 16 resident). */
const SPLIT_TARGET_WORKGROUPS = 2048;
/** Elements each workgroup of a split reduction reduces at least (16 per thread). */
const SPLIT_MIN_CHUNK = 16 * 128;

/**
 * How many slices to cut each output's reduced range into: 1 (one workgroup per output) unless
 * there are too few outputs to occupy the GPU and enough elements per output to share, as for a
 * full sum (one output, one workgroup looping over millions of elements otherwise).
 */
export function reductionSplit(kernels: readonly FusedKernel[]): number {
  const k0 = kernels[0]!;
  if (!k0.reduce) return 1;
  const shape = k0.expr.shape;
  let nOuter = 1;
  let nInner = 1;
  shape.forEach((d, i) => {
    if (k0.reduce!.axes.includes(i)) nInner *= d;
    else nOuter *= d;
  });
  if (nInner <= TREE_MIN || nOuter * 2 >= SPLIT_TARGET_WORKGROUPS) return 1;
  return Math.max(
    1,
    Math.min(Math.floor(nInner / SPLIT_MIN_CHUNK), Math.ceil(SPLIT_TARGET_WORKGROUPS / nOuter)),
  );
}

/** A shader ready to dispatch: source, bindings, uniform words and the number of workgroups. */
export interface ShaderPlan {
  readonly source: string;
  readonly kinds: readonly BindingKind[];
  readonly inputs: readonly BackendBuffer[];
  readonly meta: Uint32Array;
  readonly workgroups: number;
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** The float32 bit pattern of `x`. */
export function f32Bits(x: number): number {
  F32[0] = x;
  return U32[0]!;
}

/** The WGSL element type a buffer of `dtype` is bound as. */
export function wgslType(dtype: DType): string {
  return dtype === "int32" ? "i32" : dtype === "bool" ? "u32" : "f32";
}

/** WGSL for storing the f32 value `v` into an array of `dtype`. */
export function storeAs(dtype: DType, v: string): string {
  return dtype === "int32" ? `i32(${v})` : dtype === "bool" ? `select(0u, 1u, ${v} != 0.0)` : v;
}

/** Collects uniform words: header (n outer, n inner, +inf, NaN) then whatever the plan adds. */
export class MetaWords {
  readonly words: number[] = [0, 0, 0x7f800000, 0x7fc00000];
  push(x: number): number {
    this.words.push(x >>> 0);
    return this.words.length - 1;
  }
  pushI(x: number): number {
    return this.push(x | 0);
  }
  /** The uniform declaration and accessors (`mw`, `mi`, `mf`) for these words. */
  decl(): string {
    const nv = Math.max(1, Math.ceil(this.words.length / 4));
    return `struct Meta { m: array<vec4<u32>, ${nv}> };
@group(0) @binding(0) var<uniform> M: Meta;
fn mw(i: u32) -> u32 { return M.m[i >> 2u][i & 3u]; }
fn mi(i: u32) -> i32 { return bitcast<i32>(mw(i)); }
fn mf(i: u32) -> f32 { return bitcast<f32>(mw(i)); }`;
  }
  array(): Uint32Array {
    const n = Math.max(4, Math.ceil(this.words.length / 4) * 4);
    const a = new Uint32Array(n);
    a.set(this.words);
    return a;
  }
}

function leafBuf(l: LeafExpr): BackendBuffer {
  const b = l.tensor._buf;
  if (!b) throw new Error("internal: fused kernel leaf is not realized");
  return b;
}

const INIT: Record<ReduceKind, string> = { sum: "0.0", prod: "1.0", max: "-sp_inf()", min: "sp_inf()" };
const COMBINE: Record<ReduceKind, (a: string, v: string) => string> = {
  sum: (a, v) => `(${a} + ${v})`,
  prod: (a, v) => `(${a} * ${v})`,
  max: (a, v) => `select(${a}, ${v}, ${v} > ${a} || sp_isnan(${v}))`,
  min: (a, v) => `select(${a}, ${v}, ${v} < ${a} || sp_isnan(${v}))`,
};

/** Per-element statements of a plan's program: SSA `let`s, a multi-output call one vector. */
function renderElement(
  plan: LoopPlan,
  constWord: (index: number) => number,
): { stmts: string[]; roots: string[] } {
  const stmts: string[] = [];
  const code: string[][] = [];
  const val = (r: ValueRef) => code[r.node]![r.output]!;
  plan.nodes.forEach((n, i) => {
    if (n.kind === "load") code.push([`v${n.leaf}`]);
    else if (n.kind === "const") code.push([`mf(${constWord(n.index)}u)`]);
    else {
      stmts.push(`let t${i} = ${n.op.wgslCall(n.args.map(val))};`);
      code.push(
        n.op.outputs > 1 ? Array.from({ length: n.op.outputs }, (_, j) => `t${i}.${"xyzw"[j]}`) : [`t${i}`],
      );
    }
  });
  return { stmts, roots: plan.roots.map(val) };
}

/**
 * Plan one shader for `kernels` (same iteration shape; all maps, or all reductions over the
 * same axes) whose output j is kernel j's (the caller binds the buffers); the loop structure
 * comes from planLoop.
 */
export function planFused(
  kernels: readonly FusedKernel[],
  maxWorkgroupsPerDim: number,
  split = 1,
): ShaderPlan {
  const plan = planLoop(kernels);
  const { leaves, reduces } = plan;
  const meta = new MetaWords();
  const K = plan.kept;
  const R = plan.reduced;
  const nOuter = K.dims.reduce((a, b) => a * b, 1);
  const nInner = R.dims.reduce((a, b) => a * b, 1);
  meta.words[0] = nOuter;
  meta.words[1] = nInner;
  const dimK = K.dims.map((d) => meta.push(d));
  const dimR = R.dims.map((d) => meta.push(d));
  const nArr = K.strides.length;
  const offIdx = plan.offsets.map((o) => meta.pushI(o));
  const sK = Array.from({ length: nArr }, (_, a) => K.strides[a]!.map((s) => meta.pushI(s)));
  const sR = Array.from({ length: nArr }, (_, a) => R.strides[a]!.map((s) => meta.pushI(s)));
  const constWords = plan.consts.map((c) => meta.push(f32Bits(c)));
  const { stmts, roots: codes } = renderElement(plan, (i) => constWords[i]!);
  const nL = leaves.length;
  const isReduce = reduces[0] !== null;
  const tree = isReduce && nInner > TREE_MIN;
  // Split reductions (see reductionSplit): workgroup w reduces slice w % S of output w / S into
  // partial w; a second plan combines each output's S partials.
  const sliced = tree && split > 1;
  const wS = sliced ? meta.push(split) : 0;
  const wChunk = sliced ? meta.push(Math.ceil(nInner / split)) : 0;
  const decompose = (
    v: string,
    dims: number[],
    strides: number[][],
    base: (a: number) => string,
    out: string,
  ) => {
    const lines = [`var rem${out} = ${v};`];
    for (let a = 0; a < nArr; a++) lines.push(`var ${out}${a}: i32 = ${base(a)};`);
    for (let d = dims.length - 1; d >= 0; d--) {
      lines.push(`{ let c = i32(rem${out} % mw(${dims[d]}u)); rem${out} = rem${out} / mw(${dims[d]}u);`);
      for (let a = 0; a < nArr; a++) lines.push(`  ${out}${a} += c * mi(${strides[a]![d]}u);`);
      lines.push("}");
    }
    return lines;
  };
  const loads = leaves.map((_, k) => `let v${k} = f32(L${k}[u32(p${k})]);`);
  const body: string[] = [];
  if (!isReduce) {
    body.push("let o = (wid.y * nwg.x + wid.x) * WG + lid.x;", "if (o >= mw(0u)) { return; }");
    body.push(...decompose("o", dimK, sK, (a) => `mi(${offIdx[a]}u)`, "p"));
    body.push(...loads, ...stmts);
    kernels.forEach((k, j) => void body.push(`Y${j}[u32(p${nL + j})] = ${storeAs(k.outDtype, codes[j]!)};`));
  } else {
    if (sliced)
      body.push(
        "let w = wid.y * nwg.x + wid.x;",
        `let o = w / mw(${wS}u);`,
        `let slice = w % mw(${wS}u);`,
        "if (o >= mw(0u)) { return; }",
        `let r0 = slice * mw(${wChunk}u);`,
        `let r1 = min(r0 + mw(${wChunk}u), mw(1u));`,
      );
    else
      body.push(
        tree ? "let o = wid.y * nwg.x + wid.x;" : "let o = (wid.y * nwg.x + wid.x) * WG + lid.x;",
        "if (o >= mw(0u)) { return; }",
      );
    body.push(...decompose("o", dimK, sK, (a) => `mi(${offIdx[a]}u)`, "b"));
    kernels.forEach(
      (_, j) => void body.push(`var acc${j}: f32 = ${INIT[reduces[j]!]}; var cmp${j}: f32 = 0.0;`),
    );
    body.push(
      sliced
        ? "for (var r = r0 + lid.x; r < r1; r += WG) {"
        : tree
          ? "for (var r = lid.x; r < mw(1u); r += WG) {"
          : "for (var r = 0u; r < mw(1u); r++) {",
    );
    body.push(...decompose("r", dimR, sR, (a) => `b${a}`, "p"), ...loads, ...stmts);
    kernels.forEach((_, j) => {
      const r = reduces[j]!;
      if (r === "sum")
        body.push(
          `{ let yk = ${codes[j]} - cmp${j}; let tk = acc${j} + yk; cmp${j} = select(0.0, (tk - acc${j}) - yk, sp_isfinite(tk)); acc${j} = tk; }`,
        );
      else body.push(`acc${j} = ${COMBINE[r](`acc${j}`, codes[j]!)};`);
    });
    body.push("}");
    kernels.forEach((_, j) => {
      if (reduces[j] === "sum") body.push(`acc${j} = acc${j} - cmp${j};`);
    });
    if (tree) {
      kernels.forEach((_, j) => void body.push(`S${j}[lid.x] = acc${j};`));
      body.push("workgroupBarrier();", "for (var s = WG / 2u; s > 0u; s >>= 1u) {", "if (lid.x < s) {");
      kernels.forEach(
        (_, j) =>
          void body.push(`S${j}[lid.x] = ${COMBINE[reduces[j]!](`S${j}[lid.x]`, `S${j}[lid.x + s]`)};`),
      );
      body.push("}", "workgroupBarrier();", "}", "if (lid.x == 0u) {");
      if (sliced) kernels.forEach((_, j) => void body.push(`Y${j}[o * mw(${wS}u) + slice] = S${j}[0];`));
      else
        kernels.forEach(
          (k, j) => void body.push(`Y${j}[u32(b${nL + j})] = ${storeAs(k.outDtype, `S${j}[0]`)};`),
        );
      body.push("}");
    } else
      kernels.forEach(
        (k, j) => void body.push(`Y${j}[u32(b${nL + j})] = ${storeAs(k.outDtype, `acc${j}`)};`),
      );
  }
  const decls = [
    meta.decl(),
    `const WG: u32 = ${WG}u;`,
    ...leaves.map(
      (l, k) =>
        `@group(0) @binding(${1 + k}) var<storage, read> L${k}: array<${wgslType(leafBuf(l).dtype)}>;`,
    ),
    ...kernels.map(
      (k, j) =>
        `@group(0) @binding(${1 + nL + j}) var<storage, read_write> Y${j}: array<${sliced ? "f32" : wgslType(k.outDtype)}>;`,
    ),
    ...(tree ? kernels.map((_, j) => `var<workgroup> S${j}: array<f32, ${WG}>;`) : []),
  ];
  const main = `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
${body.join("\n")}
}`;
  const opLib = Object.assign({}, ...planOps(plan).map((op) => op.wgslLib)) as Record<string, string>;
  const source = `${decls.join("\n")}\n${libraryFor(main + decls.join("\n"), opLib)}\n${main}\n`;
  const threads = tree ? nOuter * WG * (sliced ? split : 1) : nOuter;
  void maxWorkgroupsPerDim;
  return {
    source,
    kinds: ["uniform", ...leaves.map((): BindingKind => "read"), ...kernels.map((): BindingKind => "write")],
    inputs: leaves.map(leafBuf),
    meta: meta.array(),
    workgroups: Math.ceil(threads / WG),
  };
}
