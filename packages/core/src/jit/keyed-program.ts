import type { BackendBuffer } from "../backend/backend.js";
import { cpuBackend, currentBackend } from "../backend/registry.js";
import { scope } from "../memory/scope.js";
import { deriveKey, type Key, observeKeyDerivations } from "../random/key.js";
import { fromTypedArray } from "../tensor/creation.js";
import { checksRegistered, flushChecksSync, pendingCheckFlagsSince } from "../tensor/deferred-checks.js";
import type { TypedArray } from "../tensor/dtype.js";
import { realize } from "../tensor/realize.js";
import { formatShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { type HostInputObserver, observeHostInputs } from "./host-inputs.js";
import { copyOf, copyOfData, recordBackendWork } from "./jit.js";
import type { RecordedWork } from "./straight-line.js";

/**
 * `jitKeyed(f)`: like `jit`, for a function that also draws random numbers from a key it is
 * given, `f(key, ...tensors) → tensors` (an SVI step's loss and gradients: the guide draws).
 *
 * While `f` is recorded, every key `split`/`foldIn` derive is noted (random/key.ts
 * `observeKeyDerivations`), so each backend `sample` call is logged with the path of Threefry
 * counters that leads from `f`'s key to the key it drew with. A replay with another key
 * recomputes those keys and redraws into the same buffers: the same Threefry bits as an eager
 * call with that key, so the same results bit for bit.
 *
 * A replay cannot rerun host code, so `f` must be a function of its key and tensors alone
 * (data it closes over is read in place): no value-dependent control flow (a readback while
 * recording refuses), no host state that changes between calls, except through host inputs
 * (host-inputs.ts): a number `f` reads from host state with `hostScalar`, or values it draws on
 * the host from a key with `keyedHostDraw` (subsample indices), are inputs of the program that
 * each replay fills first, with `read()` now or with the draw from its own key (along the same
 * key path), as an eager call would have computed them. What can be checked is checked
 * before any replay: `f` is recorded on two calls (three when the first differs, as a first
 * call may build caches), and the two recordings must be the same program: the same passes
 * with the same constants, the same uploads (a key-dependent upload made otherwise than through
 * `keyedHostDraw` differs), the same draws along the same key paths, the same host inputs, the
 * same buffers read.
 * Otherwise, and on other backends, `f` runs eagerly on every call; {@link KeyedJitted.refusal}
 * says why.
 *
 * Value checks that `f` registers (deferred-checks.ts: argument validation) become outputs: a
 * replay whose checks fail is rerun eagerly instead, and that run's checks throw at the next
 * readback with their usual messages. A recorded call's own checks are evaluated when it returns
 * (they read buffers that replays overwrite), so a failure there is thrown by that call rather
 * than by the next readback: the same error, sooner.
 */
export interface KeyedJitted<A extends Tensor[]> {
  /** `f(key, ...xs)`: recorded, replayed or eager; the outputs are fresh tensors. */
  (key: Key, ...xs: A): Tensor[];
  /** "recording" until two recordings agree, then "compiled"; "eager" once refused. */
  readonly state: "recording" | "compiled" | "eager";
  /** Why `f` runs eagerly (null while it does not). */
  readonly refusal: string | null;
  /** How many calls replayed the compiled program. */
  readonly replays: number;
  /** Free the programs' buffers; later calls run eagerly. */
  dispose(): void;
}

/** Most recordings made before refusing: the first call may differ (it fills caches). */
const MAX_RECORDINGS = 3;

interface KeyedProgram {
  readonly signature: string;
  readonly inputs: readonly BackendBuffer[];
  readonly steps: readonly (() => void)[];
  readonly outputs: readonly { buf: BackendBuffer; shape: readonly number[] }[];
  /** How many of the outputs (the last ones) are check flags. */
  readonly flags: number;
  /** The key the draws derive from on the next replay. */
  readonly slot: { key: Key };
  /** Fill each host input's buffer for the call (host-inputs.ts), in the order they were made. */
  readonly hostInputs: readonly (() => void)[];
  readonly held: readonly BackendBuffer[];
  /** One line per backend call, for comparing two recordings. */
  readonly description: readonly string[];
}

function signatureOf(xs: readonly Tensor[]): string {
  return xs.map((x) => `${x.dtype}${formatShape(x.shape)}`).join(";");
}

/** FNV-1a over an array's bytes. */
function digest(a: TypedArray): string {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
  return `${a.constructor.name}[${a.length}]#${h.toString(16)}`;
}

function numberText(v: number): string {
  return Object.is(v, -0) ? "-0" : String(v);
}

/**
 * Record `f` once on `key` and `xs`. Returns the program (null when refused, with the reason)
 * and the call's own results, which are those of an eager call.
 */
function recordKeyed<A extends Tensor[]>(
  f: (key: Key, ...xs: A) => Tensor[],
  key: Key,
  xs: A,
): { program: KeyedProgram | null; refusal: string | null; result: Tensor[] } {
  const backend = cpuBackend();
  const inputs = xs.map((x) => fromTypedArray(copyOf(x), x.shape));
  const names = new Map<BackendBuffer, string>();
  inputs.forEach((t, i) => {
    names.set(t._buf!, `in${i}`);
  });
  let fresh = 0;
  const name = (b: BackendBuffer): string => names.get(b) ?? `x${b.id}`;
  const describe = (v: unknown): string => {
    if (typeof v === "number") return numberText(v);
    if (Array.isArray(v)) return `[${v.map(describe).join(",")}]`;
    if (ArrayBuffer.isView(v)) return digest(v as TypedArray);
    if (v !== null && typeof v === "object" && "id" in v && "refs" in v) return name(v as BackendBuffer);
    return JSON.stringify(v) ?? String(v);
  };
  // How each key derived while recording came from its parent: the counter of its Threefry block.
  const parents = new Map<Key, { parent: Key; c0: number; c1: number }>();
  const slot = { key };
  const description: string[] = [];
  let refusal: string | null = null;
  const sampleKey = (k: Key): (() => Key) | null => {
    const path: [number, number][] = [];
    let cur = k;
    while (cur !== key) {
      const d = parents.get(cur);
      // Not derived from the key: a constant key, replayed as is (two recordings agree only
      // when it is the same on both calls).
      if (!d) {
        description.push(`  key const ${k.hi},${k.lo}`);
        return () => k;
      }
      path.unshift([d.c0, d.c1]);
      cur = d.parent;
    }
    description.push(`  key path ${path.map((c) => c.join(",")).join("/")}`);
    return () => {
      let out = slot.key;
      for (const [c0, c1] of path) out = deriveKey(out, c0, c1);
      return out;
    };
  };
  // Host inputs (host-inputs.ts): their uploads are described by what fills them, not by the
  // values, which differ from call to call.
  const uploadLine = new Map<BackendBuffer, number>();
  const hostInputs: (() => void)[] = [];
  const hostInput = (t: Tensor, what: string, fill: (a: TypedArray) => void) => {
    const buf = t._buf;
    const line = buf ? uploadLine.get(buf) : undefined;
    if (!buf || line === undefined) {
      refusal ??= `a host input (${what}) was not uploaded while the step was recorded`;
      return;
    }
    description[line] = `host input ${hostInputs.length}: ${what} -> ${name(buf)}`;
    hostInputs.push(() => fill(backend.readSync!(buf) as TypedArray));
  };
  const hostObserver: HostInputObserver = {
    scalar: (t, read) =>
      hostInput(t, `scalar ${t.dtype}`, (a) => {
        a[0] = read();
      }),
    keyed: (t, k, draw) => {
      const keyAt = sampleKey(k)!;
      hostInput(t, `draw ${t.dtype}${formatShape(t.shape)}`, (a) => a.set(draw(keyAt())));
    },
  };
  // Buffers made while recording are the program's: some outlive the recording in tensors that
  // are disposed later (a deferred check's pinned inputs), so the program holds a reference.
  const made: BackendBuffer[] = [];
  const onCall = (method: string, args: readonly unknown[], result: unknown, work: RecordedWork | null) => {
    if (method === "upload") uploadLine.set(result as BackendBuffer, description.length);
    if (
      result !== null &&
      typeof result === "object" &&
      "id" in result &&
      !names.has(result as BackendBuffer)
    ) {
      names.set(result as BackendBuffer, `n${fresh++}`);
      made.push(result as BackendBuffer);
    }
    if (method === "free" || method === "liveBuffers") return;
    if (work?.kind === "fused") {
      const p = work.plan;
      description.push(
        `fused ${p.programKey} shape ${formatShape(p.shape)} consts ${p.consts.map(numberText).join(",")} ` +
          `loop ${JSON.stringify(p.loop)} offsets ${p.offsets.join(",")} out ${JSON.stringify([p.outSizes, p.outDtypes, p.reduces, p.axes])} ` +
          `leaves ${work.leaves.map(name).join(",")} -> ${work.outs.map(name).join(",")}`,
      );
      return;
    }
    // Other calls by their arguments; a draw's key is described by its path (sampleKey above).
    const shown = method === "sample" ? args.map((a, i) => (i === 1 ? "key" : a)) : args;
    description.push(`${method}(${shown.map(describe).join(", ")}) -> ${describe(result ?? null)}`);
  };
  let result!: Tensor[];
  let flags: Tensor[] = [];
  let checksEvaluated = false;
  const checksBefore = checksRegistered();
  const previous = observeKeyDerivations((child, parent, c0, c1) => {
    if (!parents.has(child)) parents.set(child, { parent, c0, c1 });
  });
  const previousHost = observeHostInputs(hostObserver);
  let rec: ReturnType<typeof recordBackendWork>;
  try {
    rec = recordBackendWork(
      backend,
      () => {
        result = scope(() => {
          const out = f(key, ...(inputs as A));
          for (const t of out) realize(t);
          return out;
        });
        // Every check registered so far is still pending (one evaluated now would have read
        // back, refusing the recording): their flags are computed as outputs.
        flags = pendingCheckFlagsSince(checksBefore);
        checksEvaluated = flags.length !== checksRegistered() - checksBefore;
        for (const t of flags) realize(t);
      },
      { sampleKey, onCall },
    );
  } finally {
    observeKeyDerivations(previous);
    observeHostInputs(previousHost);
  }
  const outs = [...result, ...flags];
  if (!rec.replayable) refusal ??= "the step reads values back or draws in a way that cannot be replayed";
  else if (checksEvaluated) refusal ??= "a value check was evaluated (read back) while the step was recorded";
  else if (outs.some((t) => t.backend !== backend || !t._buf))
    refusal ??= "an output is not a cpu tensor in memory";
  if (refusal) {
    // No program: the call's results are the caller's, and what its frees left held is freed.
    for (const t of inputs) t.dispose();
    for (const b of rec.held) if (b.refs <= 0) backend.free(b);
    return { program: null, refusal, result };
  }
  // Copies: outputs handed to the caller must not alias buffers the next replay overwrites.
  const copies = result.map((t) => fromTypedArray(copyOfData(backend.readSync!(t._buf!)), t.shape));
  description.push(`outputs ${outs.map((t) => `${name(t._buf!)}${formatShape(t.shape)}`).join(", ")}`);
  const program: KeyedProgram = {
    signature: signatureOf(xs),
    inputs: inputs.map((t) => t._buf!),
    steps: rec.steps,
    outputs: outs.map((t) => ({ buf: t._buf!, shape: t.shape })),
    flags: flags.length,
    slot,
    hostInputs,
    held: [...new Set([...rec.held, ...made, ...inputs.map((t) => t._buf!), ...outs.map((t) => t._buf!)])],
    description,
  };
  for (const b of program.held) b.refs++;
  for (const t of [...result, ...inputs]) t.dispose();
  return { program, refusal: null, result: copies };
}

function release(p: KeyedProgram): void {
  const backend = cpuBackend();
  for (const b of p.held) {
    b.refs--;
    if (b.refs <= 0) backend.free(b);
  }
}

/** The first line where two recordings differ, quoted (null when they are the same program). */
function firstDifference(a: readonly string[], b: readonly string[]): string | null {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++)
    if (a[i] !== b[i]) return `call ${i}: ${a[i] ?? "(none)"} vs ${b[i] ?? "(none)"}`;
  return null;
}

/**
 * Replay `p` with key `key` on `xs`: the outputs as fresh tensors, or null when one of the
 * step's value checks failed (the caller then runs the step eagerly).
 */
function replay(p: KeyedProgram, key: Key, xs: readonly Tensor[]): Tensor[] | null {
  const backend = cpuBackend();
  p.inputs.forEach((buf, i) => {
    (backend.readSync!(buf) as TypedArray).set(backend.readSync!(realize(xs[i]!)) as TypedArray);
  });
  p.slot.key = key;
  for (const fill of p.hostInputs) fill();
  for (const step of p.steps) step();
  const nOut = p.outputs.length - p.flags;
  for (let i = nOut; i < p.outputs.length; i++)
    if (backend.readSync!(p.outputs[i]!.buf)[0] !== 0) return null;
  const out: Tensor[] = [];
  for (let i = 0; i < nOut; i++) {
    const o = p.outputs[i]!;
    out.push(fromTypedArray(copyOfData(backend.readSync!(o.buf)), o.shape));
  }
  return out;
}

/** Compile `f(key, ...tensors) → tensors` by recording its backend work and its draws' keys. */
export function jitKeyed<A extends Tensor[]>(f: (key: Key, ...xs: A) => Tensor[]): KeyedJitted<A> {
  let state: "recording" | "compiled" | "eager" = "recording";
  let refusal: string | null = null;
  let last: KeyedProgram | null = null;
  let recordings = 0;
  let replays = 0;
  const refuse = (why: string) => {
    state = "eager";
    refusal = why;
    if (last) release(last);
    last = null;
  };
  const call = ((key: Key, ...xs: A): Tensor[] => {
    if (state !== "eager" && currentBackend() !== cpuBackend())
      refuse(`the ${currentBackend().name} backend (only the cpu's work is recorded)`);
    if (state === "eager") return f(key, ...xs);
    if (state === "compiled") {
      const p = last!;
      if (signatureOf(xs) === p.signature) {
        const out = replay(p, key, xs);
        if (out) {
          replays++;
          return out;
        }
      }
      // a failed check (the eager run registers it and throws at the next readback), or inputs
      // of other shapes: this call runs eagerly
      return f(key, ...xs);
    }
    const r = recordKeyed(f, key, xs);
    recordings++;
    if (!r.program) {
      refuse(r.refusal!);
      return r.result;
    }
    const diff = last ? firstDifference(last.description, r.program.description) : "first recording";
    if (last) release(last);
    last = r.program;
    if (diff === null) state = "compiled";
    else if (recordings >= MAX_RECORDINGS) refuse(`the step's work differs between calls (${diff})`);
    // The recorded call's own checks read the program's buffers, which replays overwrite (or a
    // later recording frees): evaluate them now. A failure is the error the next readback would
    // throw (the first failing check in registration order), thrown here instead.
    if (r.program.flags > 0) flushChecksSync();
    return r.result;
  }) as KeyedJitted<A>;
  Object.defineProperties(call, {
    state: { get: () => state },
    refusal: { get: () => refusal },
    replays: { get: () => replays },
  });
  call.dispose = () => {
    if (last) release(last);
    last = null;
    if (state !== "eager") {
      state = "eager";
      refusal = "disposed";
    }
  };
  return call;
}
