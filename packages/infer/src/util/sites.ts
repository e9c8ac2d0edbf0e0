/**
 * Trace plumbing for inference algorithms: running a model under seed/substitute/replay,
 * listing its params and latent sites, mapping params between constrained and
 * unconstrained space, and checking that a guide's sites fit the model's.
 * @module
 */
import {
  broadcastShapes,
  type ConstraintLike,
  type Key,
  type ParamMessage,
  paramTransform,
  replay,
  type SampleMessage,
  type SiteValues,
  seed,
  substitute,
  type Tensor,
  type Trace,
  trace,
} from "@scribe/core";
import { ensureParamTransform } from "../install-transforms.js";

/** How to run a model for {@link runTrace}. */
export interface RunTraceOptions {
  /** Seed for the random sites (a key or an integer). */
  rngKey?: Key | number;
  /** Values substituted into params / sites by name (innermost: applied before replay). */
  params?: SiteValues;
  /** A trace whose latent values and plate indices are replayed. */
  replayTrace?: Trace;
}

/**
 * Trace `fn(...args)` under (from outside in) replay, substitute and seed, as SVI does.
 * @example
 * const guide = () => sample("mu", new Normal(param("loc", tensor(0)), 0.1));
 * const tr = runTrace(guide, [], { rngKey: key(0), params: { loc: tensor(2) } });
 * tr.get("mu")!.value; // a draw from N(2, 0.1)
 */
export function runTrace<A extends unknown[]>(
  fn: (...args: A) => unknown,
  args: A,
  opts: RunTraceOptions = {},
): Trace {
  let f = fn;
  if (opts.rngKey !== undefined) f = seed(f, opts.rngKey);
  if (opts.params) f = substitute(f, opts.params);
  if (opts.replayTrace) f = replay(f, opts.replayTrace);
  return trace(f).getTrace(...args);
}

/** A param site as inference code needs it. */
export interface ParamSiteInfo {
  readonly name: string;
  /** The value the trace recorded (after any plate slicing). */
  readonly value: Tensor;
  readonly constraint: ConstraintLike | null;
  readonly eventDim: number | null;
}

/** The param sites of a trace, in order (a repeated name appears once). */
export function paramSites(tr: Trace): ParamSiteInfo[] {
  const out: ParamSiteInfo[] = [];
  for (const s of tr.values()) {
    if (s.type !== "param") continue;
    const p = s as ParamMessage;
    if (p.value === null) continue;
    out.push({ name: p.name, value: p.value, constraint: p.kwargs.constraint, eventDim: p.kwargs.eventDim });
  }
  return out;
}

/** Latent (unobserved) sample sites of a trace, in order. */
export function latentSites(tr: Trace): SampleMessage[] {
  return [...tr.values()].filter((s): s is SampleMessage => s.type === "sample" && !s.isObserved);
}

/** Observed sample sites of a trace, in order. */
export function observedSites(tr: Trace): SampleMessage[] {
  return [...tr.values()].filter((s): s is SampleMessage => s.type === "sample" && s.isObserved);
}

/** Constraint of each param site, by name. */
export function paramConstraints(tr: Trace): Map<string, ConstraintLike | null> {
  return new Map(paramSites(tr).map((p) => [p.name, p.constraint] as const));
}

/**
 * Map unconstrained params to their constrained values using the installed param
 * transform (`setParamTransform`); names without a constraint pass through.
 */
export function constrainParams(
  unconstrained: Readonly<Record<string, Tensor>>,
  constraints: ReadonlyMap<string, ConstraintLike | null>,
): Record<string, Tensor> {
  ensureParamTransform();
  const out: Record<string, Tensor> = {};
  for (const [k, u] of Object.entries(unconstrained))
    out[k] = paramTransform(constraints.get(k) ?? null).forward(u);
  return out;
}

/** The inverse of {@link constrainParams}. */
export function unconstrainParams(
  constrained: Readonly<Record<string, Tensor>>,
  constraints: ReadonlyMap<string, ConstraintLike | null>,
): Record<string, Tensor> {
  ensureParamTransform();
  const out: Record<string, Tensor> = {};
  for (const [k, x] of Object.entries(constrained))
    out[k] = paramTransform(constraints.get(k) ?? null).inverse(x);
  return out;
}

/**
 * Initial params of a model or guide: run it once under `seed` and collect each param
 * site's value (constrained) and constraint.
 */
export function initialParams<A extends unknown[]>(
  fn: (...args: A) => unknown,
  args: A,
  rngKey: Key | number,
): { params: Record<string, Tensor>; constraints: Map<string, ConstraintLike | null>; trace: Trace } {
  const tr = runTrace(fn, args, { rngKey });
  const params: Record<string, Tensor> = {};
  for (const p of paramSites(tr)) params[p.name] = p.value;
  return { params, constraints: paramConstraints(tr), trace: tr };
}

/**
 * Check that the guide covers the model's latent sites with shapes that broadcast, and
 * that the guide has no latent site the model lacks (auxiliary sites excepted). Throws an
 * error naming the site and both shapes.
 */
export function checkModelGuideMatch(modelTrace: Trace, guideTrace: Trace): void {
  const modelLatent = new Map(latentSites(modelTrace).map((s) => [s.name, s] as const));
  for (const g of latentSites(guideTrace)) {
    if (g.infer.isAuxiliary) continue;
    const m = modelTrace.get(g.name);
    if (!m)
      throw new Error(
        `guide site '${g.name}' is not a site of the model (rename it, or mark it { infer: { isAuxiliary: true } })`,
      );
    if (m.type !== "sample" || m.isObserved)
      throw new Error(
        `guide site '${g.name}' is ${m.type === "sample" ? "observed" : `a ${m.type} site`} in the model`,
      );
  }
  for (const [name, m] of modelLatent) {
    const g = guideTrace.get(name);
    if (g?.type !== "sample") continue;
    const ms = [...m.fn.batchShape, ...m.fn.eventShape];
    const gs = [...g.fn.batchShape, ...g.fn.eventShape];
    try {
      broadcastShapes(ms, gs);
    } catch {
      throw new Error(
        `site '${name}': model shape [${ms.join(", ")}] and guide shape [${gs.join(", ")}] do not broadcast`,
      );
    }
  }
}
