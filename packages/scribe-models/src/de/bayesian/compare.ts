/**
 * `compare(A, B, options)`: Bayesian differential expression between two fitted conditions
 * (SCRIBE `scribe.de`), by the empirical, parametric or shrinkage method.
 * @module
 */
import { foldIn, key as makeKey } from "@scribe/core";
import { ScribeResults } from "../../results/results.js";
import { type BiologicalOptions, biologicalLevel } from "./biological.js";
import { BayesianComparison } from "./comparison.js";
import { type DrawSource, drawsSource, type PosteriorDraws, resultsSource } from "./draw-source.js";
import { type EmpiricalOptions, empiricalDelta } from "./empirical.js";
import { fitLogisticNormal, type LogisticNormalFit } from "./logistic-normal.js";
import { ParametricPosterior } from "./parametric.js";
import { type ShrinkageOptions, ShrinkagePosterior } from "./shrinkage.js";

/** What can be compared: fitted results, posterior draws, or a fitted logistic-normal. */
export type CompareInput = ScribeResults | DrawSource | PosteriorDraws | LogisticNormalFit;

/** Options of {@link compare}. */
export interface CompareOptions extends EmpiricalOptions {
  /** "empirical" (default for results and draws), "parametric" (default for logistic-normal fits) or "shrinkage" (empirical, then shrunk). */
  method?: "empirical" | "parametric" | "shrinkage";
  /** Names of the two sides (default "A", "B"). */
  labelA?: string;
  labelB?: string;
  /** Parametric: rank of the logistic-normal fits (default min(genes, 50, draws − 1)). */
  rank?: number;
  /** Shrinkage settings. */
  shrinkage?: ShrinkageOptions;
  /** Also compute the biological level (LFC, LVR, Jeffreys; see `biologicalLevel`). */
  computeBiological?: boolean;
  /** τ of the biological quantities. */
  tauLfc?: BiologicalOptions["tauLfc"];
  tauVar?: BiologicalOptions["tauVar"];
  tauKl?: BiologicalOptions["tauKl"];
}

function isLogisticNormal(x: CompareInput): x is LogisticNormalFit {
  return (x as LogisticNormalFit).kind === "logistic-normal";
}

function toSource(x: Exclude<CompareInput, LogisticNormalFit>, label: string): DrawSource {
  if (x instanceof ScribeResults) return resultsSource(x, label);
  if ("batch" in x) return x;
  return drawsSource(x);
}

/**
 * Put B's genes in A's order when both results hold the same genes in another order; different
 * gene sets are an error naming a gene found on one side only.
 */
function alignGenes(a: ScribeResults, b: ScribeResults, la: string, lb: string): ScribeResults {
  const na = a.varNames;
  const nb = b.varNames;
  if (na.length === nb.length && na.every((g, i) => g === nb[i])) return b;
  const setB = new Set(nb);
  const onlyA = na.find((g) => !setB.has(g));
  const setA = new Set(na);
  const onlyB = nb.find((g) => !setA.has(g));
  if (onlyA !== undefined || onlyB !== undefined || na.length !== nb.length)
    throw new Error(
      `${la} and ${lb} were fitted on different genes (${na.length} vs ${nb.length}${onlyA !== undefined ? `; ${JSON.stringify(onlyA)} only in ${la}` : ""}${onlyB !== undefined ? `; ${JSON.stringify(onlyB)} only in ${lb}` : ""})`,
    );
  return b.subsetGenes(na);
}

/**
 * Compare condition A with condition B: Δ = lr(ρ_A) − lr(ρ_B) per gene.
 * @example
 * const cmp = await compare(resultsTreated, resultsControl, { tau: Math.log(1.5), labelA: "treated", labelB: "control" });
 * const { rows, pefp } = cmp.toTable({ tau: Math.log(1.5), targetPefp: 0.05 });
 */
export async function compare(
  a: CompareInput,
  b: CompareInput,
  opts: CompareOptions = {},
): Promise<BayesianComparison> {
  const labelA = opts.labelA ?? "A";
  const labelB = opts.labelB ?? "B";
  const reference = opts.reference ?? "clr";
  const lnA = isLogisticNormal(a);
  const lnB = isLogisticNormal(b);
  if (lnA !== lnB)
    throw new Error("compare: give two logistic-normal fits or two sets of results/draws, not one of each");
  const method = opts.method ?? (lnA ? "parametric" : "empirical");
  if (lnA && method !== "parametric")
    throw new Error(
      `compare: logistic-normal fits support only method "parametric", not ${JSON.stringify(method)}`,
    );
  if (a instanceof ScribeResults && b instanceof ScribeResults) b = alignGenes(a, b, labelA, labelB);

  if (method === "parametric") {
    const seed = opts.seed ?? 42;
    const baseKey = typeof seed === "number" ? makeKey(seed) : seed;
    const [fa, fb] = lnA
      ? [a as LogisticNormalFit, b as LogisticNormalFit]
      : await Promise.all(
          (
            [
              [a, opts.componentA, labelA, 1],
              [b, opts.componentB, labelB, 2],
            ] as const
          ).map(([x, component, label, side]) =>
            fitLogisticNormal(toSource(x as Exclude<CompareInput, LogisticNormalFit>, label), {
              component,
              ...(opts.mixtureWeighted !== undefined ? { mixtureWeighted: opts.mixtureWeighted } : {}),
              ...(opts.rank !== undefined ? { rank: opts.rank } : {}),
              ...(opts.nSamples !== undefined ? { nSamples: opts.nSamples } : {}),
              ...(opts.nSamplesDirichlet !== undefined ? { nSamplesDirichlet: opts.nSamplesDirichlet } : {}),
              ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
              ...(opts.geneMask !== undefined ? { geneMask: opts.geneMask } : {}),
              seed: foldIn(baseKey, side),
            }),
          ),
        );
    const biological = opts.computeBiological && !lnA ? await bio(a, b, opts, labelA, labelB) : null;
    const post = new ParametricPosterior(fa!, fb!, {
      reference,
      ...(opts.alrReference !== undefined ? { alrReference: opts.alrReference } : {}),
    });
    return new BayesianComparison(post, {
      labelA,
      labelB,
      reference,
      biological,
    });
  }
  if (lnA) throw new Error("unreachable");
  const sa = toSource(a as Exclude<CompareInput, LogisticNormalFit>, labelA);
  const sb = toSource(b as Exclude<CompareInput, LogisticNormalFit>, labelB);
  const post = await empiricalDelta(sa, sb, opts);
  const biological = opts.computeBiological ? await biologicalLevel(sa, sb, bioOptions(opts)) : null;
  const final = method === "shrinkage" ? new ShrinkagePosterior(post, opts.shrinkage ?? {}) : post;
  if (method !== "empirical" && method !== "shrinkage")
    throw new Error(
      `compare: unknown method ${JSON.stringify(method)}; expected empirical, parametric or shrinkage`,
    );
  return new BayesianComparison(final, { labelA, labelB, reference, biological });
}

function bioOptions(opts: CompareOptions): BiologicalOptions {
  const o: BiologicalOptions = {};
  for (const k of [
    "nSamples",
    "batchSize",
    "seed",
    "componentA",
    "componentB",
    "tauLfc",
    "tauVar",
    "tauKl",
  ] as const)
    if (opts[k] !== undefined) (o as Record<string, unknown>)[k] = opts[k];
  return o;
}

async function bio(a: CompareInput, b: CompareInput, opts: CompareOptions, la: string, lb: string) {
  return biologicalLevel(
    toSource(a as Exclude<CompareInput, LogisticNormalFit>, la),
    toSource(b as Exclude<CompareInput, LogisticNormalFit>, lb),
    bioOptions(opts),
  );
}
