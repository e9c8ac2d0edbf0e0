import type { Backend, BackendBuffer, FusedKernel } from "../backend/backend.js";
import { hoistingOn } from "../backend/cpu/codegen.js";
import { cpuBackend } from "../backend/registry.js";
import { planLoop } from "../expr/loop-plan.js";
import { scope } from "../memory/scope.js";
import type { Key } from "../random/key.js";
import { fromTypedArray } from "../tensor/creation.js";
import { checksRegistered } from "../tensor/deferred-checks.js";
import { allocStorage, type TypedArray } from "../tensor/dtype.js";
import { realize } from "../tensor/realize.js";
import { formatShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { observeHostInputs } from "./host-inputs.js";
import {
  compileStraightLine,
  type RecordedWork,
  type StraightLineFunction,
  straightLineRefusal,
} from "./straight-line.js";

/**
 * `jit(f)`: record the backend work `f` does on the first call and replay it afterwards.
 *
 * Eager evaluation rebuilds expressions, tapes and kernel lookups on every call; for small
 * models (a NUTS potential and its gradient, say) that bookkeeping costs far more than the
 * arithmetic. A jitted function runs `f` once per input signature (shapes and dtypes) while
 * the cpu backend logs every kernel it runs, then later calls copy the new inputs into the
 * recorded input buffers and rerun the logged kernels. Like JAX's jit it assumes `f` is a
 * pure function of its tensor inputs with no value-dependent control flow: if `f` reads a
 * value back while being recorded (`item()`, `dataSync()`, validation that inspects values)
 * or draws random numbers or makes a host input (host-inputs.ts), recording is abandoned and
 * `f` runs eagerly every time.
 * CPU backend only for now; other backends run eagerly. Tensors `f` closes over (data,
 * constants) are read in place on every replay: keep them alive while the jitted function is
 * in use, and call `dispose()` on it when done.
 */

type Output = Tensor | readonly Tensor[];

interface Program {
  readonly inputs: readonly BackendBuffer[];
  readonly steps: readonly (() => void)[];
  /** The same work with the structure of each fused pass (for {@link Jitted.straightLine}). */
  readonly work: readonly RecordedWork[];
  readonly outputs: readonly { buf: BackendBuffer; shape: readonly number[] }[];
  readonly outputIsArray: boolean;
  readonly held: readonly BackendBuffer[];
}

/**
 * How recording treats a backend method. Every function the backend has is wrapped while `f` is
 * recorded; a method not named here runs work and is logged and replayed verbatim, so a method
 * added to the {@link Backend} interface (or found only on one backend) is never left out of
 * replays. Only the methods whose meaning differs are named, and `satisfies` ties the names to
 * the interface (a renamed method fails the typecheck).
 */
const NON_WORK_METHODS = {
  // fused kernels replay through a plan (planFused) instead of being re-planned on every call
  runFused: "fused",
  // buffers made while recording become the program's own (inputs, constants, scratch)
  upload: "allocate",
  alloc: "allocate",
  // freed buffers stay allocated: the program reuses them on every replay
  free: "free",
  // a readback or a random draw makes the result depend on values: no replay
  read: "value-dependent",
  readSync: "value-dependent",
  sample: "value-dependent",
  liveBuffers: "query",
} as const satisfies Partial<Record<keyof Backend, string>>;

/**
 * Work methods that add into their output instead of overwriting it, with that output's argument
 * index: where the recorded call found the output freshly allocated (zeros), a replay zeroes it
 * first, or each replay would add onto the last one's result.
 */
const ACCUMULATING_OUTPUT = { scatterAdd: 5 } as const satisfies Partial<Record<keyof Backend, number>>;

/** Backend extensions (not in the interface) that jit itself uses; never logged. */
const PLANNER_METHODS = new Set(["planFused"]);

type Planner = Backend & {
  planFused?: (k: readonly FusedKernel[], o: readonly BackendBuffer[]) => () => void;
};

function signature(xs: readonly Tensor[]): string {
  return xs.map((x) => `${x.dtype}${formatShape(x.shape)}`).join(";");
}

function isBuffer(v: unknown): v is BackendBuffer {
  return v !== null && typeof v === "object" && "id" in v && "refs" in v && "dtype" in v;
}

/** Names of every method on `obj` and its prototype chain (class methods included). */
function methodNames(obj: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = obj; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name === "constructor") continue;
      const d = Object.getOwnPropertyDescriptor(o, name);
      if (d && typeof d.value === "function") names.add(name);
    }
  }
  return [...names];
}

/** Options of {@link recordBackendWork}. */
export interface RecordOptions {
  /**
   * Replay random draws instead of refusing them: told the key of each `sample` call, returns
   * the function that gives the key a replay draws with (null: this key cannot be replayed, the
   * recording is not replayable). Without it a draw makes the recording not replayable.
   */
  readonly sampleKey?: (k: Key) => (() => Key) | null;
  /**
   * Told of every top-level backend call after it ran: its method, arguments and result, and
   * for a logged unit of work the entry it made (keyed-program.ts compares two recordings so).
   */
  readonly onCall?: (
    name: string,
    args: readonly unknown[],
    result: unknown,
    work: RecordedWork | null,
  ) => void;
}

/** What {@link recordBackendWork} saw while `body` ran. */
export interface BackendRecording {
  /** The logged work, in order; calling each step reruns it on the same buffers. */
  readonly steps: (() => void)[];
  /** The same work, each fused pass with its plan and buffers (what straight-line.ts renders). */
  readonly work: RecordedWork[];
  /** Buffers freed while recording, kept alive for the replays. */
  readonly held: BackendBuffer[];
  /** False when `body` read values back or drew random numbers (or fused kernels cannot be planned). */
  readonly replayable: boolean;
}

/**
 * Run `body` with every method of `backend` wrapped so that the work it does is logged (see
 * `NON_WORK_METHODS` for the few methods treated otherwise). Only the outermost backend call is
 * logged: a method that calls another through `this` (runFused → planFused, say) runs as one step.
 * The backend is restored when `body` returns or throws.
 */
export function recordBackendWork(
  backend: Backend,
  body: () => void,
  opts: RecordOptions = {},
): BackendRecording {
  const steps: (() => void)[] = [];
  const work: RecordedWork[] = [];
  const held: BackendBuffer[] = [];
  let replayable = true;
  let depth = 0;
  // Buffers allocated (zeroed) while recording, and those logged work has read or written so far.
  const allocated = new Set<BackendBuffer>();
  const touched = new Set<BackendBuffer>();
  const b = backend as unknown as Record<string, unknown>;
  const saved = new Map<string, { own: boolean; value: unknown }>();
  const originals = new Map<string, (...a: unknown[]) => unknown>();
  for (const name of methodNames(backend)) originals.set(name, b[name] as (...a: unknown[]) => unknown);
  const planFused = originals.get("planFused");
  const readSync = originals.get("readSync");
  const role = (name: string): string =>
    PLANNER_METHODS.has(name) ? "planner" : ((NON_WORK_METHODS as Record<string, string>)[name] ?? "work");
  const wrap =
    (name: string, f: (...a: unknown[]) => unknown) =>
    (...args: unknown[]) => {
      if (depth > 0) return f.apply(backend, args);
      depth++;
      const logged = work.length;
      try {
        const result = run(name, f, args);
        opts.onCall?.(name, args, result, work.length > logged ? work[work.length - 1]! : null);
        return result;
      } finally {
        depth--;
      }
    };
  const run = (name: string, f: (...a: unknown[]) => unknown, args: unknown[]): unknown => {
    switch (role(name)) {
      case "fused": {
        if (!planFused) {
          replayable = false;
          return f.apply(backend, args);
        }
        const [kernels, outs] = args as [readonly FusedKernel[], readonly BackendBuffer[]];
        for (const o of outs) touched.add(o);
        const plan = planFused.apply(backend, args) as () => void;
        steps.push(plan);
        // The leaves' buffers now: a leaf's tensor may be disposed before recording ends.
        // Planned under the hoisting setting the cpu loop above was planned under, so a
        // straight-line function of this pass takes the same bodies as its replay.
        const loop = planLoop(kernels, { hoist: hoistingOn() });
        const leaves = loop.leaves.map((l) => l.tensor._buf);
        for (const l of leaves) if (l) touched.add(l);
        if (leaves.some((b) => !b)) replayable = false;
        else work.push({ kind: "fused", plan: loop, leaves: leaves as BackendBuffer[], outs });
        return plan();
      }
      case "free":
        held.push(args[0] as BackendBuffer);
        return undefined;
      case "value-dependent": {
        const keyAt = name === "sample" && opts.sampleKey ? opts.sampleKey(args[1] as Key) : null;
        if (!keyAt) {
          replayable = false;
          return f.apply(backend, args);
        }
        // the same draw, under the key the replayed program's own key derives
        touched.add(args[4] as BackendBuffer);
        const rest = args.slice(2);
        const draw = () => void f.apply(backend, [args[0], keyAt(), ...rest]);
        steps.push(draw);
        work.push({ kind: "opaque", run: draw });
        return f.apply(backend, args);
      }
      case "work": {
        // An output the call adds into held zeros when it was freshly allocated while
        // recording: a replay zeroes it again first (a fresh allocation is zeroed).
        const accumulates = (ACCUMULATING_OUTPUT as Record<string, number>)[name];
        const out = accumulates === undefined ? undefined : (args[accumulates] as BackendBuffer);
        const zero = out && allocated.has(out) && !touched.has(out) ? readSync!.call(backend, out) : null;
        for (const a of args) if (isBuffer(a)) touched.add(a);
        const run = zero
          ? () => {
              (zero as TypedArray).fill(0);
              f.apply(backend, args);
            }
          : () => void f.apply(backend, args);
        steps.push(run);
        work.push({ kind: "opaque", run });
        return f.apply(backend, args);
      }
      case "allocate": {
        const buf = f.apply(backend, args) as BackendBuffer;
        if (name === "alloc") allocated.add(buf); // zeros (an upload holds its data)
        return buf;
      }
      default: // query, planner: run once, nothing to replay
        return f.apply(backend, args);
    }
  };
  for (const [name, f] of originals) {
    saved.set(name, { own: Object.hasOwn(b, name), value: b[name] });
    b[name] = wrap(name, f);
  }
  try {
    body();
  } finally {
    for (const [name, { own, value }] of saved) {
      if (own) b[name] = value;
      else delete b[name];
    }
  }
  return { steps, work, held, replayable };
}

/** A function compiled by {@link jit}: called like the original, replaying its recorded kernels. */
export interface Jitted<A extends Tensor[], R extends Output> {
  (...args: A): R;
  /** Free the recorded programs' buffers. */
  dispose(): void;
  /** How many calls replayed a recorded program (for tests and profiling). */
  readonly replays: number;
  /**
   * The program recorded for these arguments' shapes and dtypes (recorded now, from these
   * values, if it was not yet) as one generated JS function over flat arrays: the inputs'
   * values in, the outputs' values out, no tensors (see straight-line.ts). Its results equal
   * a replay's. Null when the program is not replayable (see {@link jit}) or not small (a pass
   * over more than `STRAIGHT_LINE_MAX_PASS_ELEMENTS` elements). The function uses the
   * program's buffers: it is valid until `dispose()`.
   */
  straightLine(...args: A): StraightLineFunction | null;
}

/**
 * Compile `f` (tensors in, a tensor or an array of tensors out) by recording its kernels.
 * @example
 * const f = jit((x: Tensor) => x.mul(x).sum());
 * f(tensor([1, 2, 3])).item(); // 14, recorded
 * f(tensor([4, 5, 6])).item(); // 77, replayed
 */
export function jit<A extends Tensor[], R extends Output>(f: (...args: A) => R): Jitted<A, R> {
  const programs = new Map<string, Program | "eager">();
  let replays = 0;
  const backend = cpuBackend() as Planner;

  const record = (args: A): { program: Program | "eager"; result: R } => {
    let result!: R;
    // Fresh copies of the inputs: their buffers become the program's input slots.
    const inputs = args.map((a) => fromTypedArray(copyOf(a), a.shape));
    const checksBefore = checksRegistered();
    // A host input (host-inputs.ts) changes from call to call, which a replay without host code
    // cannot follow (jitKeyed's programs can): no replay.
    let hostInputs = false;
    const noteHostInput = () => {
      hostInputs = true;
    };
    const previousHost = observeHostInputs({ scalar: noteHostInput, keyed: noteHostInput });
    let rec: ReturnType<typeof recordBackendWork>;
    try {
      rec = recordBackendWork(backend, () => {
        result = scope(() => {
          const out = f(...(inputs as A));
          for (const t of Array.isArray(out) ? out : [out as Tensor]) realize(t);
          return out;
        });
      });
    } finally {
      observeHostInputs(previousHost);
    }
    const outs = (Array.isArray(result) ? result : [result]) as Tensor[];
    // A value check (deferred-checks.ts) inspects values, like a readback: no replay.
    const checked = checksRegistered() !== checksBefore;
    if (
      !rec.replayable ||
      checked ||
      hostInputs ||
      outs.some((t) => t.backend !== backend) ||
      args.some((a) => a.backend !== backend)
    ) {
      for (const t of inputs) t.dispose();
      return { program: "eager", result };
    }
    const program: Program = {
      inputs: inputs.map((t) => t._buf!),
      steps: rec.steps,
      work: rec.work,
      outputs: outs.map((t) => ({ buf: t._buf!, shape: t.shape })),
      outputIsArray: Array.isArray(result),
      held: [...rec.held, ...inputs.map((t) => t._buf!), ...outs.map((t) => t._buf!)],
    };
    for (const b of program.held) b.refs++;
    // Outputs handed to the caller must not alias program buffers that the next replay overwrites.
    const copies = copyOutputs(program) as R;
    for (const t of [...outs, ...inputs]) t.dispose();
    return { program, result: copies };
  };

  const copyOutputs = (p: Program): Output => {
    const ts = p.outputs.map((o) => fromTypedArray(copyOfData(backend.readSync!(o.buf)), o.shape));
    return p.outputIsArray ? ts : ts[0]!;
  };

  const call = ((...args: A): R => {
    const sig = signature(args);
    const p = programs.get(sig);
    if (p === "eager") return f(...args);
    if (!p) {
      const { program, result } = record(args);
      programs.set(sig, program);
      return result;
    }
    p.inputs.forEach((buf, i) => {
      (backend.readSync!(buf) as TypedArray).set(backend.readSync!(realize(args[i]!)) as TypedArray);
    });
    for (const step of p.steps) step();
    replays++;
    return copyOutputs(p) as R;
  }) as Jitted<A, R>;

  Object.defineProperty(call, "replays", { get: () => replays });
  const straightLines = new Map<string, StraightLineFunction | null>();
  call.straightLine = (...args: A): StraightLineFunction | null => {
    const sig = signature(args);
    const cached = straightLines.get(sig);
    if (cached !== undefined) return cached;
    if (!programs.has(sig)) {
      const { program, result } = record(args);
      programs.set(sig, program);
      for (const t of Array.isArray(result) ? result : [result as Tensor]) t.dispose();
    }
    const p = programs.get(sig)!;
    const compiled =
      p === "eager" || straightLineRefusal(p.work) !== null
        ? null
        : compileStraightLine(
            p.work,
            p.inputs.map((buf) => ({ buf, size: buf.size })),
            p.outputs.map((o) => ({ buf: o.buf, size: o.shape.reduce((n, d) => n * d, 1) })),
            (buf) => backend.readSync!(buf),
          );
    straightLines.set(sig, compiled);
    return compiled;
  };
  call.dispose = () => {
    straightLines.clear();
    for (const p of programs.values()) {
      if (p === "eager") continue;
      for (const b of p.held) {
        b.refs--;
        if (b.refs <= 0) backend.free(b);
      }
    }
    programs.clear();
  };
  return call;
}

/** A fresh typed array of `d`'s type holding `d`'s values. @internal */
export function copyOfData(d: TypedArray): TypedArray {
  const out = allocStorage(
    d instanceof Float64Array
      ? "float64"
      : d instanceof Int32Array
        ? "int32"
        : d instanceof Uint8Array
          ? "bool"
          : "float32",
    d.length,
  );
  out.set(d);
  return out;
}

/** A tensor's values, as a fresh typed array (realized first; the cpu reads synchronously). @internal */
export function copyOf(t: Tensor): TypedArray {
  return copyOfData(t.backend.readSync ? t.backend.readSync(realize(t)) : new Float32Array(0));
}
