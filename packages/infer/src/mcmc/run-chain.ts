/**
 * Running one chain to completion and collecting its draws and per-draw statistics in
 * flat Float64Arrays (shared by the sequential driver and the worker threads).
 * @module
 */
import type { Key } from "@scribe/core";
import type { StepRecord } from "./chain.js";
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
}

/** Iteration counts of a run. */
export interface ChainPlan {
  numWarmup: number;
  numSamples: number;
  thinning: number;
}

/** Called after every iteration of a chain (warmup included). */
export type IterationHook = (iteration: number, rec: StepRecord) => void;

const now = (): number => (typeof performance !== "undefined" ? performance.now() : Date.now());

/** Run one chain: `numWarmup` adapting iterations, then `numSamples × thinning`, keeping every `thinning`-th. */
export function runChain(
  kernel: MCMCKernel,
  setup: SamplerSetup,
  k: Key,
  plan: ChainPlan,
  hook?: IterationHook,
): ChainResult {
  const { numWarmup, numSamples, thinning } = plan;
  const dim = setup.dim;
  const t0 = now();
  const chain = kernel.createChain(setup, k, numWarmup);
  const positions = new Float64Array(numSamples * dim);
  const extra = Object.fromEntries(EXTRA_FIELDS.map((f) => [f, new Float64Array(numSamples)])) as Record<
    ExtraField,
    Float64Array
  >;
  let warmupDivergences = 0;
  const total = numWarmup + numSamples * thinning;
  let kept = 0;
  let t1 = t0;
  for (let it = 0; it < total; it++) {
    if (it === numWarmup) t1 = now();
    const rec = chain.step();
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
  }
  if (numWarmup === total) t1 = now();
  const t2 = now();
  return {
    positions,
    extra,
    warmupDivergences,
    stepSize: chain.stepSize,
    inverseMassMatrix: Float64Array.from(chain.mass.inverse),
    warmupSeconds: (t1 - t0) / 1000,
    sampleSeconds: (t2 - t1) / 1000,
  };
}
