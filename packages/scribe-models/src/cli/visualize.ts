/**
 * `scribe visualize FIT_DIR`: draw the plots of a `scribe fit` folder (params.json for the
 * fitted model, results.h5ad for the counts and obs columns) and of `scribe de`/`scribe
 * compare` CSV tables, one SVG or PNG per plot plus an index.html showing them all.
 *
 * Node-only.
 * @module
 */
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Tensor } from "@scribe/core";
import { diagnostics } from "@scribe/infer";
import { quantileResiduals } from "../comparison/quantile-residuals.js";
import { familyOf } from "../families/registry.js";
import { prepareCounts } from "../fit.js";
import type { AnnData } from "../io/anndata.js";
import { decodeCategorical, isCategorical } from "../io/frame.js";
import { readH5ad } from "../io/h5ad.js";
import { capturePlot } from "../plots/capture.js";
import { parseDeCsv } from "../plots/de-csv.js";
import type { DePlotTable } from "../plots/de-table.js";
import { ecdfPlot } from "../plots/ecdf.js";
import { lossPlot } from "../plots/loss.js";
import { maPlot } from "../plots/ma-plot.js";
import { diagnosticsPlot } from "../plots/mcmc-diagnostics.js";
import { rankPlot } from "../plots/mcmc-rank.js";
import { tracePlot } from "../plots/mcmc-trace.js";
import { meanCalibrationPlot } from "../plots/mean-calibration.js";
import { assignments, mixtureCompositionPlot } from "../plots/mixture-composition.js";
import { mixturePpcPlot } from "../plots/mixture-ppc.js";
import { ppcPlot } from "../plots/ppc.js";
import { pvalueHistogram } from "../plots/pvalue-histogram.js";
import { qqPlot } from "../plots/qq.js";
import { savePlot } from "../plots/save-plot-node.js";
import { siteDrawsFromTensors } from "../plots/site-draws.js";
import type { PlotSpec } from "../plots/spec.js";
import { umapPlot } from "../plots/umap.js";
import { volcanoPlot } from "../plots/volcano.js";
import { ScribeResults } from "../results/results.js";
import { loadData } from "./data.js";
import {
  CliError,
  type CliIO,
  choice,
  EXIT_OK,
  parseCommandArgs,
  UsageError,
  writeFileAtomic,
} from "./util.js";

/** What a plot needs and how it is drawn. */
interface PlotEntry {
  /** One line for --help and the index page. */
  caption: string;
  /** Why it does not apply to this input (undefined: it applies). */
  unavailable(ctx: VizContext): string | undefined;
  draw(ctx: VizContext): Promise<PlotSpec>;
}

/** Everything the plots read, loaded lazily. */
interface VizContext {
  fitDir: string | undefined;
  results: ScribeResults | undefined;
  counts(): Promise<Tensor>;
  obs(): Promise<AnnData["obs"]>;
  de: DePlotTable | undefined;
  /** Whether --de-data was given (the MA plot's means). */
  deHasMean: boolean;
  deMean(): Promise<Float64Array | undefined>;
  genes: string[] | undefined;
  nSamples: number | undefined;
  colorBy: string | undefined;
  seed: number;
}

const needFit = (c: VizContext) => (c.results ? undefined : "needs FIT_DIR");
const needSvi = (c: VizContext) =>
  needFit(c) ?? (c.results!.lossHistory.length ? undefined : "the fit has no loss history (MCMC or 0 steps)");
const needMcmc = (c: VizContext) =>
  needFit(c) ??
  (c.results!.mcmcSamples ? undefined : 'the fit is SVI, not MCMC (fit(data, { inferenceMethod: "mcmc" }))');
const needMix = (c: VizContext) =>
  needFit(c) ?? (c.results!.nComponents > 1 ? undefined : `model ${c.results!.modelType} is not a mixture`);
const needDe = (c: VizContext) => (c.de ? undefined : "needs --de FILE.csv");
const predictive = (c: VizContext) => ({
  ...(c.genes ? { genes: c.genes } : {}),
  ...(c.nSamples ? { nSamples: c.nSamples } : {}),
  seed: c.seed,
});

async function mcmcDraws(c: VizContext) {
  const r = c.results!;
  const numChains = typeof r.meta.numChains === "number" ? r.meta.numChains : 1;
  return siteDrawsFromTensors(r.mcmcSamples!, { numChains });
}

/** The plots `scribe visualize` draws, by name, in index order. */
export const PLOTS: Record<string, PlotEntry> = {
  loss: {
    caption: "loss history (log scale) with its moving average",
    unavailable: needSvi,
    draw: async (c) => lossPlot(c.results!.lossHistory),
  },
  ppc: {
    caption: "posterior predictive check: observed count histograms against 50 %/90 % predictive bands",
    unavailable: needFit,
    draw: async (c) => ppcPlot(c.results!, await c.counts(), predictive(c)),
  },
  ecdf: {
    caption: "observed ECDF against the predictive ECDF band",
    unavailable: needFit,
    draw: async (c) => ecdfPlot(c.results!, await c.counts(), predictive(c)),
  },
  calibration: {
    caption: "observed vs predicted mean count per gene",
    unavailable: needFit,
    draw: async (c) => meanCalibrationPlot(c.results!, await c.counts(), { seed: c.seed }),
  },
  capture: {
    caption: "capture probability per cell, and against library size",
    unavailable: (c) =>
      needFit(c) ??
      (c.results!.config.variableCapture
        ? undefined
        : `model ${c.results!.modelType} has no capture probability`),
    draw: async (c) => capturePlot(c.results!, await c.counts()),
  },
  qq: {
    caption: "randomized quantile residuals against the normal (MAP)",
    unavailable: (c) =>
      needFit(c) ??
      (familyOf(c.results!.config).traits.name === "nb"
        ? undefined
        : `model ${c.results!.modelType} has no NB CDF for quantile residuals`),
    draw: async (c) => {
      const q = await quantileResiduals(c.results!, await c.counts(), { keepResiduals: true, seed: c.seed });
      return qqPlot(q.residuals!);
    },
  },
  umap: {
    caption: "UMAP of the cells, coloured by mixture component or --color-by",
    unavailable: needFit,
    draw: async (c) => {
      const counts = await c.counts();
      let colorBy: (string | null)[] | undefined;
      let colorTitle = "group";
      if (c.colorBy) {
        const obs = await c.obs();
        const col = obs.columns[c.colorBy];
        if (!col)
          throw new CliError(
            `--color-by: results.h5ad obs has no column ${JSON.stringify(c.colorBy)}; columns: ${Object.keys(obs.columns).join(", ") || "(none)"}`,
          );
        colorBy = isCategorical(col)
          ? decodeCategorical(col)
          : (col as unknown[]).map((v) => (v === null ? null : String(v)));
        colorTitle = c.colorBy;
      } else if (c.results!.nComponents > 1) {
        colorBy = Array.from(await assignments(c.results!, counts, "umap"), String);
        colorTitle = "component";
      }
      return umapPlot(counts, {
        seed: c.seed,
        colorTitle,
        cellNames: c.results!.obsNames,
        ...(colorBy ? { colorBy } : {}),
      });
    },
  },
  composition: {
    caption: "cells per mixture component",
    unavailable: needMix,
    draw: async (c) => mixtureCompositionPlot(c.results!, await c.counts()),
  },
  "mixture-ppc": {
    caption: "predictive check per mixture component",
    unavailable: needMix,
    draw: async (c) => mixturePpcPlot(c.results!, await c.counts(), predictive(c)),
  },
  trace: {
    caption: "MCMC trace plots",
    unavailable: needMcmc,
    draw: async (c) => tracePlot(await mcmcDraws(c)),
  },
  rank: {
    caption: "MCMC rank plots",
    unavailable: needMcmc,
    draw: async (c) => rankPlot(await mcmcDraws(c)),
  },
  rhat: {
    caption: "R-hat and bulk/tail ESS",
    unavailable: needMcmc,
    draw: async (c) => {
      const d = await mcmcDraws(c);
      return diagnosticsPlot(diagnostics.summary(d), { numChains: d[0]?.chains.length ?? 1 });
    },
  },
  volcano: {
    caption: "volcano plot of the DE table",
    unavailable: needDe,
    draw: async (c) => volcanoPlot(c.de!),
  },
  ma: {
    caption: "MA plot of the DE table (mean from --de-data)",
    unavailable: (c) =>
      needDe(c) ?? (c.deHasMean ? undefined : "needs --de-data DATA for the mean expression"),
    draw: async (c) => maPlot(c.de!, (await c.deMean())!),
  },
  pvalues: {
    caption: "p-value histogram of the DE table",
    unavailable: (c) => needDe(c) ?? ("pval" in c.de! ? undefined : "a Bayesian DE table has no p-values"),
    draw: async (c) => pvalueHistogram(c.de as { pval: Float64Array }),
  },
};

/** Plots drawn without --plots/--all: the fit's default set (and the DE set with --de). */
export const DEFAULT_PLOTS = ["loss", "ppc", "ecdf"] as const;
const DE_DEFAULT = ["volcano", "ma", "pvalues"];

/** Help text of `scribe visualize`. */
export const VISUALIZE_HELP = `Usage: scribe visualize [FIT_DIR] [options]

Draw the plots of a scribe fit folder (params.json, results.h5ad) and of DE tables:
one file per plot and an index.html showing them all.

Arguments:
  FIT_DIR                 a folder written by scribe fit (optional with --de)

Options:
  --plots NAMES           comma-separated plot names (default: ${DEFAULT_PLOTS.join(",")}; with --de
                          also volcano,ma,pvalues):
${Object.entries(PLOTS)
  .map(([k, v]) => `                            ${k.padEnd(12)} ${v.caption}`)
  .join("\n")}
  --all                   every plot that applies to the inputs
  --format svg|png        file format (default svg)
  --out DIR               output folder (default FIT_DIR/plots, or plots)
  --de FILE.csv           a table from scribe de (padj) or scribe compare (lfsr)
  --de-data DATA          counts of the DE (.h5ad or 10x folder) for the MA plot's means
  --genes G1,G2,...       genes of the predictive plots (default: 25 across expression)
  --n-samples N           posterior predictive draws (default 100)
  --color-by COLUMN       obs column of results.h5ad colouring the UMAP
  --seed S                seed of the draws and the UMAP (default 42)
  -q, --quiet             no progress on stderr
  -h, --help              show this help

Exit status: 0 ok, 1 runtime error, 2 usage error.
`;

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The index page: every plot file with its caption. */
export function indexHtml(
  title: string,
  items: readonly { name: string; file: string; caption: string }[],
): string {
  const nav = items.map((i) => `<a href="#${escapeHtml(i.name)}">${escapeHtml(i.name)}</a>`).join(" · ");
  const figs = items
    .map(
      (i) =>
        `<figure id="${escapeHtml(i.name)}">\n  <h2>${escapeHtml(i.name)}</h2>\n  <img src="${encodeURI(i.file)}" alt="${escapeHtml(i.caption)}">\n  <figcaption>${escapeHtml(i.caption)}</figcaption>\n</figure>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1200px}figure{margin:2em 0}img{max-width:100%;border:1px solid #eee}figcaption{color:#555}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<nav>${nav}</nav>
${figs}
</body>
</html>
`;
}

/**
 * Draw `names` into `outDir` (created) as `<name>.<format>` and write its index.html;
 * progress lines go to `io` when given. Returns the files with their captions.
 */
async function drawPlots(
  ctx: VizContext,
  names: readonly string[],
  outDir: string,
  format: "svg" | "png",
  title: string,
  io?: CliIO,
) {
  if (existsSync(outDir) && !statSync(outDir).isDirectory())
    throw new CliError(`--out ${outDir} exists and is not a directory`);
  mkdirSync(outDir, { recursive: true });
  const items: { name: string; file: string; caption: string }[] = [];
  for (const name of names) {
    const t0 = performance.now();
    let spec: PlotSpec;
    try {
      spec = await PLOTS[name]!.draw(ctx);
    } catch (err) {
      throw err instanceof CliError ? err : new CliError(`${name}: ${(err as Error).message}`);
    }
    const file = `${name}.${format}`;
    await savePlot(spec, join(outDir, file));
    items.push({ name, file, caption: PLOTS[name]!.caption });
    io?.stderr(
      `scribe visualize: ${join(outDir, file)} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
    );
  }
  writeFileAtomic(join(outDir, "index.html"), indexHtml(title, items));
  return items;
}

/**
 * `scribe fit --plots`: the default plots (loss, PPC, ECDF; those that apply) of a finished fit
 * into `OUT/plots`, from the results and counts in memory. Returns the index page's path.
 */
export async function writeFitPlots(
  fitDir: string,
  results: ScribeResults,
  counts: Tensor,
  seed = 42,
): Promise<string> {
  const ctx: VizContext = {
    fitDir,
    results,
    de: undefined,
    deHasMean: false,
    genes: undefined,
    nSamples: undefined,
    colorBy: undefined,
    seed,
    counts: async () => counts,
    obs: async () => {
      throw new CliError("obs columns are not available here");
    },
    deMean: async () => undefined,
  };
  const names = DEFAULT_PLOTS.filter((n) => PLOTS[n]!.unavailable(ctx) === undefined);
  const outDir = join(fitDir, "plots");
  await drawPlots(ctx, names, outDir, "svg", `scribe plots: ${fitDir}`);
  return join(outDir, "index.html");
}

/** Run `scribe visualize` on the arguments after the command name. */
export async function runVisualize(argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    plots: { type: "string" },
    all: { type: "boolean" },
    format: { type: "string" },
    out: { type: "string" },
    de: { type: "string" },
    "de-data": { type: "string" },
    genes: { type: "string" },
    "n-samples": { type: "string" },
    "color-by": { type: "string" },
    seed: { type: "string" },
    quiet: { type: "boolean", short: "q" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout(VISUALIZE_HELP);
    return EXIT_OK;
  }
  if (positionals.length > 1) throw new UsageError(`expected one FIT_DIR, got ${positionals.length}`);
  const fitDir = positionals[0];
  const dePath = values.de as string | undefined;
  if (fitDir === undefined && dePath === undefined)
    throw new UsageError("missing FIT_DIR (a folder written by scribe fit) or --de FILE.csv");
  if (values.plots !== undefined && values.all) throw new UsageError("--plots and --all exclude each other");
  const format = choice(values.format as string | undefined, "format", ["svg", "png"] as const, "svg");
  const intOpt = (name: string, min: number): number | undefined => {
    const v = values[name];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (typeof v !== "string" || !Number.isInteger(n) || n < min)
      throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  const nSamples = intOpt("n-samples", 2);
  const seed = intOpt("seed", 0) ?? 42;
  let requested: string[] | null = null;
  if (typeof values.plots === "string") {
    requested = values.plots
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = requested.filter((p) => !Object.hasOwn(PLOTS, p));
    if (unknown.length)
      throw new UsageError(
        `unknown plot ${unknown.map((u) => JSON.stringify(u)).join(", ")}; available: ${Object.keys(PLOTS).join(", ")}`,
      );
    if (requested.length === 0) throw new UsageError("--plots is empty");
  }

  // Inputs: check the fit folder and the DE table before drawing anything.
  let results: ScribeResults | undefined;
  if (fitDir !== undefined) {
    if (!existsSync(fitDir) || !statSync(fitDir).isDirectory())
      throw new CliError(`${fitDir} is not a folder`);
    const paramsPath = join(fitDir, "params.json");
    if (!existsSync(paramsPath))
      throw new CliError(
        `${fitDir} is not a scribe fit folder: no params.json (run scribe fit DATA --out ${fitDir} first)`,
      );
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(readFileSync(paramsPath, "utf8")) as Record<string, unknown>;
    } catch (err) {
      throw new CliError(`${paramsPath}: not valid JSON (${(err as Error).message})`);
    }
    try {
      results = ScribeResults.fromJSON(json);
    } catch (err) {
      throw new CliError(`${paramsPath}: ${(err as Error).message}`);
    }
  }
  let de: DePlotTable | undefined;
  if (dePath !== undefined) {
    if (!existsSync(dePath) || statSync(dePath).isDirectory())
      throw new CliError(`--de ${dePath}: no such file`);
    try {
      de = parseDeCsv(readFileSync(dePath, "utf8"), dePath);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
  }
  let adata: AnnData | undefined;
  const loadFitData = async (): Promise<AnnData> => {
    if (adata) return adata;
    const h5 = join(fitDir!, "results.h5ad");
    if (!existsSync(h5))
      throw new CliError(
        `${fitDir} has no results.h5ad (the counts the plots compare with); was the fit finished?`,
      );
    adata = await readH5ad(h5);
    return adata;
  };
  let counts: Tensor | undefined;
  const deData = values["de-data"] as string | undefined;
  const ctx: VizContext = {
    fitDir,
    results,
    de,
    deHasMean: deData !== undefined,
    genes:
      typeof values.genes === "string"
        ? values.genes
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
        : undefined,
    nSamples,
    colorBy: values["color-by"] as string | undefined,
    seed,
    async counts() {
      if (counts) return counts;
      const a = await loadFitData();
      const layer = (a.uns.scribe as Record<string, unknown> | undefined)?.layer;
      const prepared = prepareCounts(a, typeof layer === "string" ? layer : undefined);
      if (prepared.counts.shape[0] !== results!.nCells || prepared.counts.shape[1] !== results!.nGenes)
        throw new CliError(
          `${fitDir}/results.h5ad has ${prepared.counts.shape[0]} cells × ${prepared.counts.shape[1]} genes, params.json ${results!.nCells} × ${results!.nGenes}`,
        );
      counts = prepared.counts;
      return counts;
    },
    async obs() {
      return (await loadFitData()).obs;
    },
    async deMean() {
      if (!deData || !de) return undefined;
      const d = await loadData(deData);
      const X = prepareCounts(d.adata).counts;
      const [n, G] = X.shape as [number, number];
      const x = await X.data();
      const byName = new Map(d.adata.var.index.map((g, j) => [g, j] as const));
      const mean = new Float64Array(de.gene.length);
      de.gene.forEach((g, i) => {
        const j = byName.get(g);
        if (j === undefined)
          throw new CliError(`--de-data ${deData}: no gene ${JSON.stringify(g)} of the DE table`);
        let s = 0;
        for (let r = 0; r < n; r++) s += x[r * G + j]!;
        mean[i] = s / n;
      });
      return mean;
    },
  };

  // an amortized capture guide reads each cell's counts: bind the fitted matrix to the results
  if (results?.config.amortizeCapture) ctx.results = results.withCounts(await ctx.counts());
  const names =
    requested ??
    (values.all ? Object.keys(PLOTS) : [...(results ? DEFAULT_PLOTS : []), ...(de ? DE_DEFAULT : [])]);
  const chosen: string[] = [];
  for (const name of names) {
    const why = PLOTS[name]!.unavailable(ctx);
    if (why === undefined) chosen.push(name);
    else if (requested) throw new CliError(`cannot draw ${name}: ${why}`);
    else if (!values.quiet && !(values.all && /needs --de|needs FIT_DIR/.test(why)))
      io.stderr(`scribe visualize: skipping ${name}: ${why}\n`);
  }
  if (chosen.length === 0) throw new CliError("no plot applies to these inputs");

  const outDir =
    (values.out as string | undefined) ?? (fitDir !== undefined ? join(fitDir, "plots") : "plots");
  const title = `scribe plots: ${[fitDir, dePath].filter(Boolean).join(", ")}`;
  const items = await drawPlots(ctx, chosen, outDir, format, title, values.quiet ? undefined : io);
  io.stdout(
    `${JSON.stringify({ out: outDir, index: join(outDir, "index.html"), plots: items.map((i) => join(outDir, i.file)) })}\n`,
  );
  return EXIT_OK;
}
