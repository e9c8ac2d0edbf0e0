/**
 * `scribe compare-models`: compare SCRIBE fits of the same data (SCRIBE `scribe.mc`; issue 15). Reads
 * the `params.json` that `scribe fit` writes, recomputes posterior draws from each fit's saved
 * variational parameters (SVI fits persist no draws; MCMC fits use their stored ones), and
 * writes `models.csv` (ranking by PSIS-LOO with cells as observations), `genes.csv` (per-gene
 * elpd per model), `residuals.csv` (randomized quantile residual and PPC goodness of fit
 * per model and gene; NB-family and TwoState models) and `residuals-qq.svg` (their normal QQ
 * plot), printing the ranking.
 *
 * Node-only.
 * @module
 */
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Tensor } from "@scribe/core";
import { compareModels, type ModelComparison } from "../comparison/model-comparison.js";
import {
  type PpcGoodnessOfFit,
  ppcGoodnessOfFit,
  ppcGoodnessOfFitMask,
} from "../comparison/ppc-goodness-of-fit.js";
import {
  goodnessOfFitMask,
  type QuantileResidualStats,
  quantileResiduals,
} from "../comparison/quantile-residuals.js";
import { familyOf } from "../families/registry.js";
import { prepareCounts } from "../fit.js";
import { qqPlot } from "../plots/qq.js";
import { renderSvg } from "../plots/render.js";
import { ScribeResults } from "../results/results.js";
import { loadData } from "./data.js";
import { CliError, type CliIO, EXIT_OK, parseCommandArgs, UsageError, writeFileAtomic } from "./util.js";

/** Help text of `scribe compare-models`. */
export const COMPARE_MODELS_HELP = `Usage: scribe compare-models FIT_1 FIT_2 [FIT_3 ...] --data DATA [options]

Compare SCRIBE fits of the same cells and genes: PSIS-LOO and WAIC with cells as
observations, stacking and pseudo-BMA weights, per-gene elpd, and goodness of fit by
randomized quantile residuals and posterior predictive checks.

Arguments:
  FIT                       a 'scribe fit' output folder (with params.json) or a params.json

Options:
  --data DATA               the data the fits were made on (.h5ad file or 10x folder)
  --layer NAME              read counts from this layer instead of X
  --out DIR                 output folder (default scribe_compare): models.csv, genes.csv,
                            residuals.csv, residuals-qq.svg (QQ plot of each model's
                            quantile residuals; NB-family and TwoState models)
  --names A,B,...           model names (default: the model types)
  --n-samples N             posterior draws per fit (default 500); SVI fits store no
                            draws, so they are drawn from the saved variational parameters
  --ppc-samples N           posterior predictive draws for the PPC check (default 100; 0
                            skips it)
  --seed S                  seed of the draws and residual randomization (default 0)
  -q, --quiet               no progress on stderr
  -h, --help                show this help

Exit status: 0 ok, 1 runtime error (unreadable fit, fits on other cells or genes than
DATA), 2 usage error.
`;

function intOpt(v: string | boolean | undefined, name: string, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (typeof v !== "string" || !Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return n;
}

/** Read a fit: a folder holding params.json, or the file itself. */
function readFit(path: string): ScribeResults {
  if (!existsSync(path)) throw new CliError(`no such fit: ${path}`);
  const file = statSync(path).isDirectory() ? join(path, "params.json") : path;
  if (!existsSync(file)) throw new CliError(`${path}: no params.json (is it a 'scribe fit' output folder?)`);
  try {
    return ScribeResults.fromJSON(JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>);
  } catch (err) {
    throw new CliError(`cannot read fit ${file}: ${(err as Error).message}`);
  }
}

/** The first difference between a fit's names and the data's, as a sentence, or null. */
function nameMismatch(
  what: "cells" | "genes",
  fit: readonly string[],
  data: readonly string[],
): string | null {
  if (fit.length !== data.length) return `${fit.length} ${what}, DATA has ${data.length}`;
  const i = fit.findIndex((n, j) => n !== data[j]);
  return i < 0 ? null : `${what === "cells" ? "cell" : "gene"} ${i + 1} is '${fit[i]}', in DATA '${data[i]}'`;
}

const num = (v: number): string =>
  Number.isNaN(v) ? "NA" : Number.isFinite(v) ? String(v) : v > 0 ? "Inf" : "-Inf";
const field = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

function modelsCsv(cmp: ModelComparison, fits: readonly string[], bb: Float64Array): string {
  const loo = cmp.psisLoo();
  const w = cmp.waic();
  const lines = [
    "rank,model,fit,elpd_loo,se,elpd_diff,se_diff,p_loo,looic,n_bad_k,k_threshold,max_k,elpd_waic,p_waic,stacking_weight,pseudo_bma_weight,pseudo_bma_plus_weight",
  ];
  for (const r of cmp.rank()) {
    const k = cmp.modelNames.indexOf(r.name);
    const l = loo[k]!;
    lines.push(
      [
        String(r.rank),
        field(r.name),
        field(fits[k]!),
        ...[r.elpd, r.se, r.elpdDiff, r.seDiff, r.p, l.looic.estimate].map(num),
        String(r.nBadK),
        num(l.kThreshold),
        num(Math.max(...l.pointwise.paretoK)),
        num(w[k]!.elpdWaic.estimate),
        num(w[k]!.pWaic.estimate),
        num(r.stackingWeight),
        num(r.pseudoBmaWeight),
        num(bb[k]!),
      ].join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

function genesCsv(cmp: ModelComparison): string {
  const elpd = cmp.geneElpd();
  const [first, second] = cmp.rank();
  const rows = cmp.geneLevelComparison(first!.name, second!.name);
  const byGene = new Map(rows.map((r) => [r.gene, r]));
  const head = [
    "gene",
    ...cmp.modelNames.map((m) => `elpd_${m}`),
    "favoured",
    `elpd_diff_${first!.name}_vs_${second!.name}`,
    "sd_diff",
    "z",
  ];
  const lines = [head.map(field).join(",")];
  for (let g = 0; g < cmp.geneNames.length; g++) {
    let best = 0;
    for (let k = 1; k < elpd.length; k++) if (elpd[k]![g]! > elpd[best]![g]!) best = k;
    const r = byGene.get(g)!;
    lines.push(
      [
        field(cmp.geneNames[g]!),
        ...elpd.map((e) => num(e[g]!)),
        field(cmp.modelNames[best]!),
        num(r.elpdDiff),
        num(r.sdDiff),
        num(r.z),
      ].join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

function residualsCsv(
  names: readonly string[],
  genes: readonly string[],
  stats: (QuantileResidualStats | null)[],
  ppc: (PpcGoodnessOfFit | null)[],
): string {
  const lines = [
    "model,gene,mean,variance,tail_excess,ks,ks_pvalue,gof_pass,ppc_failure_rate,ppc_l1,ppc_pass",
  ];
  names.forEach((m, k) => {
    const s = stats[k];
    const p = ppc[k];
    const pass = s ? goodnessOfFitMask(s) : null;
    const ppass = p ? ppcGoodnessOfFitMask(p) : null;
    for (let g = 0; g < genes.length; g++) {
      const q = s
        ? [s.mean[g]!, s.variance[g]!, s.tailExcess[g]!, s.ks[g]!, s.ksPValue[g]!].map(num)
        : ["NA", "NA", "NA", "NA", "NA"];
      lines.push(
        [
          field(m),
          field(genes[g]!),
          ...q,
          pass ? String(pass[g]) : "NA",
          p ? num(p.failureRate[g]!) : "NA",
          p ? num(p.l1[g]!) : "NA",
          ppass ? String(ppass[g]) : "NA",
        ].join(","),
      );
    }
  });
  return `${lines.join("\n")}\n`;
}

/** Most residuals per model drawn in the QQ plot (an even stride through all cells × genes). */
const QQ_RESIDUALS = 200_000;

/** At most `n` values of `x` at an even stride (all of them when there are fewer). */
function strided(x: Float32Array, n: number): Float64Array {
  const step = Math.max(1, x.length / n);
  const m = Math.min(x.length, n);
  return Float64Array.from({ length: m }, (_, i) => x[Math.floor(i * step)]!);
}

/** Run `scribe compare-models` on the arguments after the command name. */
export async function runCompareModels(argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    data: { type: "string" },
    layer: { type: "string" },
    out: { type: "string" },
    names: { type: "string" },
    "n-samples": { type: "string" },
    "ppc-samples": { type: "string" },
    seed: { type: "string" },
    quiet: { type: "boolean", short: "q" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout(COMPARE_MODELS_HELP);
    return EXIT_OK;
  }
  if (positionals.length < 2)
    throw new UsageError(`need at least two fits to compare, got ${positionals.length}`);
  if (typeof values.data !== "string")
    throw new UsageError("missing --data DATA (the data the fits were made on)");
  const nSamples = intOpt(values["n-samples"], "n-samples", 500, 2);
  const ppcSamples = intOpt(values["ppc-samples"], "ppc-samples", 100, 0);
  const seed = intOpt(values.seed, "seed", 0, 0);
  const names = typeof values.names === "string" ? values.names.split(",").map((s) => s.trim()) : undefined;
  if (names && names.length !== positionals.length)
    throw new UsageError(`--names gives ${names.length} names for ${positionals.length} fits`);
  const outDir = (values.out as string | undefined) ?? "scribe_compare";
  if (existsSync(outDir) && !statSync(outDir).isDirectory())
    throw new CliError(`--out ${outDir} exists and is not a directory`);
  const quiet = Boolean(values.quiet);
  const now = io.now ?? (() => performance.now());
  const t0 = now();
  const log = (msg: string) => {
    if (!quiet) io.stderr(`scribe compare-models: ${msg} (${((now() - t0) / 1000).toFixed(1)} s)\n`);
  };

  const fits = positionals.map(readFit);
  const layer = values.layer as string | undefined;
  const data = await loadData(values.data, layer !== undefined ? { layer } : {});
  let counts: Tensor;
  try {
    counts = prepareCounts(data.adata, layer).counts;
  } catch (err) {
    throw new CliError(`${values.data}: ${(err as Error).message}`);
  }
  fits.forEach((f, k) => {
    const cells = nameMismatch("cells", f.obsNames, data.adata.obs.index);
    const genes = nameMismatch("genes", f.varNames, data.adata.var.index);
    if (cells || genes)
      throw new CliError(
        `fit ${positionals[k]} was not made on ${values.data}: ${cells ?? genes} (fits must cover the same cells and genes, in the same order, as DATA)`,
      );
  });
  const svi = fits.filter((f) => f.inferenceMethod !== "mcmc").length;
  log(
    `${data.adata.X.shape[0]} cells × ${data.adata.X.shape[1]} genes, ${fits.length} fits; ${nSamples} posterior draws per fit${svi ? ` (${svi} SVI fit${svi > 1 ? "s" : ""}: drawn from the saved variational parameters, seed ${seed})` : ""}`,
  );
  const cmp = await compareModels(fits, counts, { nSamples, seed, ...(names ? { modelNames: names } : {}) });
  log("log-likelihoods done");
  const bb = await cmp.pseudoBmaWeights({ seed });
  const stats: (QuantileResidualStats | null)[] = [];
  const ppc: (PpcGoodnessOfFit | null)[] = [];
  const qq: Record<string, Float64Array> = {};
  for (const [k, f] of fits.entries()) {
    const family = familyOf(f.config).traits.name;
    if (family !== "nb" && family !== "two_state") {
      io.stderr(
        `scribe compare-models: ${cmp.modelNames[k]}: quantile residuals need an NB-family or TwoState model; residual columns are NA\n`,
      );
      stats.push(null);
    } else {
      const s = await quantileResiduals(f, counts, { seed, keepResiduals: true });
      stats.push(s);
      qq[cmp.modelNames[k]!] = strided(s.residuals!, QQ_RESIDUALS);
    }
    ppc.push(ppcSamples > 0 ? await ppcGoodnessOfFit(f, counts, { nSamples: ppcSamples, seed }) : null);
  }
  log("goodness of fit done");
  mkdirSync(outDir, { recursive: true });
  writeFileAtomic(join(outDir, "models.csv"), modelsCsv(cmp, positionals, bb));
  writeFileAtomic(join(outDir, "genes.csv"), genesCsv(cmp));
  writeFileAtomic(join(outDir, "residuals.csv"), residualsCsv(cmp.modelNames, cmp.geneNames, stats, ppc));
  const plotted = Object.keys(qq).length > 0;
  if (plotted)
    writeFileAtomic(
      join(outDir, "residuals-qq.svg"),
      await renderSvg(qqPlot(qq, { title: "Randomized quantile residuals (all cells and genes)" })),
    );
  io.stdout(`${cmp.summary()}\n`);
  const bad = cmp.diagnostics().filter((d) => d.nBadK > 0);
  for (const d of bad)
    io.stdout(
      `${d.name}: ${d.nBadK} of ${cmp.nCells} cells have k̂ > ${d.kThreshold.toFixed(2)} (PSIS-LOO unreliable there; max k̂ ${d.maxK.toFixed(2)})\n`,
    );
  log(`wrote ${join(outDir, "models.csv")}, genes.csv, residuals.csv${plotted ? ", residuals-qq.svg" : ""}`);
  return EXIT_OK;
}
