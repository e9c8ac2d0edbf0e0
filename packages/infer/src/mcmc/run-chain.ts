/**
 * Running one chain to completion and collecting its draws and per-draw statistics in
 * flat Float64Arrays (shared by the sequential driver and the worker threads), then
 * turning the kept draws into output-site values (constrained latent sites and
 * deterministic sites), as NumPyro's `postprocess_fn` does after collection.
 * @module
 */
import type { Key } from "@scribe/core";
import { type ChainState, remainingWarmup, type StepRecord } from "./chain.js";
import { evaluateAsync, evaluateSync } from "./evaluations.js";
import { EventLoopPacer } from "./event-loop.js";
import type { MCMCKernel } from "./kernels.js";
import type { SamplerSetup } from "./setup.js";

/** Per-draw statistics recorded for every kept draw. */
export const EXTRA_FIELDS = [
  "diverging",
  "stepSize",
  "treeDepth",
  "acceptProb",
  "potentialEnergy",
  "energy",
  "numSteps",
] as const;

/** The name of one recorded statistic. */
export type ExtraField = (typeof EXTRA_FIELDS)[number];

/** Everything a finished chain hands back (structured-cloneable). */
export interface ChainResult {
  /** Kept unconstrained positions, `numSamples × dim`, row-major. */
  positions: Float64Array;
  /**
   * Output-site values of the kept draws, `numSamples × width`, row-major: for each draw the
   * values of `setup.outputSites` (constrained latent sites and deterministic sites,
   * flattened) concatenated in order, as `setup.constrainAsync` gives them.
   */
  siteValues: Float64Array;
  /** Per kept draw statistics. */
  extra: Record<ExtraField, Float64Array>;
  /** Divergent transitions during warmup. */
  warmupDivergences: number;
  /** Step size after warmup. */
  stepSize: number;
  /** Inverse mass matrix after warmup. */
  inverseMassMatrix: Float64Array;
  /** Seconds spent in warmup and in sampling. */
  warmupSeconds: number;
  sampleSeconds: number;
  /** Seconds spent computing `siteValues` (constraining draws, deterministic sites). */
  postprocessSeconds: number;
  /** The chain's state after its last iteration (to resume from; plain JSON-able data). */
  lastState: ChainState;
}

/** Iteration counts of a run. */
export interface ChainPlan {
  /** Warmup iterations to run (for a resumed chain: the rest of its warmup, or 0). */
  numWarmup: number;
  numSamples: number;
  thinning: number;
  /**
   * Stop after this many iterations of the plan (a checkpoint mid-warmup: the chain's
   * {@link ChainResult.lastState} then carries its adaptation statistics).
   */
  stopAfter?: number;
}

/** Called after every iteration of a chain (warmup included). */
export type IterationHook = (iteration: number, rec: StepRecord) => void;

const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

/**
 * Output-site values of `n` kept positions (`n × setup.dim`, row-major), `n × width`, by
 * `setup.constrainAsync` (one `await` per chunk of draws, on every backend). Runs once per
 * chain after sampling, never inside the sampler.
 */
export async function siteValuesOfAsync(
  setup: SamplerSetup,
  positions: Float64Array,
  n: number,
): Promise<Float64Array> {
  const out = await setup.constrainAsync(positions, n);
  if (n > 0 && out.length % n !== 0)
    throw new Error(
      `MCMC: ${out.length} output values for ${n} draws (does a deterministic site change shape between draws?)`,
    );
  return out;
}

/** What a running chain checks between iterations. */
export interface ChainControl {
  /** Stops the chain between two iterations with an error naming where. */
  signal?: AbortSignal;
  /** Describes the chain in messages (e.g. "chain 2"). */
  label?: string;
}

/** Throw the error of an aborted run, naming where it stopped. */
export function throwIfAborted(signal: AbortSignal | undefined, where: string): void {
  if (signal?.aborted) throw new Error(`MCMC: run aborted ${where}`, { cause: signal.reason });
}

/**
 * Run one chain: `numWarmup` adapting iterations, then `numSamples × thinning`, keeping
 * every `thinning`-th. With `from`, the chain continues from that saved state instead
 * (pass `numWarmup: remainingWarmup(from)`, 0 unless it was saved mid-warmup; `k` is then
 * unused). With `plan.stopAfter`, only that many iterations run.
 *
 * The tree logic runs here on the host in float64; the potential runs on the setup's
 * backend. With a plain-JavaScript potential no iteration awaits anything; a tensor
 * potential is one `await` per evaluation (a microtask on the cpu). Either way the event
 * loop gets a turn about every 25 ms, and `control.signal` is checked between iterations.
 */
export async function runChain(
  kernel: MCMCKernel,
  setup: SamplerSetup,
  k: Key,
  plan: ChainPlan,
  hook?: IterationHook,
  from?: ChainState,
  control: ChainControl = {},
): Promise<ChainResult> {
  const { numWarmup, numSamples, thinning } = plan;
  if (from && numWarmup !== remainingWarmup(from))
    throw new Error(
      `runChain: a chain resumed from a saved state runs the rest of its warmup (${remainingWarmup(from)} iterations), not ${numWarmup}`,
    );
  const { signal } = control;
  const label = control.label ?? "chain";
  const dim = setup.dim;
  const sync = setup.potential;
  const pacer = new EventLoopPacer();
  const t0 = now();
  const chain = kernel.createChain(setup, k, numWarmup, from);
  if (sync) evaluateSync(chain.initialize(), sync);
  else await evaluateAsync(chain.initialize(), setup.potentialAsync);
  const positions = new Float64Array(numSamples * dim);
  const extra = Object.fromEntries(EXTRA_FIELDS.map((f) => [f, new Float64Array(numSamples)])) as Record<
    ExtraField,
    Float64Array
  >;
  let warmupDivergences = 0;
  const total = Math.min(numWarmup + numSamples * thinning, plan.stopAfter ?? Number.POSITIVE_INFINITY);
  let kept = 0;
  let t1 = t0;
  for (let it = 0; it < total; it++) {
    if (it === numWarmup) t1 = now();
    const rec = sync
      ? evaluateSync(chain.transition(), sync)
      : await evaluateAsync(chain.transition(), setup.potentialAsync);
    if (it < numWarmup) {
      if (rec.diverging) warmupDivergences++;
    } else if ((it - numWarmup) % thinning === thinning - 1) {
      positions.set(chain.state.z, kept * dim);
      extra.diverging[kept] = rec.diverging ? 1 : 0;
      extra.stepSize[kept] = rec.stepSize;
      extra.treeDepth[kept] = rec.treeDepth;
      extra.acceptProb[kept] = rec.acceptProb;
      extra.potentialEnergy[kept] = rec.potentialEnergy;
      extra.energy[kept] = rec.energy;
      extra.numSteps[kept] = rec.numSteps;
      kept++;
    }
    hook?.(it, rec);
    // Awaits that resolve at once (the cpu) give the event loop no turn: pace both paths.
    if (pacer.due()) await pacer.pause();
    throwIfAborted(signal, `in ${label} after iteration ${it + 1} of ${total}`);
  }
  if (numWarmup >= total) t1 = now();
  const t2 = now();
  const siteValues = await siteValuesOfAsync(setup, positions, numSamples);
  const t3 = now();
  return {
    positions,
    siteValues,
    extra,
    warmupDivergences,
    stepSize: chain.stepSize,
    inverseMassMatrix: Float64Array.from(chain.mass.inverse),
    warmupSeconds: (t1 - t0) / 1000,
    sampleSeconds: (t2 - t1) / 1000,
    postprocessSeconds: (t3 - t2) / 1000,
    lastState: chain.getState(),
  };
}
