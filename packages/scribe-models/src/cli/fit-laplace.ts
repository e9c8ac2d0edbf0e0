/**
 * `scribe fit --inference-method laplace --model pln|nbln|lnm|lnmvcp` (SCRIBE Laplace-EM, and
 * `scribe-infer`'s `inference=laplace`): the Laplace-EM options of the command line (`--latent-dim` is
 * the rank of W, as SCRIBE's `latent_dim`; `--n-steps`, `--learning-rate` and `--seed` as for
 * SVI) and the outputs of a run:
 * `params.json` (the fitted globals, lnmvcp's per-cell mean capture `mean_capture`, the Newton
 * diagnostics and the losses) and `results.h5ad`
 * with the per-cell posterior modes in `obsm["X_scribe_laplace"]`, μ and d per gene in
 * `var` (LNM: ALR coordinates, 0 at the reference), NBLN's r in `var`, the run in
 * `uns["scribe"]`.
 *
 * Node-only.
 * @module
 */
import { rmSync } from "node:fs";
import type { AnnData, UnsValue } from "../io/anndata.js";
import { prepareH5ad } from "../io/h5ad.js";
import type { LaplaceFitOptions, LaplaceFitOutcome } from "../laplace/fit-laplace.js";
import type { LaplaceModel, LaplaceResults } from "../laplace/laplace-results.js";
import { commitAll, prepareFileAtomic, textWriter } from "../persist/atomic-file-node.js";
import { isLogNormalVaeModel, LOG_NORMAL_VAE_MODELS } from "../vae/log-normal-family.js";
import { refuseNonFiniteResults } from "./finite-results.js";
import { type Settings, setting } from "./fit-options.js";
import { type CliIO, EXIT_OK, UsageError } from "./util.js";

/** The obsm key of the per-cell posterior modes in `results.h5ad`. */
export const LAPLACE_MODES_KEY = "X_scribe_laplace";

/** The models of `--inference-method laplace`. */
export const LAPLACE_MODELS: readonly LaplaceModel[] = ["pln", "nbln", "lnm", "lnmvcp"];

/** Whether a model name is one of the Laplace-EM models. */
export function isLaplaceModel(m: unknown): m is LaplaceModel {
  return typeof m === "string" && (LAPLACE_MODELS as readonly string[]).includes(m);
}

/**
 * Check that the model and the inference method go together: the Laplace models need
 * `--inference-method laplace` (pln, nbln and lnm may also take `vae`), and laplace fits
 * nothing else. Returns the Laplace model of a laplace run, or null.
 */
export function laplaceModelOf(method: string | undefined, model: unknown): LaplaceModel | null {
  if (method === "laplace") {
    if (model === undefined)
      throw new UsageError(`--inference-method laplace needs --model ${LAPLACE_MODELS.join(" | ")}`);
    if (!isLaplaceModel(model))
      throw new UsageError(
        `--inference-method laplace fits ${LAPLACE_MODELS.join(", ")}, not --model ${String(model)}`,
      );
    return model;
  }
  // pln, nbln, lnm and lnmvcp are also fitted by the VAE (cli/fit-vae.ts)
  if (method === "vae" && isLogNormalVaeModel(model)) return null;
  if (isLaplaceModel(model))
    throw new UsageError(
      method === "vae"
        ? `--model ${model} --inference-method vae: the VAE fits ${LOG_NORMAL_VAE_MODELS.join(", ")} of the logistic-normal models, not ${model}; fit ${model} with --inference-method laplace`
        : `--model ${model} is fitted by Laplace-EM: add --inference-method laplace`,
    );
  return null;
}

/**
 * The Laplace-only `fit()` options of a run from the command's settings: the model, the
 * rank and the start (`--laplace-init svi`: the SVI→Laplace cascade). `--n-steps`, `--learning-rate` and `--seed` reach `fit()` as for SVI (cli/fit-plan.ts
 * passes values that differ from their documented defaults; the engine's own defaults apply
 * otherwise), and `--latent-dim` likewise only when it differs from its default (10, which is
 * also the engine's, capped at the latent dimension).
 * @example
 * laplaceFitOptions({ "inference.vae.latent_dim": 2 }, "pln").rank; // 2
 */
export function laplaceFitOptions(
  s: Settings,
  model: LaplaceModel,
): Pick<LaplaceFitOptions, "model" | "inferenceMethod" | "rank" | "laplaceInit" | "laplaceInitSteps"> {
  if (setting<boolean>(s, "output.plots"))
    throw new UsageError(
      "--plots: the default plots are for svi and mcmc results; not available for laplace",
    );
  const rank = setting<number>(s, "inference.vae.latent_dim");
  const init = setting<"pca" | "svi">(s, "inference.laplace.init");
  const initSteps = setting<number>(s, "inference.laplace.init_steps");
  return {
    model,
    inferenceMethod: "laplace",
    ...(rank !== 10 ? { rank } : {}),
    ...(init === "svi" ? { laplaceInit: "svi" as const, laplaceInitSteps: initSteps } : {}),
  };
}

/** Whether a fit outcome is a Laplace-EM one. */
export function isLaplaceOutcome(o: { results: unknown }): o is LaplaceFitOutcome {
  const r = o.results as { inferenceMethod?: unknown } | null;
  return typeof r === "object" && r !== null && r.inferenceMethod === "laplace";
}

/** Per-gene values over all G genes from latent coordinates (LNM: 0 at the ALR reference). */
function perGene(res: LaplaceResults, v: Float64Array): number[] {
  const out = new Array<number>(res.nGenes).fill(0);
  res.latentGenes.forEach((g, i) => {
    out[g] = v[i]!;
  });
  return out;
}

/** The fitted globals and diagnostics as plain JSON. */
function paramsJson(res: LaplaceResults, steps: number): Record<string, unknown> {
  const newton = (e: LaplaceResults["firstEStep"]) => ({
    converged: e.converged,
    rescued: e.rescued,
    failed: e.failed,
    max_iterations: e.iterations.reduce((a, b) => Math.max(a, b), 0),
  });
  return {
    model: res.model,
    inference_method: "laplace",
    n_cells: res.nCells,
    n_genes: res.nGenes,
    latent_dim: res.latentDim,
    rank: res.rank,
    alr_reference: res.alrReference,
    latent_genes: Array.from(res.latentGenes),
    mu: Array.from(res.mu),
    W: Array.from(res.W),
    d: Array.from(res.d),
    r: res.r ? Array.from(res.r) : null,
    totals: res.totals,
    // lnmvcp: each cell's posterior mean capture E[ν_c | u_T,c], in the order of the cells
    ...(res.meanCapture ? { mean_capture: Array.from(res.meanCapture) } : {}),
    newton_first: newton(res.firstEStep),
    newton_last: newton(res.lastEStep),
    rescued_total: res.rescuedTotal,
    loss_history: Array.from(res.lossHistory),
    steps,
  };
}

/** The annotated data of a Laplace fit: modes in obsm, μ / d (/ r) in var, the run in uns. */
export function annotateLaplace(
  adata: AnnData,
  outcome: LaplaceFitOutcome,
  extraUns: Record<string, UnsValue>,
): AnnData {
  const res = outcome.results;
  const uns: Record<string, UnsValue> = {
    model: res.model,
    inference_method: "laplace",
    n_cells: res.nCells,
    n_genes: res.nGenes,
    rank: res.rank,
    alr_reference: res.alrReference,
    modes: LAPLACE_MODES_KEY,
    loss_history: Float64Array.from(res.lossHistory),
    steps: outcome.steps,
    newton_converged_first: res.firstEStep.converged,
    newton_converged_last: res.lastEStep.converged,
    newton_rescued_total: res.rescuedTotal,
    newton_failed_last: res.lastEStep.failed,
    ...extraUns,
  };
  const varColumns: Record<string, number[]> = {
    scribe_laplace_mu: perGene(res, res.mu),
    scribe_laplace_d: perGene(res, res.d),
  };
  if (res.r) varColumns.scribe_laplace_r = Array.from(res.r);
  return {
    ...adata,
    var: { index: adata.var.index, columns: { ...adata.var.columns, ...varColumns } },
    obsm: {
      ...(adata.obsm ?? {}),
      [LAPLACE_MODES_KEY]: {
        format: "dense",
        data: Float32Array.from(res.modes),
        shape: [res.nCells, res.latentDim],
      },
    },
    uns: { ...adata.uns, scribe: uns },
  };
}

/** What {@link writeLaplaceRun} needs from the command. */
export interface LaplaceRunContext {
  readonly outcome: LaplaceFitOutcome;
  readonly adata: AnnData;
  readonly outDir: string;
  readonly outputs: { readonly params: string; readonly h5ad: string };
  readonly checkpoint: string;
  readonly dataPath: string;
  readonly seed: number;
  readonly filterSteps?: readonly string[] | undefined;
}

/** Write `params.json` and `results.h5ad` of a finished Laplace run (both verified before either replaces an older one). */
export async function writeLaplaceRun(io: CliIO, ctx: LaplaceRunContext): Promise<number> {
  const res = ctx.outcome.results;
  const annotated = annotateLaplace(ctx.adata, ctx.outcome, {
    seed: ctx.seed,
    data: ctx.dataPath,
    ...(ctx.filterSteps?.length ? { preprocessing: [...ctx.filterSteps] } : {}),
  });
  refuseNonFiniteResults(annotated, "results.h5ad");
  const json = JSON.stringify(paramsJson(res, ctx.outcome.steps));
  await commitAll([
    () => prepareFileAtomic(ctx.outputs.params, textWriter(json)),
    () => prepareH5ad(ctx.outputs.h5ad, annotated),
  ]);
  // Laplace-EM writes no checkpoint; remove a stale one of an earlier run in this folder
  rmSync(ctx.checkpoint, { force: true });
  if (ctx.outcome.interrupted)
    io.stderr(
      `\nscribe fit: stopped at step ${ctx.outcome.steps}; the results of the steps run are written (Laplace-EM has no checkpoint to resume)\n`,
    );
  const last = res.lossHistory.length ? res.lossHistory[res.lossHistory.length - 1]! : Number.NaN;
  io.stdout(
    `${JSON.stringify({ out: ctx.outDir, steps: ctx.outcome.steps, final_loss: last, params: ctx.outputs.params, h5ad: ctx.outputs.h5ad, modes: LAPLACE_MODES_KEY })}\n`,
  );
  return EXIT_OK;
}
