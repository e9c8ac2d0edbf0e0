/**
 * `scan(f, init, xs)`: a loop whose sample sites get a time axis, as
 * `numpyro.contrib.control_flow.scan`. `f(carry, x)` returns `[carry, y]`; the sites it
 * samples are recorded once each, with values of shape [T, ...step shape].
 *
 * Two ways of running, chosen by the handlers around the call:
 * - Under `enumerate` (discrete hidden states summed out, as in an HMM), the steps are
 *   vectorized: step 0 runs alone, its sites renamed `_PREV_${name}`; steps 1..T−1 run in one
 *   call of `f`, with `xs[1:]` along a time dim allocated left of the enumeration dims and
 *   the carry of step 0 as carry. Each enumerated site of that call then holds the factor
 *   between consecutive states for all steps at once (first-order `markov` dependence:
 *   the carry's enumerated values stand for the previous state), and inference contracts
 *   the chain over time (`@scribe/infer`'s enumeration). The body is traced twice whatever T.
 * - Otherwise the steps run one after another (a plain loop, no recursion): the outer
 *   handlers are asked once per site (a `substitute`/`replay` value for the whole series is
 *   sliced per step; `seed`'s key is folded with the step), and after the last step each
 *   site reaches the outer handlers (and `trace`) once, stacked.
 * @module
 */
import { reshape, slice, stack } from "../ops/movement.js";
import { foldIn, type Key } from "../random/index.js";
import type { Tensor } from "../tensor/tensor.js";
import { Tensor as TensorClass } from "../tensor/tensor.js";
import type { DistributionLike } from "./distribution-like.js";
import { activeEnumMessenger, type EnumMessenger, enumDimOf } from "./handlers/enum.js";
import { ScopeMessenger } from "./handlers/scope.js";
import {
  baseFields,
  copyMessage,
  type DeterministicMessage,
  type Message,
  type SampleMessage,
} from "./message.js";
import { applyStackBelow, handlerStack, Messenger } from "./messenger.js";
import { ScanStackedDistribution, timeStep } from "./scan-stacked.js";

/** What `scan` iterates over: a tensor, or an array / record of tensors, sliced on their leading axis. */
export type ScanXs = Tensor | readonly Tensor[] | { readonly [k: string]: Tensor } | null | undefined;

/** The per-step slice of {@link ScanXs}. */
export type ScanX<X extends ScanXs> = X extends Tensor
  ? Tensor
  : X extends readonly Tensor[]
    ? Tensor[]
    : X extends null | undefined
      ? undefined
      : { [k in keyof X]: Tensor };

/** Options of {@link scan}. */
export interface ScanOptions {
  /** Number of steps; needed when `xs` is null, else it must equal the leading dim of `xs`. */
  length?: number;
  /** Markov order of the dependence between steps under enumeration; only 1 is supported. */
  history?: number;
}

/** The `infer` fields of a site from the vectorized steps of an enumerated `scan`. */
export interface ScanInfo {
  /** The dim holding steps 1..T−1. */
  readonly _scanTimeDim: number;
  /** Number of vectorized steps (T − 1). */
  readonly _scanLength: number;
  /** Name of the same site at step 0 (its enumerated value is the previous state). */
  readonly _scanPrev: string;
}

function leaves(xs: ScanXs): Tensor[] {
  if (xs === null || xs === undefined) return [];
  if (xs instanceof TensorClass) return [xs];
  return Object.values(xs as Record<string, Tensor>);
}

function mapXs(xs: ScanXs, f: (x: Tensor) => Tensor): unknown {
  if (xs === null || xs === undefined) return undefined;
  if (xs instanceof TensorClass) return f(xs);
  if (Array.isArray(xs)) return (xs as readonly Tensor[]).map(f);
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(xs as Record<string, Tensor>)) out[k] = f(v);
  return out;
}

/** Stack per-step outputs: tensors along a new leading axis, arrays and records leafwise. */
function stackYs(ys: unknown[]): unknown {
  const first = ys[0];
  if (first instanceof TensorClass) return stack(ys as Tensor[]);
  if (Array.isArray(first)) return first.map((_, i) => stackYs(ys.map((y) => (y as unknown[])[i])));
  if (first !== null && typeof first === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(first)) out[k] = stackYs(ys.map((y) => (y as Record<string, unknown>)[k]));
    return out;
  }
  return first === undefined ? undefined : ys;
}

/**
 * Run `f` over the leading axis of `xs`, threading `carry`; returns `[lastCarry, ys]` with the
 * per-step outputs stacked. Sites sampled inside get a leading time axis (see the module doc
 * for the enumerated, vectorized form used by `TraceEnumELBO`, the HMC/NUTS potential and
 * `enumLogDensity`).
 * @example
 * // A Gaussian random walk of 5 steps: one site "x" of shape [5].
 * const model = () =>
 *   scan((prev: Tensor, _x: undefined) => {
 *     const x = sample("x", new Normal(prev, 1));
 *     return [x, x] as [Tensor, Tensor];
 *   }, tensor(0), null, { length: 5 });
 * trace(seed(model, 0)).getTrace().get("x")!.value!.shape; // [5]
 */
export function scan<C, X extends ScanXs, Y>(
  f: (carry: C, x: ScanX<X>) => readonly [C, Y],
  init: C,
  xs: X,
  opts: ScanOptions = {},
): [C, Y | undefined] {
  const ls = leaves(xs);
  const fromXs = ls[0]?.shape[0];
  for (const l of ls)
    if (l.rank === 0 || l.shape[0] !== fromXs)
      throw new Error(
        `scan: every tensor in xs needs the same leading (time) length; got shapes ${ls.map((x) => `[${x.shape.join(", ")}]`).join(", ")}`,
      );
  const length = opts.length ?? fromXs;
  if (length === undefined) throw new Error("scan: give xs or opts.length");
  if (fromXs !== undefined && length !== fromXs)
    throw new Error(`scan: opts.length ${length} differs from the leading dim ${fromXs} of xs`);
  if (!Number.isInteger(length) || length < 1)
    throw new Error(`scan: length must be a positive integer, got ${length}`);
  if ((opts.history ?? 1) !== 1) throw new Error("scan: only history 1 (first-order Markov) is supported");
  const step = (x: Tensor) => timeStep(x, 0);
  const enumerator = activeEnumMessenger();
  if (enumerator !== null) return scanEnumerated(f, init, xs, length, enumerator, step);
  return scanSequential(f, init, xs, length);
}

/** Steps 1..T−1 of `x` along `timeDim` (shape [T−1, 1, …, 1, ...per-step shape]). */
function restAtDim(x: Tensor, timeDim: number, length: number): Tensor {
  const stepShape = x.shape.slice(1);
  const rank = -timeDim;
  if (stepShape.length > rank - 1)
    throw new Error(
      `scan under enumeration: xs values of per-step shape [${stepShape.join(", ")}] have more dims than the plates allow (time dim ${timeDim}); raise maxPlateNesting`,
    );
  const rest = slice(
    x,
    x.shape.map((_, i) => (i === 0 ? 1 : 0)),
    x.shape.map((d) => d),
  );
  return reshape(rest, [length - 1, ...new Array<number>(rank - 1 - stepShape.length).fill(1), ...stepShape]);
}

/** Marks the sites of the vectorized steps and rejects latent sites that are not enumerated. */
class ScanEnumMarker extends Messenger {
  constructor(
    readonly timeDim: number,
    readonly length: number,
  ) {
    super();
  }

  override processMessage(msg: Message): void {
    if (msg.type !== "sample") return;
    const info: ScanInfo = {
      _scanTimeDim: this.timeDim,
      _scanLength: this.length,
      _scanPrev: `_PREV_${msg.name}`,
    };
    msg.infer = { ...msg.infer, ...info };
  }

  override postprocessMessage(msg: Message): void {
    if (msg.type === "sample" && !msg.isObserved && enumDimOf(msg) === undefined)
      throw new Error(
        `scan site '${msg.name}': under enumeration the steps are vectorized, so every latent site in the body must be enumerated (infer: { enumerate: "parallel" }); continuous latents in an enumerated scan are not supported`,
      );
  }
}

function scanEnumerated<C, X extends ScanXs, Y>(
  f: (carry: C, x: ScanX<X>) => readonly [C, Y],
  init: C,
  xs: X,
  length: number,
  enumerator: EnumMessenger,
  first: (x: Tensor) => Tensor,
): [C, Y | undefined] {
  const prev = new ScopeMessenger("_PREV", {
    divider: "_",
    hideTypes: ["plate", "param", "subsample", "prngKey"],
  });
  const states = new StateRecorder();
  const [carry0, y0] = states.run(() => prev.run(() => f(init, mapXs(xs, first) as ScanX<X>)));
  if (length === 1) return [carry0, y0];
  // Vectorizing steps 1..T−1 is exact when the carry is the enumerated state (the same
  // support tensor at every step) or passes through unchanged; anything else would be
  // frozen at its step-0 value, so it is refused.
  if (!vectorizableCarry(carry0, init, states.values))
    throw new Error(
      "scan under enumeration: the carry may hold only enumerated states (the values their sample sites returned) and values passed through unchanged; a carry computed in the body cannot be vectorized over time",
    );
  const timeDim = enumerator.allocateDim();
  const rest = mapXs(xs, (x) => restAtDim(x, timeDim, length)) as ScanX<X>;
  const [carry] = new ScanEnumMarker(timeDim, length - 1).run(() => f(carry0, rest));
  // The vectorized call's outputs hold all steps along the time dim, not a stacked series.
  return [carry, undefined];
}

/** Records the values of the enumerated sample sites run inside it (step 0 of an enumerated scan). */
class StateRecorder extends Messenger {
  readonly values = new Set<Tensor>();

  override postprocessMessage(msg: Message): void {
    if (msg.type === "sample" && msg.value !== null && enumDimOf(msg) !== undefined)
      this.values.add(msg.value);
  }
}

/** Whether each leaf of `carry` is an enumerated state or the same leaf of `init`. */
function vectorizableCarry(carry: unknown, init: unknown, states: ReadonlySet<Tensor>, depth = 0): boolean {
  if (carry instanceof TensorClass) return carry === init || states.has(carry);
  if (carry === null || typeof carry !== "object") return carry === init;
  if (depth > 8) return false;
  const from = (init ?? {}) as Record<string, unknown>;
  return Object.entries(carry as Record<string, unknown>).every(([k, v]) =>
    vectorizableCarry(v, from[k], states, depth + 1),
  );
}

/** One site of a sequential scan: what the outer handlers said at step 0, and the steps so far. */
interface StepRecord {
  readonly probe: SampleMessage;
  /** Position in the outer stack where the probe stopped (postprocessing starts there). */
  readonly stopAt: number;
  /** A value for the whole series from outside (substitute, replay), sliced per step. */
  readonly outerValue: Tensor | null;
  readonly rngKey: Key | null;
  readonly values: Tensor[];
  readonly fns: DistributionLike[];
}

/** Runs inside the body of a sequential scan: holds per-step sites back and stacks them. */
class ScanStepMessenger extends Messenger {
  step = 0;
  readonly samples = new Map<string, StepRecord>();
  readonly deterministics = new Map<string, Tensor[]>();

  constructor(
    readonly length: number,
    /** Number of handlers outside the scan. */
    readonly outerDepth: number,
  ) {
    super();
  }

  override processMessage(msg: Message): void {
    if (msg.type === "sample") this.sampleStep(msg);
    else if (msg.type === "deterministic") {
      let vs = this.deterministics.get(msg.name);
      if (!vs) {
        vs = [];
        this.deterministics.set(msg.name, vs);
      }
      if (msg.value) vs.push(msg.value);
      msg.stop = true;
    }
  }

  private sampleStep(msg: SampleMessage): void {
    let rec = this.samples.get(msg.name);
    let fn: DistributionLike;
    if (!rec) {
      if (this.step !== 0)
        throw new Error(
          `scan site '${msg.name}': first appears at step ${this.step}; every step must run the same sites`,
        );
      const probe = copyMessage(msg);
      const outer = handlerStack().slice(0, this.outerDepth);
      let stopAt = 0;
      for (let i = outer.length - 1; i >= 0; i--) {
        stopAt = i;
        outer[i]?.processMessage(probe);
        if (probe.stop) break;
      }
      rec = {
        probe,
        stopAt,
        outerValue: !msg.isObserved && probe.value !== null ? probe.value : null,
        rngKey: probe.kwargs.rngKey,
        values: [],
        fns: [],
      };
      this.samples.set(msg.name, rec);
      fn = probe.fn;
    } else {
      const target = rec.probe.fn.batchShape;
      const same =
        msg.fn.batchShape.length === target.length && msg.fn.batchShape.every((d, i) => d === target[i]);
      fn = same ? msg.fn : msg.fn.expand(target);
    }
    let value: Tensor;
    if (msg.isObserved && msg.value !== null) value = msg.value;
    else if (rec.outerValue !== null) {
      if (rec.outerValue.shape[0] !== this.length)
        throw new Error(
          `scan site '${msg.name}': the value given from outside has shape [${rec.outerValue.shape.join(", ")}]; it needs a leading time axis of length ${this.length}`,
        );
      value = timeStep(rec.outerValue, this.step);
    } else {
      const k = rec.rngKey ?? msg.kwargs.rngKey;
      if (k === null)
        throw new Error(
          `scan site '${msg.name}': no random key to draw with; run the model under seed(model, key)`,
        );
      const kt = foldIn(k, this.step);
      const shape = rec.probe.kwargs.sampleShape;
      value = fn.reparametrized && fn.rsample ? fn.rsample(kt, shape) : fn.sample(kt, shape);
    }
    rec.values.push(value);
    rec.fns.push(fn);
    msg.value = value;
    msg.stop = true;
  }

  /** Send each site, stacked over the steps, to the outer handlers once. */
  finish(): void {
    const outer = handlerStack().slice(0, this.outerDepth);
    for (const [name, rec] of this.samples) {
      const final: SampleMessage = {
        ...copyMessage(rec.probe),
        stop: false,
        fn: new ScanStackedDistribution(rec.fns, name),
        value: stack(rec.values),
        infer: { ...rec.probe.infer, _scanLength: this.length },
      };
      for (let i = rec.stopAt; i < outer.length; i++) outer[i]?.postprocessMessage(final);
    }
    for (const [name, vs] of this.deterministics) {
      const msg: DeterministicMessage = {
        ...baseFields(name),
        type: "deterministic",
        name,
        value: stack(vs),
      };
      applyStackBelow(msg, this.outerDepth);
    }
  }
}

function scanSequential<C, X extends ScanXs, Y>(
  f: (carry: C, x: ScanX<X>) => readonly [C, Y],
  init: C,
  xs: X,
  length: number,
): [C, Y | undefined] {
  const outerDepth = handlerStack().length;
  const m = new ScanStepMessenger(length, outerDepth);
  let carry = init;
  const ys: Y[] = [];
  for (let t = 0; t < length; t++) {
    m.step = t;
    const x = mapXs(xs, (v) => timeStep(v, t)) as ScanX<X>;
    const [c, y] = outerDepth === 0 ? f(carry, x) : m.run(() => f(carry, x));
    carry = c;
    ys.push(y);
  }
  if (outerDepth > 0) m.finish();
  return [carry, stackYs(ys) as Y | undefined];
}
