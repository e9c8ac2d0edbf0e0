import type { DType } from "../../tensor/dtype.js";
import type { BackendBuffer } from "../backend.js";
import type { BindingKind } from "./pipeline-cache.js";
import { MetaWords, type ShaderPlan, storeAs, WG, wgslType } from "./wgsl-codegen.js";
import { libraryFor } from "./wgsl-lib/registry.js";

/**
 * The non-fused WGSL kernels: argmax/argmin, scans, gather, scatter-add (atomic CAS on the
 * float's bit pattern), tiled matmul, and per-matrix Cholesky / triangular solves. Sizes
 * are uniforms, so each kernel compiles once per dtype combination.
 */

const HEAD = `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
let o = (wid.y * nwg.x + wid.x) * ${WG}u + lid.x;
if (o >= mw(0u)) { return; }`;

interface Binding {
  readonly kind: "read" | "write" | "atomic";
  readonly type: string;
}

/** Assemble a shader: uniform header, bindings L0.. in order, library functions, body. */
export function buildShader(
  meta: MetaWords,
  bindings: readonly Binding[],
  body: string,
  head = HEAD,
): { source: string; kinds: BindingKind[] } {
  const decls = bindings.map((b, i) => {
    const access = b.kind === "read" ? "read" : "read_write";
    const t = b.kind === "atomic" ? `atomic<${b.type}>` : b.type;
    return `@group(0) @binding(${i + 1}) var<storage, ${access}> B${i}: array<${t}>;`;
  });
  const main = `${head}\n${body}\n}`;
  const source = `${meta.decl()}\n${decls.join("\n")}\n${libraryFor(main)}\n${main}\n`;
  return {
    source,
    kinds: ["uniform", ...bindings.map((b): BindingKind => (b.kind === "read" ? "read" : "write"))],
  };
}

function plan(
  meta: MetaWords,
  bindings: readonly Binding[],
  body: string,
  inputs: readonly BackendBuffer[],
  threads: number,
): ShaderPlan {
  meta.words[0] = threads;
  const { source, kinds } = buildShader(meta, bindings, body);
  return { source, kinds, inputs, meta: meta.array(), workgroups: Math.ceil(threads / WG) };
}

const rd = (dtype: DType): Binding => ({ kind: "read", type: wgslType(dtype) });
const wr = (dtype: DType): Binding => ({ kind: "write", type: wgslType(dtype) });

/** Index of the best element along an axis; NaN wins, as on the cpu backend. */
export function argReducePlan(
  input: BackendBuffer,
  outer: number,
  n: number,
  inner: number,
  kind: "argmax" | "argmin",
): ShaderPlan {
  const m = new MetaWords();
  const [N, I] = [m.push(n), m.push(inner)];
  const cmp = kind === "argmax" ? ">" : "<";
  const body = `let n = mw(${N}u); let inner = mw(${I}u);
let base = (o / inner) * n * inner + o % inner;
var bi = 0u; var bv = f32(B0[base]);
if (!sp_isnan(bv)) {
  for (var k = 1u; k < n; k++) {
    let v = f32(B0[base + k * inner]);
    if (sp_isnan(v)) { bi = k; break; }
    if (v ${cmp} bv) { bv = v; bi = k; }
  }
}
B1[o] = i32(bi);`;
  return plan(m, [rd(input.dtype), wr("int32")], body, [input], outer * inner);
}

/** Inclusive scan along an axis, one thread per line (Kahan-compensated sums). */
export function cumulativePlan(
  input: BackendBuffer,
  outDtype: DType,
  outer: number,
  n: number,
  inner: number,
  prod: boolean,
  reverse: boolean,
): ShaderPlan {
  const m = new MetaWords();
  const [N, I] = [m.push(n), m.push(inner)];
  const step = prod
    ? "acc = acc * v;"
    : "{ let yk = v - cmp; let tk = acc + yk; cmp = select(0.0, (tk - acc) - yk, sp_isfinite(tk)); acc = tk; }";
  const body = `let n = mw(${N}u); let inner = mw(${I}u);
let base = (o / inner) * n * inner + o % inner;
var acc = ${prod ? "1.0" : "0.0"}; var cmp = 0.0;
for (var t = 0u; t < n; t++) {
  let k = ${reverse ? "n - 1u - t" : "t"};
  let v = f32(B0[base + k * inner]);
  ${step}
  B1[base + k * inner] = ${storeAs(outDtype, "acc")};
}`;
  return plan(m, [rd(input.dtype), wr(outDtype)], body, [input], outer * inner);
}

/** out[i, t, j] = x[i, idx[t], j]; an out-of-range index gives NaN (0 for integer dtypes). */
export function gatherPlan(
  input: BackendBuffer,
  indices: BackendBuffer,
  outer: number,
  n: number,
  inner: number,
  count: number,
): ShaderPlan {
  const m = new MetaWords();
  const [N, I, C] = [m.push(n), m.push(inner), m.push(count)];
  const bad = input.dtype === "float32" ? "bitcast<f32>(M.m[0].w)" : input.dtype === "int32" ? "0" : "0u";
  const body = `let n = i32(mw(${N}u)); let inner = mw(${I}u); let cnt = mw(${C}u);
let j = o % inner; let t = (o / inner) % cnt; let i = o / (inner * cnt);
var k = B1[t];
if (k < 0) { k += n; }
if (k < 0 || k >= n) { B2[o] = ${bad}; return; }
B2[o] = B0[(i * u32(n) + u32(k)) * inner + j];`;
  return plan(
    m,
    [rd(input.dtype), rd("int32"), wr(input.dtype)],
    body,
    [input, indices],
    outer * count * inner,
  );
}

/** out[i, idx[t], j] += upd[i, t, j] with atomics (float: compare-exchange on the bit pattern). */
export function scatterAddPlan(
  updates: BackendBuffer,
  indices: BackendBuffer,
  outer: number,
  n: number,
  inner: number,
  count: number,
): ShaderPlan {
  const m = new MetaWords();
  const [N, I, C] = [m.push(n), m.push(inner), m.push(count)];
  const isInt = updates.dtype === "int32";
  const add = isInt
    ? "atomicAdd(&B2[dst], B0[o]);"
    : `let v = f32(B0[o]);
var old = atomicLoad(&B2[dst]);
loop {
  let r = atomicCompareExchangeWeak(&B2[dst], old, bitcast<u32>(bitcast<f32>(old) + v));
  if (r.exchanged) { break; }
  old = r.old_value;
}`;
  const body = `let n = i32(mw(${N}u)); let inner = mw(${I}u); let cnt = mw(${C}u);
let j = o % inner; let t = (o / inner) % cnt; let i = o / (inner * cnt);
var k = B1[t];
if (k < 0) { k += n; }
if (k < 0 || k >= n) { return; }
let dst = (i * u32(n) + u32(k)) * inner + j;
${add}`;
  const out: Binding = { kind: "atomic", type: isInt ? "i32" : "u32" };
  return plan(m, [rd(updates.dtype), rd("int32"), out], body, [updates, indices], outer * count * inner);
}

const T = 16;

/**
 * Batched matmul with 16 × 16 tiles in workgroup memory. `transA` / `transB`: the operand is
 * stored transposed (k × m, n × k) and the tile loads read it in place; the flags are baked
 * into the shader source, so each combination is its own cached pipeline.
 */
export function matmulPlan(
  a: BackendBuffer,
  b: BackendBuffer,
  outDtype: DType,
  batch: number,
  mm: number,
  k: number,
  n: number,
  aStride: number,
  bStride: number,
  transA = false,
  transB = false,
): ShaderPlan {
  const m = new MetaWords();
  const ids = [mm, k, n, aStride, bStride].map((x) => m.push(x));
  const tilesM = Math.ceil(mm / T);
  const tilesN = Math.ceil(n / T);
  const groups = batch * tilesM * tilesN;
  m.words[0] = groups;
  const tm = m.push(tilesM);
  const tn = m.push(tilesN);
  const head = `var<workgroup> TA: array<f32, ${T * T}>;
var<workgroup> TB: array<f32, ${T * T}>;
@compute @workgroup_size(${T}, ${T})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
let g = wid.y * nwg.x + wid.x;
if (g >= mw(0u)) { return; }`;
  const body = `let M_ = mw(${ids[0]}u); let K_ = mw(${ids[1]}u); let N_ = mw(${ids[2]}u);
let tilesM = mw(${tm}u); let tilesN = mw(${tn}u);
let bt = g / (tilesM * tilesN); let rest = g % (tilesM * tilesN);
let row = (rest / tilesN) * ${T}u + lid.y; let col = (rest % tilesN) * ${T}u + lid.x;
let ao = bt * mw(${ids[3]}u); let bo = bt * mw(${ids[4]}u);
var acc = 0.0;
for (var t0 = 0u; t0 < K_; t0 += ${T}u) {
  let ac = t0 + lid.x; let br = t0 + lid.y;
  TA[lid.y * ${T}u + lid.x] = select(0.0, f32(B0[ao + ${transA ? "ac * M_ + row" : "row * K_ + ac"}]), row < M_ && ac < K_);
  TB[lid.y * ${T}u + lid.x] = select(0.0, f32(B1[bo + ${transB ? "col * K_ + br" : "br * N_ + col"}]), br < K_ && col < N_);
  workgroupBarrier();
  for (var p = 0u; p < ${T}u; p++) { acc = fma(TA[lid.y * ${T}u + p], TB[p * ${T}u + lid.x], acc); }
  workgroupBarrier();
}
if (row < M_ && col < N_) { B2[bt * M_ * N_ + row * N_ + col] = ${storeAs(outDtype, "acc")}; }`;
  const { source, kinds } = buildShader(m, [rd(a.dtype), rd(b.dtype), wr(outDtype)], body, head);
  return { source, kinds, inputs: [a, b], meta: m.array(), workgroups: groups };
}

/** Cholesky, one thread per matrix (NaN factor when a pivot is not positive). */
export function choleskyPlan(input: BackendBuffer, n: number, batch: number): ShaderPlan {
  const m = new MetaWords();
  const N = m.push(n);
  const body = `let n = mw(${N}u); let o0 = o * n * n;
for (var i = 0u; i < n * n; i++) { B1[o0 + i] = 0.0; }
for (var j = 0u; j < n; j++) {
  var d = B0[o0 + j * n + j];
  for (var p = 0u; p < j; p++) { d -= B1[o0 + j * n + p] * B1[o0 + j * n + p]; }
  let ljj = select(sp_nan(), sqrt(d), d > 0.0);
  B1[o0 + j * n + j] = ljj;
  for (var i = j + 1u; i < n; i++) {
    var s = B0[o0 + i * n + j];
    for (var p = 0u; p < j; p++) { s -= B1[o0 + i * n + p] * B1[o0 + j * n + p]; }
    B1[o0 + i * n + j] = s / ljj;
  }
}`;
  return plan(m, [rd("float32"), wr("float32")], body, [input], batch);
}

/** Triangular solves by substitution, one thread per (matrix, right-hand column). */
export function triangularSolvePlan(
  a: BackendBuffer,
  b: BackendBuffer,
  batch: number,
  n: number,
  mCols: number,
  lower: boolean,
  trans: boolean,
): ShaderPlan {
  const m = new MetaWords();
  const [N, MC] = [m.push(n), m.push(mCols)];
  const forward = lower !== trans;
  const at = (i: string, j: string) => (trans ? `B0[ao + ${j} * n + ${i}]` : `B0[ao + ${i} * n + ${j}]`);
  const body = `let n = mw(${N}u); let mc = mw(${MC}u);
let t = o / mc; let c = o % mc; let ao = t * n * n; let bo = t * n * mc;
for (var s = 0u; s < n; s++) {
  let i = ${forward ? "s" : "n - 1u - s"};
  var v = B1[bo + i * mc + c];
  for (var q = 0u; q < s; q++) {
    let j = ${forward ? "q" : "n - 1u - q"};
    v -= ${at("i", "j")} * B2[bo + j * mc + c];
  }
  B2[bo + i * mc + c] = v / ${at("i", "i")};
}`;
  return plan(m, [rd("float32"), rd("float32"), wr("float32")], body, [a, b], batch * mCols);
}
