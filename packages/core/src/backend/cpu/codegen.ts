import type { LeafExpr } from "../../expr/expr.js";
import { type LoopPlan, planLoop, planOps, type ValueRef } from "../../expr/loop-plan.js";
import { planSignature } from "../../expr/plan-signature.js";
import type { ScalarOp } from "../../ops/define-op.js";
import type { FusedKernel, ReduceKind } from "../backend.js";

/**
 * The CPU renderer of loop plans (expr/loop-plan.ts): one generated JS loop nest per plan,
 * computing every map and reduction of a pass. Compiled functions are cached by structure:
 * constants, buffers, shapes and strides are runtime arguments, so a training loop compiles
 * each kernel once. Op bodies are inlined (`inline` templates) or called through closure
 * constants (`fn` bodies; a multi-output one returns its outputs by name). A call the
 * planner marks for hoisting (`hoistFrom`) reads its op's derived values from a table that the
 * loop fills first, the values of one element of the broadcast leaf side by side, and calls the
 * hoisted body. A leaf the inner loop does not step through (a per-row value) is read once per
 * row: outputs are fresh buffers, never a leaf's, but V8 cannot prove that and would reload it
 * at every element.
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

/** The scalar functions a compiled loop calls, by op name. */
export type LoopLibrary = Readonly<Record<string, (...a: never[]) => unknown>>;

/** A kernel ready to run: the compiled loop plus the runtime arguments for one call. */
export interface PreparedLoop {
  readonly key: string;
  readonly source: string;
  /** Modules defining the ops the loop calls, by op name (worker threads import them). */
  readonly opModules: readonly (readonly [string, string])[];
  readonly leaves: readonly LeafExpr[];
  readonly consts: readonly number[];
  readonly dims: readonly number[];
  readonly strides: readonly number[];
  readonly offsets: readonly number[];
  /** Per output: accumulator size (reductions) or element count (maps). */
  readonly outSizes: readonly number[];
  readonly reduces: readonly (ReduceKind | null)[];
  /** The costliest scalar op in the loop body: heavy loops split earlier. */
  readonly maxOpCost: number;
}

/** Code that needs no temporary: a name or a plain number. */
const IDENT = /^[A-Za-z_$][\w$]*$/;
const NUMBER = /^-?[\d.]+(e[-+]?\d+)?$/;

/** The combination step of each reduction; max and min propagate NaN. */
const COMBINE: Record<ReduceKind, (a: string, v: string) => string> = {
  sum: (a, v) => `${a}+${v}`,
  prod: (a, v) => `${a}*${v}`,
  max: (a, v) => `((${v}>${a}||${v}!==${v})?${v}:${a})`,
  min: (a, v) => `((${v}<${a}||${v}!==${v})?${v}:${a})`,
};

/**
 * The statement folding `value` into the accumulator `target` (a local, or an array element
 * whose index is then read once) under reduction `kind`. Shared with jit/straight-line.ts so
 * that both renderers round and order every reduction alike.
 */
export function accumulate(kind: ReduceKind, target: string, value: string): string {
  if (IDENT.test(target)) return `{ const v = ${value}; ${target} = ${COMBINE[kind](target, "v")}; }`;
  return `{ const v = ${value}; const a = ${target}; ${target} = ${COMBINE[kind]("a", "v")}; }`;
}

export const REDUCE_INIT: Record<ReduceKind, number> = { sum: 0, prod: 1, max: -Infinity, min: Infinity };

/**
 * The library object of the ops a loop calls: name → scalar function, and for an op with a
 * hoisted body, `name$h` → that body and `name$v<j>` → its derived value j.
 */
export function loopLibrary(ops: readonly ScalarOp[]): LoopLibrary {
  const lib: Record<string, (...a: never[]) => unknown> = {};
  for (const op of ops) {
    if (op.inlineJs === null) lib[op.name] = op.fn;
    if (!op.hoisted) continue;
    lib[`${op.name}$h`] = op.hoisted.fn;
    op.hoisted.values.forEach((v, j) => {
      lib[`${op.name}$v${j}`] = v;
    });
  }
  return lib;
}

/**
 * The hoisted values read from one leaf: library functions `fns` of each of its elements,
 * stored side by side in one table (one array in the loop, not one per value).
 */
interface HoistTable {
  readonly leaf: number;
  readonly fns: readonly string[];
}

/** The hoisting tables of a plan: per leaf read by a hoisted call, every value its calls take. */
function hoistTables(plan: LoopPlan): HoistTable[] {
  const byLeaf = new Map<number, string[]>();
  for (const n of plan.nodes) {
    if (n.kind !== "call" || n.hoistFrom === null || !n.op.hoisted) continue;
    const fns = byLeaf.get(n.hoistFrom) ?? [];
    byLeaf.set(n.hoistFrom, fns);
    n.op.hoisted.values.forEach((_, j) => {
      const fn = `${n.op.name}$v${j}`;
      if (!fns.includes(fn)) fns.push(fn);
    });
  }
  return [...byLeaf].map(([leaf, fns]) => ({ leaf, fns }));
}

/** Index into leaf `leaf`'s table of value `j` of `w` at the element pointer `p`. */
const tableIndex = (w: number, p: string, j: number) => (w === 1 ? p : `${w}*${p}+${j}`);

/**
 * Where the per-element code of a pass gets its inputs, so that the loop renderer here and
 * jit/straight-line.ts (literal constants, loads at literal indices) share one rendering.
 */
export interface ElementSources {
  /** Code of leaf `leaf`'s value at the current element. */
  load(leaf: number): string;
  /** Code of constant `index`. */
  constant(index: number): string;
  /**
   * Code of derived value `fn` (a library name) of leaf `leaf` at the current element; null
   * where hoisting is not rendered: a call marked for it evaluates the op's ordinary body
   * (which gives the same outputs, ops/define-op.ts).
   */
  readonly hoisted: ((leaf: number, fn: string) => string) | null;
}

/**
 * Per-element statements and the code of each root. A node used once is inlined into its
 * consumer; one used more often (or a multi-output call) becomes a temporary; an argument an
 * inline template repeats is bound to a temporary first, so nothing is evaluated twice. A load
 * is repeated where it is used, never bound.
 */
export function renderElement(plan: LoopPlan, sources: ElementSources): { stmts: string[]; roots: string[] } {
  const stmts: string[] = [];
  const code: string[][] = [];
  let temps = 0;
  const bind = (expr: string): string => {
    if (IDENT.test(expr) || NUMBER.test(expr)) return expr;
    const t = `t${temps++}`;
    stmts.push(`const ${t} = ${expr};`);
    return t;
  };
  const val = (r: ValueRef) => code[r.node]![r.output]!;
  plan.nodes.forEach((n, i) => {
    if (n.kind === "load") code.push([sources.load(n.leaf)]);
    else if (n.kind === "const") code.push([sources.constant(n.index)]);
    else {
      const op = n.op;
      let args = n.args.map(val);
      let fn = op.name;
      if (n.hoistFrom !== null && op.hoisted && sources.hoisted) {
        const leaf = n.hoistFrom;
        const table = sources.hoisted;
        args = [...args, ...op.hoisted.values.map((_, j) => table(leaf, `${op.name}$v${j}`))];
        fn = `${op.name}$h`;
      }
      if (op.outputs > 1) {
        // One call returns its outputs by name; they become locals (V8 does not allocate the
        // object where it inlines a body that builds it in one place: ops/define-op.ts).
        const r = `res${temps++}`;
        const names = op.outputNames.map((_, j) => `${r}_${j}`);
        stmts.push(
          `const ${r} = F_${fn}(${args.join(", ")});`,
          `const ${names.map((nm, j) => `${nm} = ${r}.${op.outputNames[j]}`).join(", ")};`,
        );
        code.push(names);
        return;
      }
      let expr: string;
      if (fn !== op.name) expr = `F_${fn}(${args.join(", ")})`;
      else if (op.inlineJs) {
        const probe = op.inlineJs(args.map((_, j) => `\u0000${j}\u0000`));
        args = args.map((a, j) => (probe.split(`\u0000${j}\u0000`).length > 2 ? bind(a) : a));
        expr = op.inlineJs(args);
      } else expr = `F_${op.name}(${args.join(", ")})`;
      code.push([plan.uses[i]! > 1 ? bind(expr) : expr]);
    }
  });
  return { stmts, roots: plan.roots.map(val) };
}

const cache = new Map<string, { fn: CompiledLoop; source: string }>();

/** Number of distinct loops compiled so far (tests check that kernels are reused). */
export function compiledLoopCount(): number {
  return cache.size;
}

function strideClass(s: number): string {
  return s === 0 ? "0" : s === 1 ? "1" : "s";
}

/** Compile generated loop source against its library (also what worker threads do). */
export function compileLoop(source: string, lib: LoopLibrary): CompiledLoop {
  return new Function("F", source)(lib) as CompiledLoop;
}

/**
 * Prepared loops by pass structure (expr/plan-signature.ts), without their leaves and
 * constants: a pass with the structure of an earlier one reuses its plan, loop key, dims and
 * strides instead of planning again. Bounded, so a program that keeps making new shapes
 * does not grow it without limit (the compiled loops above are shared by many entries).
 */
const preparedByStructure = new Map<string, { loop: CompiledLoop; prepared: PreparedLoop }>();
const PREPARED_CACHE_LIMIT = 4096;
let planCacheEnabled = true;

/**
 * Turn the reuse of plans by pass structure on or off (on by default); returns the previous
 * setting. Off, every pass is planned afresh, which tests use to check that reuse changes no
 * result bit.
 */
export function setPlanCache(enabled: boolean): boolean {
  const was = planCacheEnabled;
  planCacheEnabled = enabled;
  if (!enabled) preparedByStructure.clear();
  return was;
}

let hoistingEnabled = true;

/**
 * Turn per-argument hoisting (expr/loop-plan.ts) on or off for CPU loops (on by default);
 * returns the previous setting. Off, every call evaluates its op's ordinary body, which tests
 * and benchmarks use to compare the two paths.
 */
export function setHoisting(enabled: boolean): boolean {
  const was = hoistingEnabled;
  hoistingEnabled = enabled;
  // Prepared plans were made under the old setting.
  preparedByStructure.clear();
  return was;
}

/** Whether CPU loops hoist (see {@link setHoisting}); jit.ts plans recorded passes under it. */
export function hoistingOn(): boolean {
  return hoistingEnabled;
}

/** Build (or fetch from cache) one loop computing every kernel; all share one iteration shape. */
export function prepareLoop(kernels: readonly FusedKernel[]): { loop: CompiledLoop; prepared: PreparedLoop } {
  if (!planCacheEnabled) return planAndCompile(kernels);
  const sig = planSignature(kernels);
  const hit = preparedByStructure.get(sig.key);
  if (hit) return { loop: hit.loop, prepared: { ...hit.prepared, leaves: sig.leaves, consts: sig.consts } };
  const fresh = planAndCompile(kernels);
  // The signature must number leaves and constants as the planner did, or a hit would feed a
  // loop the wrong arrays: checked on every miss, so a divergence fails loudly at once.
  const { leaves, consts } = fresh.prepared;
  if (
    leaves.length !== sig.leaves.length ||
    consts.length !== sig.consts.length ||
    leaves.some((l, i) => l !== sig.leaves[i]) ||
    consts.some((c, i) => !Object.is(c, sig.consts[i]))
  )
    throw new Error("internal: plan signature numbers leaves or constants unlike planLoop");
  if (preparedByStructure.size >= PREPARED_CACHE_LIMIT) preparedByStructure.clear();
  // The template keeps no leaves or constants: it must not hold tensors alive.
  preparedByStructure.set(sig.key, {
    loop: fresh.loop,
    prepared: { ...fresh.prepared, leaves: [], consts: [] },
  });
  return fresh;
}

function planAndCompile(kernels: readonly FusedKernel[]): { loop: CompiledLoop; prepared: PreparedLoop } {
  const plan = planLoop(kernels, { hoist: hoistingEnabled });
  const { dims, strides } = plan.loop;
  const R = dims.length;
  const nLeaves = plan.leaves.length;
  const innerReduced = plan.reduces.map((r, j) => r !== null && strides[nLeaves + j]![R - 1] === 0);
  const key = [
    plan.programKey,
    `R${R}`,
    innerReduced.map((r) => (r ? "*" : "")).join(","),
    strides.map((st) => strideClass(st[R - 1]!)).join(""),
  ].join("|");
  const ops = planOps(plan);
  let entry = cache.get(key);
  if (!entry) {
    const source = generate(plan, innerReduced);
    entry = { fn: compileLoop(source, loopLibrary(ops)), source };
    cache.set(key, entry);
  }
  const flatStrides: number[] = [];
  for (const st of strides) flatStrides.push(...st);
  return {
    loop: entry.fn,
    prepared: {
      key,
      source: entry.source,
      opModules: ops.filter((op) => op.inlineJs === null).map((op) => [op.name, op.module] as const),
      leaves: plan.leaves,
      consts: plan.consts,
      dims,
      strides: flatStrides,
      offsets: plan.offsets,
      outSizes: plan.outSizes,
      reduces: plan.reduces,
      maxOpCost: plan.maxOpCost,
    },
  };
}

function generate(plan: LoopPlan, innerReduced: readonly boolean[]): string {
  const { dims, strides } = plan.loop;
  const R = dims.length;
  const nLeaves = plan.leaves.length;
  const nArr = strides.length;
  const nOut = plan.roots.length;
  // The table of leaf k holds every hoisted value read from k: the same op on the same leaf
  // shares its entries.
  const tables = hoistTables(plan);
  // Inner strides are part of the cache key, so which leaves are per-row values is structural.
  const perRow = (leaf: number) => strides[leaf]![R - 1] === 0;
  const { stmts, roots } = renderElement(plan, {
    load: (leaf) => (perRow(leaf) ? `v${leaf}` : `L${leaf}[p${leaf}]`),
    constant: (index) => `c${index}`,
    hoisted: (leaf, fn) => {
      const { fns } = tables.find((t) => t.leaf === leaf)!;
      return `T${leaf}[${tableIndex(fns.length, `p${leaf}`, fns.indexOf(fn))}]`;
    },
  });
  const reduces = plan.reduces;
  const ptr = (a: number) => (a < nLeaves ? `p${a}` : `q${a - nLeaves}`);
  // In an inner loop from 0, a unit-stride array is read at its row start plus the loop index
  // instead of a pointer of its own stepped at each element: fewer values live in the loop.
  const indexed = R > 1;
  const at = (a: number, d: number) =>
    indexed && strides[a]![d] === 1 ? `${ptr(a)}_${d} + i${d}` : `${ptr(a)}_${d}`;
  const lines: string[] = ["return function fusedLoop(OUT, I, C, D, S, O, start, end) {"];
  for (let k = 0; k < nLeaves; k++) lines.push(`const L${k} = I[${k}];`);
  for (let j = 0; j < nOut; j++) lines.push(`const Y${j} = OUT[${j}];`);
  for (let k = 0; k < plan.consts.length; k++) lines.push(`const c${k} = C[${k}];`);
  for (let d = 0; d < R; d++) lines.push(`const d${d} = D[${d}];`);
  for (let a = 0; a < nArr; a++)
    for (let d = 0; d < R; d++) lines.push(`const s${a}_${d} = S[${a * R + d}];`);
  lines.push(...fillTables(tables, R));
  for (let a = 0; a < nArr; a++) lines.push(`let ${ptr(a)}_0 = O[${a}] + start * s${a}_0;`);
  for (let d = 0; d < R; d++) {
    if (d > 0) for (let a = 0; a < nArr; a++) lines.push(`let ${ptr(a)}_${d} = ${ptr(a)}_${d - 1};`);
    if (d === R - 1) {
      for (let j = 0; j < nOut; j++) if (innerReduced[j]) lines.push(`let acc${j} = Y${j}[q${j}_${d}];`);
      for (let a = 0; a < nLeaves; a++) if (perRow(a)) lines.push(`const v${a} = L${a}[p${a}_${d}];`);
    }
    lines.push(
      `for (let i${d} = ${d === 0 ? "start" : "0"}; i${d} < ${d === 0 ? "end" : `d${d}`}; i${d}++) {`,
    );
    if (d === R - 1) {
      for (let a = 0; a < nLeaves; a++) lines.push(`const p${a} = ${at(a, d)};`);
      lines.push(...stmts);
      for (let j = 0; j < nOut; j++) {
        const r = reduces[j];
        const q = at(nLeaves + j, d);
        if (!r) lines.push(`Y${j}[${q}] = ${roots[j]};`);
        else lines.push(accumulate(r, innerReduced[j] ? `acc${j}` : `Y${j}[${q}]`, roots[j]!));
      }
    }
  }
  for (let d = R - 1; d >= 0; d--) {
    for (let a = 0; a < nArr; a++) {
      // Inner strides are part of the cache key, so zero and unit ones are specialized.
      const s = strides[a]![d]!;
      if (d < R - 1) lines.push(`${ptr(a)}_${d} += s${a}_${d};`);
      else if (s === 1) {
        if (!indexed) lines.push(`${ptr(a)}_${d}++;`);
      } else if (s !== 0) lines.push(`${ptr(a)}_${d} += s${a}_${d};`);
    }
    lines.push("}");
    if (d === R - 1)
      for (let j = 0; j < nOut; j++) if (innerReduced[j]) lines.push(`Y${j}[q${j}_${d}] = acc${j};`);
  }
  lines.push("};");
  // Op functions become closure constants (a call through a constant is cheaper than a
  // property lookup per element).
  const body = lines.join("\n");
  const used = [...new Set([...body.matchAll(/\bF_([\w$]+)\(/g)].map((m) => m[1]!))];
  const hoisted = used.map((f) => `const F_${f} = F[${JSON.stringify(f)}];`);
  return `${hoisted.join("\n")}\n${body}`;
}

/**
 * Allocate and fill the hoisted-value tables: for each leaf, one walk over the elements this
 * call's range reads (a dim the leaf is broadcast over, stride 0, is walked once), evaluating
 * each of its values there. A table is indexed like the leaf's buffer times its width, so the
 * loop body reads it at the leaf's own pointer.
 */
function fillTables(tables: readonly HoistTable[], R: number): string[] {
  const lines: string[] = [];
  for (const { leaf: k, fns } of tables) {
    lines.push(`const T${k} = new Float64Array(L${k}.length * ${fns.length});`);
    lines.push("{", `let r${k}_0 = O[${k}] + start * s${k}_0;`);
    for (let d = 0; d < R; d++) {
      const [lo, hi] = d === 0 ? ["start", "end"] : ["0", `d${d}`];
      if (d > 0) lines.push(`let r${k}_${d} = r${k}_${d - 1};`);
      lines.push(`for (let j${d} = s${k}_${d} === 0 ? ${hi} - 1 : ${lo}; j${d} < ${hi}; j${d}++) {`);
    }
    const r = `r${k}_${R - 1}`;
    lines.push(`const x = L${k}[${r}];`);
    fns.forEach((fn, j) => {
      lines.push(`T${k}[${tableIndex(fns.length, r, j)}] = F_${fn}(x);`);
    });
    for (let d = R - 1; d >= 0; d--) lines.push(`r${k}_${d} += s${k}_${d};`, "}");
    lines.push("}");
  }
  return lines;
}

/** The generated source of every compiled loop, by cache key (for inspecting fusion). */
export function compiledLoopSources(): Map<string, string> {
  return new Map([...cache].map(([k, v]) => [k, v.source]));
}
