/**
 * Comparing SCRIBE fits of the same cells (SCRIBE `scribe.mc` `compare_models`), with cells as the
 * observations: PSIS-LOO and WAIC of the per-cell log-likelihood, ranking with paired SEs,
 * stacking and pseudo-BMA weights, k̂ diagnostics and per-gene comparison. The criteria are
 * the standard ones of `@scribe/infer` (R `loo` 2.x), not SCRIBE's: its PSIS truncates the
 * unnormalised log-weights at min(max, 0.75 log S), which for per-cell log-likelihoods of
 * order −10³ flattens the whole tail; its WAIC variance and rank SE use divisor S and n.
 * @module
 */
import type { Tensor } from "@scribe/core";
import {
  formatParetoKTable,
  looCompare,
  type PseudoBmaOptions,
  type PsisLooResult,
  pseudoBmaWeights,
  psisLoo,
  stackingWeights,
  type WaicResult,
  waic,
} from "@scribe/infer";
import type { ScribeResults } from "../results/results.js";
import { type GeneComparisonRow, geneLevelComparison } from "./gene-comparison.js";
import { fitRelativeEff } from "./loo-reff.js";
import {
  type PointwiseLogLik,
  type PointwiseLogLikOptions,
  pointwiseLogLikelihoods,
} from "./pointwise-log-likelihood.js";

/** Options of {@link compareModels}. */
export interface CompareModelsOptions extends PointwiseLogLikOptions {
  /** Model names (default the model types, made unique). */
  modelNames?: readonly string[];
}

/** One row of {@link ModelComparison.rank}. */
export interface ModelRankRow {
  readonly rank: number;
  readonly name: string;
  /** elpd (PSIS-LOO or WAIC) and its SE. */
  readonly elpd: number;
  readonly se: number;
  /** Difference from the best model and its SE from the paired per-cell differences. */
  readonly elpdDiff: number;
  readonly seDiff: number;
  /** elpdDiff / seDiff (0 for the best). */
  readonly z: number;
  /** Effective number of parameters (p_loo or p_waic). */
  readonly p: number;
  /** Cells with k̂ above the sample-size threshold (PSIS-LOO; 0 for WAIC). */
  readonly nBadK: number;
  /** Stacking weight. */
  readonly stackingWeight: number;
  /** Pseudo-BMA weight ∝ exp(elpd) (no bootstrap). */
  readonly pseudoBmaWeight: number;
}

/** Per-model diagnostics of {@link ModelComparison.diagnostics}. */
export interface ModelDiagnostics {
  readonly name: string;
  readonly kThreshold: number;
  readonly nBadK: number;
  readonly maxK: number;
  /** Cells with p_waic,i > 0.4. */
  readonly nLargePWaic: number;
  /** The k̂ table as text. */
  readonly table: string;
}

/**
 * The log-likelihoods of several fits of the same cells, with the comparison criteria
 * computed on demand (and cached). Build it with {@link compareModels}.
 */
export class ModelComparison {
  private looCache: PsisLooResult[] | null = null;
  private waicCache: WaicResult[] | null = null;
  private stackCache: Float64Array | null = null;

  constructor(
    /** Model names, in input order. */
    readonly modelNames: readonly string[],
    /** Per-model per-cell and per-gene log-likelihood matrices. */
    readonly logLik: readonly PointwiseLogLik[],
    /** Gene names. */
    readonly geneNames: readonly string[],
    /**
     * Per-model r_eff of the per-cell log-likelihood for PSIS-LOO (MCMC fits, see
     * comparison/loo-reff.ts), null or absent for independent draws (r_eff = 1).
     */
    readonly relativeEff: readonly (Float64Array | null)[] = [],
  ) {
    if (modelNames.length < 2)
      throw new Error(`compareModels: need at least 2 models, got ${modelNames.length}`);
  }

  /** Number of cells (observations). */
  get nCells(): number {
    return this.logLik[0]!.perCell.nObs;
  }

  /** WAIC of each model (cells as observations). */
  waic(): WaicResult[] {
    this.waicCache ??= this.logLik.map((l) => waic(l.perCell));
    return this.waicCache;
  }

  /** PSIS-LOO of each model (cells as observations; r_eff from the chains for MCMC fits, else 1). */
  psisLoo(): PsisLooResult[] {
    this.looCache ??= this.logLik.map((l, k) => {
      const rEff = this.relativeEff[k];
      return psisLoo(l.perCell, rEff ? { rEff } : {});
    });
    return this.looCache;
  }

  /** Stacking weights on the pointwise elpd_loo. */
  stackingWeights(): Float64Array {
    this.stackCache ??= stackingWeights(this.psisLoo().map((r) => r.pointwise.elpdLoo));
    return this.stackCache;
  }

  /** Pseudo-BMA+ weights (Bayesian bootstrap, seeded) on the pointwise elpd_loo. */
  pseudoBmaWeights(opts: PseudoBmaOptions = {}): Promise<Float64Array> {
    return pseudoBmaWeights(
      this.psisLoo().map((r) => r.pointwise.elpdLoo),
      opts,
    );
  }

  /** Models ranked by elpd, best first (`looCompare`), with weights and k̂ counts. */
  rank(criterion: "psis_loo" | "waic" = "psis_loo"): ModelRankRow[] {
    const loo = criterion === "psis_loo";
    const res = loo ? this.psisLoo() : this.waic();
    const pointwise = res.map((r) => ("elpdLoo" in r ? r.pointwise.elpdLoo : r.pointwise.elpdWaic));
    const table = looCompare(this.modelNames.map((name, k) => ({ name, elpd: pointwise[k]! })));
    const stack = this.stackingWeights();
    const totals = table.map((r) => r.elpd);
    const best = Math.max(...totals);
    const z = this.modelNames.map((_, k) => Math.exp(table.find((r) => r.index === k)!.elpd - best));
    const zs = z.reduce((a, b) => a + b, 0);
    return table.map((r, i) => {
      const m = res[r.index]!;
      return {
        rank: i + 1,
        name: r.name,
        elpd: r.elpd,
        se: r.seElpd,
        elpdDiff: r.elpdDiff,
        seDiff: r.seDiff,
        z: r.seDiff > 0 ? r.elpdDiff / r.seDiff : 0,
        p: "pLoo" in m ? m.pLoo.estimate : m.pWaic.estimate,
        nBadK: "nBadK" in m ? m.nBadK : 0,
        stackingWeight: stack[r.index]!,
        pseudoBmaWeight: z[r.index]! / zs,
      };
    });
  }

  /** The PSIS-LOO ranking as a text table. */
  summary(criterion: "psis_loo" | "waic" = "psis_loo"): string {
    const rows = this.rank(criterion);
    const w = Math.max(5, ...rows.map((r) => r.name.length));
    const head = `${"rank".padStart(4)}  ${"model".padEnd(w)}  ${"elpd".padStart(12)}  ${"se".padStart(8)}  ${"elpd_diff".padStart(10)}  ${"se_diff".padStart(8)}  ${"p".padStart(8)}  ${"bad k".padStart(5)}  ${"stacking".padStart(8)}`;
    const lines = rows.map(
      (r) =>
        `${String(r.rank).padStart(4)}  ${r.name.padEnd(w)}  ${r.elpd.toFixed(2).padStart(12)}  ${r.se.toFixed(2).padStart(8)}  ${r.elpdDiff.toFixed(2).padStart(10)}  ${r.seDiff.toFixed(2).padStart(8)}  ${r.p.toFixed(2).padStart(8)}  ${String(r.nBadK).padStart(5)}  ${r.stackingWeight.toFixed(4).padStart(8)}`,
    );
    return [
      `${criterion === "psis_loo" ? "PSIS-LOO" : "WAIC"} over ${this.nCells} cells (S = ${this.logLik[0]!.perCell.nDraws} draws)`,
      head,
      ...lines,
    ].join("\n");
  }

  /** k̂ and p_waic diagnostics per model. */
  diagnostics(): ModelDiagnostics[] {
    const w = this.waic();
    return this.psisLoo().map((r, k) => ({
      name: this.modelNames[k]!,
      kThreshold: r.kThreshold,
      nBadK: r.nBadK,
      maxK: Math.max(...r.pointwise.paretoK),
      nLargePWaic: w[k]!.nLargePWaic,
      table: formatParetoKTable(r),
    }));
  }

  /** Per-model per-gene elpd_waic (from the per-gene log-likelihoods). */
  geneElpd(): Float64Array[] {
    return this.logLik.map((l, k) => {
      if (!l.perGene)
        throw new Error(
          `model '${this.modelNames[k]}': per-gene log-likelihoods were not computed (perGene: false)`,
        );
      return waic(l.perGene).pointwise.elpdWaic;
    });
  }

  /** Gene-by-gene comparison of two models (by name or index); see {@link geneLevelComparison}. */
  geneLevelComparison(a: string | number, b: string | number): GeneComparisonRow[] {
    const ia = this.index(a);
    const ib = this.index(b);
    const la = this.logLik[ia]!.perGene;
    const lb = this.logLik[ib]!.perGene;
    if (!la || !lb)
      throw new Error("geneLevelComparison: per-gene log-likelihoods were not computed (perGene: false)");
    return geneLevelComparison(la, lb, {
      names: [this.modelNames[ia]!, this.modelNames[ib]!],
      geneNames: this.geneNames,
    });
  }

  private index(m: string | number): number {
    const i = typeof m === "number" ? m : this.modelNames.indexOf(m);
    if (i < 0 || i >= this.modelNames.length)
      throw new Error(`no model ${JSON.stringify(m)}; models: ${this.modelNames.join(", ")}`);
    return i;
  }
}

/**
 * Compare fits of the same cells and genes: per-cell (and per-gene) log-likelihoods over
 * `nSamples` posterior draws of each (see {@link pointwiseLogLikelihoods}; MCMC fits: their
 * stored draws, with PSIS-LOO's r_eff from the chains, comparison/loo-reff.ts), then the
 * criteria of {@link ModelComparison}. Fits on other cells or genes than `counts` are an error.
 * @example
 * const cmp = await compareModels([nbdm, zinb], counts, { modelNames: ["nbdm", "zinb"], nSamples: 500 });
 * console.log(cmp.summary());
 * cmp.stackingWeights();
 */
export async function compareModels(
  results: readonly ScribeResults[],
  counts: Tensor,
  opts: CompareModelsOptions = {},
): Promise<ModelComparison> {
  if (results.length < 2) throw new Error(`compareModels: need at least 2 fits, got ${results.length}`);
  const names = opts.modelNames
    ? [...opts.modelNames]
    : uniqueNames(results.map((r) => r.modelType + (r.nComponents > 1 ? `_mix${r.nComponents}` : "")));
  if (names.length !== results.length)
    throw new Error(`compareModels: ${names.length} model names for ${results.length} fits`);
  if (new Set(names).size !== names.length)
    throw new Error(`compareModels: model names must be distinct, got ${names.join(", ")}`);
  const first = results[0]!;
  results.forEach((r, k) => {
    if (r.nCells !== first.nCells || r.nGenes !== first.nGenes)
      throw new Error(
        `compareModels: fit '${names[k]}' has ${r.nCells} cells × ${r.nGenes} genes, '${names[0]}' has ${first.nCells} × ${first.nGenes}`,
      );
    const badGene = r.varNames.findIndex((g, i) => g !== first.varNames[i]);
    if (badGene >= 0)
      throw new Error(
        `compareModels: fit '${names[k]}' has gene '${r.varNames[badGene]}' at position ${badGene}, '${names[0]}' has '${first.varNames[badGene]}'`,
      );
    const badCell = r.obsNames.findIndex((c, i) => c !== first.obsNames[i]);
    if (badCell >= 0)
      throw new Error(
        `compareModels: fit '${names[k]}' has cell '${r.obsNames[badCell]}' at position ${badCell}, '${names[0]}' has '${first.obsNames[badCell]}'`,
      );
  });
  const lls: PointwiseLogLik[] = [];
  for (const r of results) lls.push(await pointwiseLogLikelihoods(r, counts, opts));
  const rEff = lls.map((l, k) => fitRelativeEff(results[k]!, l.perCell));
  return new ModelComparison(names, lls, first.varNames, rEff);
}

function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const c = (seen.get(n) ?? 0) + 1;
    seen.set(n, c);
    return c === 1 ? n : `${n}_${c}`;
  });
}
