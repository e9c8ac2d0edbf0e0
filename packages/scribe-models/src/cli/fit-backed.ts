/**
 * `scribe fit DATA.h5ad --backed --batch-size B`: SVI whose minibatches are read from the file
 * per step (`fit(path, { backed: true })`, io/backed-counts-node.ts), for matrices too large to
 * hold in memory. The run folder gets `run.json`, the checkpoint (so `--resume` and Ctrl-C work
 * as in memory) and `params.json`, and `results.h5ad` without `X`: the file's obs and var with
 * the in-memory run's posterior summaries (`annotateAnnData`), except the per-cell columns that
 * need the counts (`scribe_log_likelihood`, component assignments). `X` is left out rather than
 * copied (it is the data file itself, gigabytes at atlas scale) or linked (an HDF5 external link
 * breaks silently when the data file moves, and a reader loading the results whole would load
 * the whole matrix through it); `uns.scribe.data` names the data file. anndata reads the file
 * with `X = None`.
 * @module
 */
import { rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { type FitOptions, fit } from "../fit.js";
import { createAnnData } from "../io/anndata.js";
import { prepareH5ad } from "../io/h5ad.js";
import { openAnnData } from "../io/h5ad-backed.js";
import { commitAll, prepareFileAtomic, textWriter } from "../persist/atomic-file-node.js";
import type { ScribeResults } from "../results/results.js";
import { annotateAnnData } from "../results/summaries.js";
import type { DataFilters } from "./data-filters.js";
import { refuseNonFiniteResults } from "./finite-results.js";
import {
  checkResumeData,
  claimOutputFolder,
  type OutputFolder,
  type RunRecord,
  writeRunRecord,
} from "./run-folder.js";
import { CliError, type CliIO, EXIT_OK, UsageError } from "./util.js";

/** What `scribe fit` hands over to a backed run (all parsed and checked already). */
export interface BackedFitRun {
  io: CliIO;
  /** The output folder claim of `scribe fit` (so an interrupted first run is cleaned up). */
  claim: { folder?: OutputFolder; fresh: boolean; checkpoint?: string };
  dataPath: string;
  outDir: string;
  checkpointPath: string;
  /** Posterior draws for the summaries of `results.h5ad`. */
  nSamples: number;
  opts: FitOptions;
  filters: DataFilters;
  /** `--raw`, `--layer`, `--split-by`, `--plots` as given (each refused). */
  refused: Record<string, boolean>;
  resume: boolean;
  quiet: boolean;
  checkpointEvery: number;
  backend: "cpu" | "webgpu";
  onProgress: NonNullable<FitOptions["onProgress"]>;
  /** Exit codes of an interrupted run by signal. */
  exitOnSignal: (sig: NodeJS.Signals | undefined) => number;
}

/**
 * Refuse the flags a backed fit cannot honour (they need the whole matrix or rewrite it), by
 * name; `fit()` refuses the fit options of that kind (`io/backed-fit-node.ts`).
 */
function refuseFlags(r: BackedFitRun): void {
  if (!/\.h5ad$/i.test(r.dataPath))
    throw new UsageError(`--backed reads .h5ad files; ${r.dataPath} is not one`);
  const bad = Object.entries(r.refused)
    .filter(([, on]) => on)
    .map(([flag]) => flag);
  const filters = Object.keys(r.filters);
  if (filters.length) bad.push(`the data filters (${filters.join(", ")})`);
  if (bad.length)
    throw new UsageError(`--backed cannot be combined with ${bad.join(", ")}: they need the whole matrix`);
}

/**
 * The run record of a backed file: its shape, size and modification time stand for the content
 * (a content hash would be a pass over the file; the checkpoint's own fingerprint sums the
 * counts in the fit's streaming pass, so a resume on changed counts is still refused).
 */
async function backedRunRecord(dataPath: string): Promise<RunRecord> {
  const ad = await openAnnData(dataPath, { backed: true });
  const shape: [number, number] = [ad.shape[0], ad.shape[1]];
  ad.close();
  const st = statSync(dataPath);
  return {
    format: "scribe-run",
    version: 1,
    data: dataPath,
    shape,
    fingerprint: `backed file ${st.size} bytes, modified ${st.mtime.toISOString()}`,
    matrix: "X (backed)",
  };
}

/** Run a backed fit (see the module doc); returns the exit code. */
export async function runBackedFit(r: BackedFitRun): Promise<number> {
  refuseFlags(r);
  const run = await backedRunRecord(r.dataPath);
  if (!r.quiet)
    r.io.stderr(
      `scribe fit: ${run.shape[0]} cells × ${run.shape[1]} genes from ${r.dataPath} (backed, ${r.opts.batchSize ?? "?"} cells per step), model ${r.opts.model}\n`,
    );
  r.claim.folder = claimOutputFolder(r.outDir, "--out");
  r.claim.fresh = !r.resume;
  r.claim.checkpoint = r.checkpointPath;
  if (r.resume) checkResumeData(r.outDir, run);
  else writeRunRecord(r.outDir, run);

  let stopSignal: NodeJS.Signals | undefined;
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    stopSignal ??= sig;
    abort.abort();
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const sig of signals) process.on(sig, onSignal);
  let outcome: Awaited<ReturnType<typeof fit>>;
  try {
    outcome = await fit(r.dataPath, {
      ...r.opts,
      backed: true,
      checkpointPath: r.checkpointPath,
      checkpointEvery: r.checkpointEvery,
      resume: r.resume,
      onProgress: r.onProgress,
      progressEvery: 10,
      signal: abort.signal,
      backend: r.backend,
    });
  } catch (err) {
    throw new CliError((err as Error).message);
  } finally {
    for (const sig of signals) process.off(sig, onSignal);
  }
  if (outcome.interrupted) {
    r.io.stderr(
      `\nscribe fit: ${stopSignal ?? "stopped"} at step ${outcome.steps}; checkpoint written to ${r.checkpointPath}; rerun with --resume to continue\n`,
    );
    return r.exitOnSignal(stopSignal);
  }
  const res = outcome.results;
  const params = join(r.outDir, "params.json");
  const h5ad = join(r.outDir, "results.h5ad");
  const annotated = await backedResultsAnnData(r, res, outcome.steps, outcome.earlyStopped);
  const json = JSON.stringify(await res.toJSONAsync());
  // both outputs are written and verified before either replaces a previous one
  await commitAll([
    () => prepareFileAtomic(params, textWriter(json)),
    () => prepareH5ad(h5ad, annotated, { omitX: true }),
  ]);
  rmSync(r.checkpointPath, { force: true });
  const last = res.lossHistory.length ? res.lossHistory[res.lossHistory.length - 1]! : Number.NaN;
  r.io.stdout(
    `${JSON.stringify({ out: r.outDir, steps: outcome.steps, final_loss: last, params, h5ad, backed: true })}\n`,
  );
  return EXIT_OK;
}

/**
 * The contents of `results.h5ad` (see the module doc): the data file's obs and var (read now,
 * X left on disk) with the posterior summaries. The AnnData's `X` is an empty sparse matrix of
 * the data's shape, never written (`omitX`).
 */
async function backedResultsAnnData(
  r: BackedFitRun,
  res: ScribeResults,
  steps: number,
  earlyStopped: boolean,
) {
  const ad = await openAnnData(r.dataPath, { backed: true });
  let tables: { obs: typeof ad.obs; var: typeof ad.var };
  try {
    tables = { obs: ad.obs, var: ad.var };
  } finally {
    ad.close();
  }
  const [C, G] = ad.shape;
  const shapeOnly = {
    format: "csr" as const,
    data: new Float32Array(0),
    indices: new Int32Array(0),
    indptr: new Int32Array(C + 1),
    shape: [C, G] as const,
  };
  const annotated = await annotateAnnData(createAnnData({ X: shapeOnly, ...tables }), res, null, {
    nSamples: r.nSamples,
    extraUns: {
      steps,
      early_stopped: earlyStopped,
      seed: r.opts.seed ?? 42,
      data: r.dataPath,
      inference_method: "svi",
      backed: true,
    },
  });
  refuseNonFiniteResults(annotated, "results.h5ad");
  return annotated;
}
