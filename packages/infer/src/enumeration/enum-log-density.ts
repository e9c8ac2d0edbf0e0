/**
 * Log-densities with enumerated discrete sites summed out: the contraction of a trace run
 * under `enumerate`, `enumLogDensity(model, args, params)` (NumPyro's
 * `contrib.funsor.log_density`), and the model wrapping the HMC/NUTS potential uses.
 * @module
 */
import {
  enumerate,
  type Key,
  type SiteValues,
  seed,
  substitute,
  type Tensor,
  type Trace,
  trace,
} from "@scribe/core";
import { traceLogDensity } from "../util/log-density.js";
import { contractFactors, type Factor } from "./contract.js";
import {
  hasEnumeratedSites,
  maxPlateNestingOf,
  type SiteFactor,
  type TraceFactors,
  traceFactors,
} from "./factors.js";
import { contractScan, scanChain } from "./markov-chain.js";
import { contractMarkovLoops } from "./markov-loop.js";

/**
 * The log-density of a trace with its enumerated dims summed out (or maximized, with
 * `semiring: "max"`) exactly; equals `traceLogDensity` when nothing was enumerated.
 */
export function contractTrace(tr: Trace, semiring: "sum" | "max" = "sum"): Tensor {
  if (!hasEnumeratedSites(tr) && semiring === "sum") return traceLogDensity(tr);
  const tf = traceFactors(tr);
  const { rest, contracted, eliminated } = contractSequences(tf, semiring);
  const factors: Factor[] = [...rest, ...contracted];
  const sumDims = new Set([...tf.enumSites.keys()].filter((d) => !eliminated.has(d)));
  if (factors.length === 0) throw new Error("enumeration: the trace has no sample sites");
  return contractFactors(factors, tf.plates, { rank: tf.rank, sumDims, semiring }).sum();
}

/**
 * The sequential parts of a trace contracted: each `markov` loop (enumeration/markov-loop.ts)
 * and each enumerated `scan` (enumeration/markov-chain.ts) becomes one factor over its plates
 * and the enumerated variables from outside it. `rest` are the site factors no loop or scan
 * consumed; `eliminated` the enumeration dims already summed (or maximized) out.
 */
export function contractSequences(
  tf: TraceFactors,
  semiring: "sum" | "max" = "sum",
): { rest: SiteFactor[]; contracted: Factor[]; eliminated: Set<number> } {
  const top = contractMarkovLoops(tf.factors, tf, semiring);
  const contracted: Factor[] = top.loops.map((l) => l.factor);
  const eliminated = new Set<number>(top.chainDims);
  for (const [timeDim, group] of tf.scans) {
    // a loop in the scan's body is local to each step: contracted there, over all steps at once
    const steps = contractMarkovLoops(group, tf, semiring);
    const chain = scanChain(timeDim, steps.rest, tf);
    for (const d of [...chain.curDims, ...steps.chainDims]) eliminated.add(d);
    contracted.push(contractScan(chain, [...steps.rest, ...steps.loops.map((l) => l.factor)], tf, semiring));
  }
  return { rest: top.rest, contracted, eliminated };
}

/** Options of {@link enumLogDensity}. */
export interface EnumLogDensityOptions {
  /** Plate dims the model uses; default: found by one seeded run of the model. */
  maxPlateNesting?: number;
}

/**
 * Run `model(...args)` under `enumerate` with `params` substituted and return its log-density
 * with the enumerated sites summed out, and the trace.
 * @example
 * const model = () => {
 *   const z = sample("z", Bernoulli({ probs: 0.3 }), { infer: { enumerate: "parallel" } });
 *   sample("x", new Normal(z, 1), { obs: tensor(0.8) });
 * };
 * enumLogDensity(model, [], {}).logJoint; // log(0.7·N(0.8 | 0, 1) + 0.3·N(0.8 | 1, 1))
 */
export function enumLogDensity<A extends unknown[]>(
  model: (...args: A) => unknown,
  args: A,
  params: SiteValues,
  opts: EnumLogDensityOptions = {},
): { logJoint: Tensor; trace: Trace } {
  const maxPlateNesting = opts.maxPlateNesting ?? guessMaxPlateNesting(substitute(model, params), args);
  const tr = trace(enumerate(substitute(model, params), { maxPlateNesting })).getTrace(...args);
  return { logJoint: contractTrace(tr), trace: tr };
}

/** The plate nesting of one seeded run of `model`. */
export function guessMaxPlateNesting<A extends unknown[]>(
  model: (...args: A) => unknown,
  args: A,
  rngKey: Key | number = 0,
): number {
  return maxPlateNestingOf(trace(seed(model, rngKey)).getTrace(...args));
}

/** True when some sample site of the trace asks for enumeration. */
export function wantsEnumeration(tr: Trace): boolean {
  for (const s of tr.values()) if (s.type === "sample" && s.infer.enumerate === "parallel") return true;
  return false;
}

/**
 * `model` wrapped in `enumerate` (with the plate nesting of its prototype trace `tr`) when
 * some site asks for enumeration, else `model` itself: what the HMC/NUTS potential runs.
 */
export function marginalizedModel<A extends unknown[]>(
  model: (...args: A) => unknown,
  tr: Trace,
): (...args: A) => unknown {
  if (!wantsEnumeration(tr)) return model;
  return enumerate(model, { maxPlateNesting: maxPlateNestingOf(tr) });
}
