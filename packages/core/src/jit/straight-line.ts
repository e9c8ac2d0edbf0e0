import type { BackendBuffer } from "../backend/backend.js";
import { accumulate, loopLibrary, REDUCE_INIT, renderElement } from "../backend/cpu/codegen.js";
import { PARALLEL_MIN_ELEMENTS } from "../backend/cpu/threads.js";
import { type LoopPlan, planOps } from "../expr/loop-plan.js";
import type { TypedArray } from "../tensor/dtype.js";

/**
 * A recorded program (jit.ts) rendered as one generated JavaScript function over the cpu
 * backend's typed arrays: every fused pass becomes a loop nest (or a few statements for a
 * one-element pass) with its shapes, strides, offsets and constants written in as literals,
 * one pass after another in one function body, so a call is one function call with no
 * tensors, plans or kernel lookups in between. Backend work that is not a fused pass (a
 * matmul, a gather) is called as recorded. Each pass computes exactly what the cpu renderer
 * (backend/cpu/codegen.ts) computes for it: the same scalar program, the same element order,
 * the same stores into the same arrays (float32 outputs round where the loop's stores do),
 * reductions accumulated in float64 and written at the end of the pass, so its results equal
 * a replay's bit for bit.
 */

/** One unit of work logged while recording, in the order it ran. */
export type RecordedWork =
  | {
      readonly kind: "fused";
      readonly plan: LoopPlan;
      /** The buffer of each plan leaf, resolved when the pass ran. */
      readonly leaves: readonly BackendBuffer[];
      readonly outs: readonly BackendBuffer[];
    }
  | { readonly kind: "opaque"; readonly run: () => void };

/** A slot of the program: a buffer and how many of its leading elements are the value. */
export interface ProgramSlot {
  readonly buf: BackendBuffer;
  readonly size: number;
}

/**
 * The compiled program: reads the inputs' values from `x` (flat, concatenated in argument
 * order: {@link inputSize} values) and writes the outputs' values into `out` (flat,
 * concatenated: {@link outputSize} values).
 */
export interface StraightLineFunction {
  (x: ArrayLike<number>, out: { [i: number]: number }): void;
  readonly inputSize: number;
  readonly outputSize: number;
  /** The generated source (for inspection and tests). */
  readonly source: string;
}

/**
 * Most elements one pass may iterate over for the program to count as small. Larger passes
 * are where per-call bookkeeping stops mattering, and they may be split over worker threads
 * (threads.ts), which a single generated function would not do.
 */
export const STRAIGHT_LINE_MAX_PASS_ELEMENTS = 4096;

/** A number as JavaScript source that evaluates to exactly that double. */
function literal(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (Object.is(v, -0)) return "(-0)";
  if (v === Number.POSITIVE_INFINITY) return "Infinity";
  if (v === Number.NEGATIVE_INFINITY) return "(-Infinity)";
  return v < 0 ? `(${String(v)})` : String(v);
}

/** `offset + Σ i_d · stride_d` with literal strides (zero strides and unit dims dropped). */
function indexExpr(offset: number, strides: readonly number[], loopVars: readonly (string | null)[]): string {
  const terms = offset !== 0 ? [String(offset)] : [];
  strides.forEach((s, d) => {
    if (s === 0 || loopVars[d] === null) return;
    terms.push(s === 1 ? loopVars[d]! : `${loopVars[d]}*${s}`);
  });
  return terms.length > 0 ? terms.join("+") : "0";
}

/**
 * Why a recorded program cannot be rendered (null when it can): a pass too large to count as
 * small, or one the cpu backend would split over threads.
 */
export function straightLineRefusal(work: readonly RecordedWork[]): string | null {
  for (const w of work) {
    if (w.kind !== "fused") continue;
    const { total, maxOpCost } = w.plan;
    if (total > STRAIGHT_LINE_MAX_PASS_ELEMENTS)
      return `a pass iterates over ${total} elements (small programs only: at most ${STRAIGHT_LINE_MAX_PASS_ELEMENTS})`;
    if (total * Math.max(1, maxOpCost) >= PARALLEL_MIN_ELEMENTS)
      return `a pass of ${total} elements at cost ${maxOpCost} per element may be split over threads`;
  }
  return null;
}

/**
 * Render `work` as one function (see the file comment). `storage` gives a buffer's typed
 * array as it is now; the function keeps these arrays, so the buffers must stay allocated
 * while it is used (the jitted function that recorded them holds them until disposed).
 */
export function compileStraightLine(
  work: readonly RecordedWork[],
  inputs: readonly ProgramSlot[],
  outputs: readonly ProgramSlot[],
  storage: (buf: BackendBuffer) => TypedArray,
): StraightLineFunction {
  const refusal = straightLineRefusal(work);
  if (refusal) throw new Error(`compileStraightLine: ${refusal}`);
  const arrays: TypedArray[] = [];
  const arrayNames = new Map<TypedArray, string>();
  const arrayOf = (buf: BackendBuffer): string => {
    const a = storage(buf);
    let name = arrayNames.get(a);
    if (!name) {
      name = `A${arrays.length}`;
      arrays.push(a);
      arrayNames.set(a, name);
    }
    return name;
  };
  const opaque: (() => void)[] = [];
  const library: Record<string, (...a: never[]) => unknown> = {};
  // Float64 scratch: hoisted-value tables and reductions with more than one output element.
  const scratch: number[] = [];
  const newScratch = (size: number): string => {
    scratch.push(size);
    return `T${scratch.length - 1}`;
  };
  const lines: string[] = [];

  let offset = 0;
  for (const { buf, size } of inputs) {
    const a = arrayOf(buf);
    lines.push(`for (let i = 0; i < ${size}; i++) ${a}[i] = x[${offset} + i];`);
    offset += size;
  }
  const inputSize = offset;

  const live = liveRoots(work, outputs);
  // One-element buffers that live only inside the program become local variables.
  const locals = new Map<BackendBuffer, string>();
  for (const b of scalarBuffers(work, live, inputs, outputs)) locals.set(b, `v${locals.size}`);
  const access: BufferAccess = {
    load: (buf, index) => locals.get(buf) ?? `${arrayOf(buf)}[${index}]`,
    store: (buf, index, value) => {
      const v = locals.get(buf);
      if (!v) return `${arrayOf(buf)}[${index}] = ${value};`;
      // the rounding a store into the buffer's typed array does
      return buf.dtype === "float32" ? `${v} = Math.fround(${value});` : `${v} = ${value};`;
    },
  };
  if (locals.size > 0) lines.push(`let ${[...locals.values()].map((v) => `${v} = 0`).join(", ")};`);
  work.forEach((w, k) => {
    if (w.kind === "opaque") {
      opaque.push(w.run);
      lines.push(`W[${opaque.length - 1}]();`);
      return;
    }
    const keep = live[k]!;
    if (!keep.some(Boolean)) return;
    Object.assign(library, loopLibrary(planOps(w.plan)));
    lines.push(...renderPass(w, keep, access, newScratch));
  });

  offset = 0;
  for (const { buf, size } of outputs) {
    const a = arrayOf(buf);
    lines.push(`for (let i = 0; i < ${size}; i++) out[${offset} + i] = ${a}[i];`);
    offset += size;
  }
  const outputSize = offset;

  const body = lines.join("\n");
  const hoisted = [
    ...arrays.map((_, k) => `const A${k} = A[${k}];`),
    ...Object.keys(library).map((name) => `const F_${name} = F[${JSON.stringify(name)}];`),
    ...scratch.map((n, k) => `const T${k} = new Float64Array(${n});`),
  ];
  const source = `${hoisted.join("\n")}\nreturn function straightLine(x, out) {\n${body}\n};`;
  const fn = new Function("A", "F", "W", source)(arrays, library, opaque) as (
    x: ArrayLike<number>,
    out: { [i: number]: number },
  ) => void;
  return Object.assign(fn, { inputSize, outputSize, source });
}

/**
 * Per unit of work, which of a fused pass's outputs anything later reads: a program output, or
 * a leaf of a later pass that is itself kept. A value nothing reads (a flag a replay computes
 * for a check that is off, say) is not computed. Work that is not a fused pass may read any
 * buffer, so with any of it in the program every output is kept.
 */
function liveRoots(work: readonly RecordedWork[], outputs: readonly ProgramSlot[]): boolean[][] {
  const all = work.map((w) => (w.kind === "fused" ? w.plan.roots.map(() => true) : []));
  if (work.some((w) => w.kind === "opaque")) return all;
  const read = new Set<BackendBuffer>(outputs.map((o) => o.buf));
  for (let k = work.length - 1; k >= 0; k--) {
    const w = work[k] as Extract<RecordedWork, { kind: "fused" }>;
    const keep = w.outs.map((b) => read.has(b));
    all[k] = keep;
    if (keep.some(Boolean)) for (const b of w.leaves) read.add(b);
  }
  return all;
}

/**
 * One-element float buffers of the program that no input, output or non-fused work touches
 * and whose first use in a call is a write: their value never outlives a call, so a local
 * variable can hold it (written with the rounding its typed array's store would do).
 */
function scalarBuffers(
  work: readonly RecordedWork[],
  live: readonly (readonly boolean[])[],
  inputs: readonly ProgramSlot[],
  outputs: readonly ProgramSlot[],
): BackendBuffer[] {
  if (work.some((w) => w.kind === "opaque")) return [];
  const excluded = new Set<BackendBuffer>([...inputs, ...outputs].map((s) => s.buf));
  const written = new Set<BackendBuffer>();
  const scalar = (b: BackendBuffer) => b.size === 1 && (b.dtype === "float64" || b.dtype === "float32");
  work.forEach((w, k) => {
    if (w.kind !== "fused" || !live[k]!.some(Boolean)) return;
    // A pass reads its leaves before it writes its outputs.
    for (const b of w.leaves) if (!written.has(b)) excluded.add(b);
    w.outs.forEach((b, j) => {
      if (live[k]![j] && scalar(b) && !excluded.has(b)) written.add(b);
      else excluded.add(b);
    });
  });
  return [...written].filter((b) => !excluded.has(b));
}

/** How a pass reads and writes a buffer: an element of its typed array, or a local. */
interface BufferAccess {
  load(buf: BackendBuffer, index: string): string;
  store(buf: BackendBuffer, index: string, value: string): string;
}

/** One fused pass as statements: a loop nest over its coalesced dims, literals throughout. */
function renderPass(
  w: Extract<RecordedWork, { kind: "fused" }>,
  keep: readonly boolean[],
  access: BufferAccess,
  newScratch: (size: number) => string,
): string[] {
  const { plan } = w;
  const { dims, strides } = plan.loop;
  const nLeaves = plan.leaves.length;
  // A unit dim (the one dim of a one-element pass) needs no loop.
  const loopVars = dims.map((n, d) => (n === 1 ? null : `i${d}`));
  const index = (a: number) => indexExpr(plan.offsets[a]!, strides[a]!, loopVars);
  // As the cpu loop: a call the planner marked for hoisting reads its op's derived values from
  // tables filled first, one entry per element of the leaf, and calls the hoisted body (which
  // may round unlike the ordinary body, so a replay's bits need the same path).
  const fills: string[] = [];
  const tables = new Map<string, string>();
  const table = (leaf: number, fn: string): string => {
    let t = tables.get(`${leaf} ${fn}`);
    if (!t) {
      t = newScratch(w.leaves[leaf]!.size);
      tables.set(`${leaf} ${fn}`, t);
      // Dims the leaf is broadcast over (stride 0) are not walked: each element once.
      const walk = dims.flatMap((n, d) => {
        const i = loopVars[d];
        return i === null || strides[leaf]![d] === 0 ? [] : [`for (let ${i} = 0; ${i} < ${n}; ${i}++)`];
      });
      const q = index(leaf);
      fills.push(`${walk.join(" ")} ${t}[${q}] = F_${fn}(${access.load(w.leaves[leaf]!, q)});`);
    }
    return `${t}[${index(leaf)}]`;
  };
  const { stmts, roots } = renderElement(plan, {
    load: (leaf) => access.load(w.leaves[leaf]!, index(leaf)),
    constant: (k) => literal(plan.consts[k]!),
    // jit.ts plans recorded passes under the cpu loops' hoisting setting: with it off, no call
    // is marked and every call evaluates its ordinary body, as the replayed loops do.
    hoisted: table,
  });
  const before: string[] = [];
  const each: string[] = [...stmts];
  const after: string[] = [];
  plan.roots.forEach((_, j) => {
    if (!keep[j]) return;
    const r = plan.reduces[j];
    const y = w.outs[j]!;
    const q = index(nLeaves + j);
    if (!r) {
      each.push(access.store(y, q, roots[j]!));
      return;
    }
    // As the cpu backend: accumulate in float64 from the reduction's identity, store at the end.
    const size = plan.outSizes[j]!;
    if (size === 1) {
      before.push(`let acc${j} = ${literal(REDUCE_INIT[r])};`);
      each.push(accumulate(r, `acc${j}`, roots[j]!));
      after.push(access.store(y, "0", `acc${j}`));
    } else {
      const t = newScratch(size);
      before.push(`${t}.fill(${literal(REDUCE_INIT[r])});`);
      each.push(accumulate(r, `${t}[${q}]`, roots[j]!));
      after.push(`for (let i = 0; i < ${size}; i++) ${access.store(y, "i", `${t}[i]`)}`);
    }
  });
  const out = ["{", ...fills, ...before];
  const loops = dims.flatMap((n, d) => {
    const i = loopVars[d];
    return i === null ? [] : [`for (let ${i} = 0; ${i} < ${n}; ${i}++) {`];
  });
  out.push(...loops, ...each, ...loops.map(() => "}"));
  out.push(...after, "}");
  return out;
}
