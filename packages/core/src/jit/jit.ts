import type { Backend, BackendBuffer, FusedKernel } from "../backend/backend.js";
import { cpuBackend } from "../backend/registry.js";
import { scope } from "../memory/scope.js";
import { allocStorage, type TypedArray } from "../tensor/dtype.js";
import { fromTypedArray } from "../tensor/creation.js";
import { checksRegistered } from "../tensor/deferred-checks.js";
import { realize } from "../tensor/realize.js";
import { formatShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";

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
 * or draws random numbers, recording is abandoned and `f` runs eagerly every time.
 * CPU backend only for now; other backends run eagerly. Tensors `f` closes over (data,
 * constants) are read in place on every replay: keep them alive while the jitted function is
 * in use, and call `dispose()` on it when done.
 */

type Output = Tensor | readonly Tensor[];

interface Program {
  readonly inputs: readonly BackendBuffer[];
  readonly steps: readonly (() => void)[];
  readonly outputs: readonly { buf: BackendBuffer; shape: readonly number[] }[];
  readonly outputIsArray: boolean;
  readonly held: readonly BackendBuffer[];
}

/** Methods that run work; each is logged and replayed verbatim (runFused through a plan). */
const WORK_METHODS = [
  "argReduce",
  "cumulative",
  "gather",
  "scatterAdd",
  "matmul",
  "cholesky",
  "triangularSolve",
] as const;

type Planner = Backend & { planFused?: (k: readonly FusedKernel[], o: readonly BackendBuffer[]) => () => void };

function signature(xs: readonly Tensor[]): string {
  return xs.map((x) => `${x.dtype}${formatShape(x.shape)}`).join(";");
}

/** Run `body` with the backend's methods patched to log work, keep buffers alive and flag reads. */
function recordOn(backend: Planner, body: () => void): { steps: (() => void)[]; held: BackendBuffer[]; replayable: boolean } {
  const steps: (() => void)[] = [];
  const held: BackendBuffer[] = [];
  let replayable = typeof backend.planFused === "function";
  const b = backend as unknown as Record<string, unknown>;
  const saved = new Map<string, unknown>();
  const patch = (name: string, f: unknown) => {
    saved.set(name, b[name]);
    b[name] = f;
  };
  const orig = (name: string) => saved.get(name) as (...a: unknown[]) => unknown;
  patch("runFused", (kernels: readonly FusedKernel[], outs: readonly BackendBuffer[]) => {
    const plan = backend.planFused!(kernels, outs);
    steps.push(plan);
    plan();
  });
  for (const m of WORK_METHODS) {
    if (typeof b[m] !== "function") continue;
    patch(m, (...args: unknown[]) => {
      const f = orig(m);
      steps.push(() => f.apply(backend, args));
      return f.apply(backend, args);
    });
  }
  // Freed buffers stay allocated: the program reuses them on every replay.
  patch("free", (buf: BackendBuffer) => {
    held.push(buf);
  });
  patch("readSync", (buf: BackendBuffer) => {
    replayable = false;
    return orig("readSync").call(backend, buf);
  });
  patch("read", (buf: BackendBuffer) => {
    replayable = false;
    return orig("read").call(backend, buf);
  });
  if (typeof b.sample === "function")
    patch("sample", (...args: unknown[]) => {
      replayable = false;
      return orig("sample").apply(backend, args);
    });
  try {
    body();
  } finally {
    for (const [name, f] of saved) b[name] = f;
  }
  return { steps, held, replayable };
}

export interface Jitted<A extends Tensor[], R extends Output> {
  (...args: A): R;
  /** Free the recorded programs' buffers. */
  dispose(): void;
  /** How many calls replayed a recorded program (for tests and profiling). */
  readonly replays: number;
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
    const rec = recordOn(backend, () => {
      result = scope(() => {
        const out = f(...(inputs as A));
        for (const t of Array.isArray(out) ? out : [out as Tensor]) realize(t);
        return out;
      });
    });
    const outs = (Array.isArray(result) ? result : [result]) as Tensor[];
    // A value check (deferred-checks.ts) inspects values, like a readback: no replay.
    const checked = checksRegistered() !== checksBefore;
    if (!rec.replayable || checked || outs.some((t) => t.backend !== backend) || args.some((a) => a.backend !== backend)) {
      for (const t of inputs) t.dispose();
      return { program: "eager", result };
    }
    const program: Program = {
      inputs: inputs.map((t) => t._buf!),
      steps: rec.steps,
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
  call.dispose = () => {
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

function copyOfData(d: TypedArray): TypedArray {
  const out = allocStorage(d instanceof Float64Array ? "float64" : d instanceof Int32Array ? "int32" : d instanceof Uint8Array ? "bool" : "float32", d.length);
  out.set(d);
  return out;
}

function copyOf(t: Tensor): TypedArray {
  return copyOfData(t.backend.readSync ? t.backend.readSync(realize(t)) : new Float32Array(0));
}
