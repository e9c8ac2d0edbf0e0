/**
 * `scribe fit`: fit a SCRIBE model to an `.h5ad` file or a 10x folder and write the fitted
 * parameters (JSON) and an `.h5ad` with posterior summaries (var `scribe_r_mean`,
 * `scribe_mu_mean`, `scribe_gate_mean`, …, and for the TwoState models `scribe_alpha_mean`,
 * `scribe_beta_mean`, `scribe_r_hat_mean`, `scribe_k_off_mean`, …; obs `scribe_p_capture_mean`,
 * `scribe_log_likelihood`, …; uns `scribe`). Checkpoints go to `OUT/checkpoint.ckpt` (the SVI
 * loop's binary checkpoint, `@scribe/infer`); Ctrl-C
 * writes one and exits (status 130) so that `--resume` continues to exactly the same result.
 *
 * Node-only.
 * @module
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Tensor } from "@scribe/core";
import { familyOf } from "../families/registry.js";
import { FAMILY_TRAITS, familyNameOfModel } from "../families/traits.js";
import { type FitOptions, fit } from "../fit.js";
import type { AnnData, UnsValue } from "../io/anndata.js";
import { prepareH5ad } from "../io/h5ad.js";
import { FLOAT32_EXACT_MAX } from "../io/validate.js";
import type { LaplaceFitOutcome } from "../laplace/fit-laplace.js";
import { type ParameterizationInput, sampledCoreParams, TWO_STATE_DEFAULT_NODES } from "../models/config.js";
import { geneCoverageAnnData } from "../models/gene-coverage.js";
import { commitAll, prepareFileAtomic, textWriter } from "../persist/atomic-file-node.js";
import type { ScribeResults } from "../results/results.js";
import { annotateAnnData } from "../results/summaries.js";
import type { VaeFitOutcome } from "../vae/fit-vae.js";
import { isLogNormalVaeModel } from "../vae/log-normal-family.js";
import { initializeWithDefault, writeTemplate } from "./config-file.js";
import { countMatrix, type LoadedData, loadData } from "./data.js";
import { type FilteredData, filterData } from "./data-filters.js";
import { refuseNonFiniteResults } from "./finite-results.js";
import { runBackedFit } from "./fit-backed.js";
import { isLaplaceOutcome, writeLaplaceRun } from "./fit-laplace.js";
import { fitHelpText, parseArgsOptions, setting } from "./fit-options.js";
import { resolveFitPlan } from "./fit-plan.js";
import { fitSplit } from "./fit-split.js";
import { isVaeOutcome, writeVaeRun } from "./fit-vae.js";
import {
  CHECKPOINT_FILE,
  checkFolderWritable,
  checkResumeData,
  claimOutputFolder,
  dataFingerprint,
  inputFiles,
  type OutputFolder,
  RUN_FILE,
  type RunRecord,
  refuseOverwritingInputs,
  writeRunRecord,
} from "./run-folder.js";
import { CliError, type CliIO, choice, EXIT_OK, parseCommandArgs, UsageError } from "./util.js";

const NB_PARAMETERIZATIONS = [
  "canonical",
  "standard",
  "mean_prob",
  "linked",
  "mean_odds",
  "odds_ratio",
  "mean_disp",
] as const;
const TWO_STATE_PARAMETERIZATIONS = [
  "two_state_natural",
  "natural",
  "two_state_ratio",
  "ratio",
  "two_state_mean_fano",
  "mean_fano",
  "fano",
  "two_state_moment_delta",
  "moment_delta",
  "delta",
] as const;

/** Exit status after Ctrl-C (checkpoint written). */
export const EXIT_INTERRUPTED = 130;
/** Exit status after SIGTERM (checkpoint written): 128 + 15, as a shell reports it. */
export const EXIT_TERMINATED = 143;
/** Exit status after SIGHUP (checkpoint written): 128 + 1. */
export const EXIT_HANGUP = 129;

/** Help text of `scribe fit` (grouped; from the option table in fit-options.ts). */
export const FIT_HELP = fitHelpText();

/**
 * Add the TwoState posterior means (sites of the SCRIBE two-state models; floor flags as the fraction of draws with
 * the clamp active) to `var`, and the quadrature size to `uns.scribe`.
 */
async function addTwoStateColumns(
  adata: AnnData,
  res: ScribeResults,
  counts: Tensor,
  nSamples: number,
): Promise<AnnData> {
  const samples = res.getPosteriorSamples({ nSamples, seed: 42, counts });
  const G = res.nGenes;
  const K = res.nComponents;
  const cols = { ...adata.var.columns };
  // Every sampled extra and derived site of the parameterization (mu has its own column).
  const names = [
    ...sampledCoreParams(res.config.parameterization),
    ...familyOf(res.config).deterministicNames(res.config),
  ].filter((n) => n !== "mu");
  for (const name of names) {
    const s = samples[name];
    if (!s) continue;
    const m = s.astype("float32").mean(0);
    const v = Array.from((await m.data()) as ArrayLike<number>, Number);
    if (m.rank === 1) cols[`scribe_${name}_mean`] = v;
    else for (let k = 0; k < K; k++) cols[`scribe_${name}_mean_k${k}`] = v.slice(k * G, (k + 1) * G);
  }
  const uns = {
    ...(adata.uns.scribe as Record<string, UnsValue>),
    n_quad_nodes: res.config.nQuadNodes ?? TWO_STATE_DEFAULT_NODES,
  };
  return { ...adata, var: { index: adata.var.index, columns: cols }, uns: { ...adata.uns, scribe: uns } };
}

/**
 * A progress bar on stderr: rewritten in place on a terminal, a line per 10 % otherwise (and
 * a line whenever more steps were skipped as non-finite).
 */
export function progressBar(
  io: CliIO,
  enabled: boolean,
): (step: number, total: number, loss: number, progress?: { skippedSteps: number }) => void {
  const now = io.now ?? (() => performance.now());
  const t0 = now();
  let lastDecile = -1;
  let lastSkipped = 0;
  return (step, total, loss, progress) => {
    if (!enabled) return;
    const frac = total > 0 ? step / total : 1;
    const secs = ((now() - t0) / 1000).toFixed(1);
    const skipped = progress?.skippedSteps ?? 0;
    const text = `step ${step}/${total} loss ${Number.isFinite(loss) ? loss.toExponential(4) : String(loss)}${skipped ? ` skipped ${skipped} non-finite` : ""} ${secs} s`;
    if (io.stderrIsTTY) {
      const w = 30;
      const n = Math.round(frac * w);
      io.stderr(
        `\r\x1b[Kscribe fit: [${"#".repeat(n)}${"-".repeat(w - n)}] ${(frac * 100).toFixed(0)}% ${text}${step >= total ? "\n" : ""}`,
      );
    } else {
      const d = Math.floor(frac * 10);
      if (d > lastDecile || skipped > lastSkipped) {
        lastDecile = d;
        lastSkipped = skipped;
        io.stderr(`scribe fit: ${text}\n`);
      }
    }
  };
}

/** The output folder a run holds (set once it is claimed), and whether the run started it. */
interface Claim {
  folder?: OutputFolder;
  fresh: boolean;
  checkpoint?: string;
}

/**
 * Run `scribe fit` on the arguments after the command name. The output folder is locked for
 * the run; a failed fresh run removes its run record and the folder if it created it.
 */
export async function runFit(argv: readonly string[], io: CliIO, preloaded?: LoadedData): Promise<number> {
  const claim: Claim = { fresh: false };
  try {
    return await fitCommand(argv, io, claim, preloaded);
  } catch (err) {
    // a fresh run that failed leaves nothing behind, unless it left a checkpoint to resume from
    if (claim.folder && claim.fresh && !(claim.checkpoint && existsSync(claim.checkpoint))) {
      rmSync(join(claim.folder.dir, RUN_FILE), { force: true });
      claim.folder.abandon();
    }
    throw err;
  } finally {
    claim.folder?.release();
  }
}

async function fitCommand(
  argv: readonly string[],
  io: CliIO,
  claim: Claim,
  preloaded?: LoadedData,
): Promise<number> {
  const { values, positionals } = parseCommandArgs(initializeWithDefault(argv), parseArgsOptions());
  if (values.help) {
    io.stdout(FIT_HELP);
    return EXIT_OK;
  }
  if (typeof values.initialize === "string") return writeTemplate(values.initialize, io);
  const plan = resolveFitPlan(values, positionals);
  const { dataPath, settings } = plan;
  const model = plan.fitOptions.model!;
  // the Laplace models and the logistic-normal VAE (pln, nbln, lnm, lnmvcp)
  // have no parameterization: the NB family's traits (none needed, no quadrature) stand for
  // them here, and the VAE is given none (fitVae refuses an NB option for these models)
  const method = setting<string>(settings, "inference.method");
  const logNormalVae = method === "vae" && isLogNormalVaeModel(model);
  const traits = FAMILY_TRAITS[familyNameOfModel(method === "laplace" || logNormalVae ? "nbdm" : model)];
  const givenParam = plan.fitOptions.parameterization;
  if (traits.needsParameterization && givenParam === undefined)
    throw new UsageError(
      `--model ${model} needs --parameterization (${TWO_STATE_PARAMETERIZATIONS.join(", ")})`,
    );
  const parameterization: ParameterizationInput = choice(
    givenParam,
    "parameterization",
    traits.parameterizationPrefix ? TWO_STATE_PARAMETERIZATIONS : NB_PARAMETERIZATIONS,
    "canonical",
  );
  const nSamples = setting<number>(settings, "output.n_samples");
  const outDir = plan.outDir;
  const opts: FitOptions = { ...plan.fitOptions, ...(logNormalVae ? {} : { parameterization }) };
  if (opts.nQuadNodes !== undefined && !traits.quadrature)
    throw new UsageError(`--n-quad-nodes applies only to --model twostate or twostatevcp`);
  const flag = (key: string) => Boolean(setting<boolean>(settings, key));
  const layer = settings["data.layer"] as string | undefined;
  if (flag("data.raw") && layer !== undefined)
    throw new UsageError("--raw and --layer are exclusive (.raw has no layers)");
  // before any work: the output folder can be written and no output is an input file
  checkFolderWritable(outDir, "--out");
  const ckPath = join(outDir, CHECKPOINT_FILE);
  const backend = setting<"cpu" | "webgpu">(settings, "run.backend");
  if (backend === "webgpu") {
    // Dawn (the optional `webgpu` package) is Node's WebGPU: registered here, explicitly
    const { createDawnBackend, registerBackendLoader } = await import("@scribe/core/node");
    registerBackendLoader("webgpu", createDawnBackend);
  }
  const outputs = { params: join(outDir, "params.json"), h5ad: join(outDir, "results.h5ad") };
  refuseOverwritingInputs(
    [outDir, outputs.params, outputs.h5ad, ckPath, join(outDir, RUN_FILE)],
    inputFiles(dataPath),
    "--out",
  );
  if (flag("run.resume") && !existsSync(ckPath)) throw new CliError(`--resume: no checkpoint at ${ckPath}`);
  // --backed: minibatches streamed from the .h5ad file (cli/fit-backed.ts); X is never loaded
  if (opts.backed && !preloaded)
    return runBackedFit({
      io,
      claim,
      dataPath,
      outDir,
      checkpointPath: ckPath,
      nSamples,
      opts,
      filters: plan.filters,
      refused: {
        "--raw": flag("data.raw"),
        "--layer": layer !== undefined,
        "--split-by": settings["data.split_by"] !== undefined,
        "--plots": flag("output.plots"),
        "--gene-coverage": opts.geneCoverage !== undefined,
      },
      resume: flag("run.resume"),
      quiet: flag("run.quiet"),
      checkpointEvery: setting<number>(settings, "run.checkpoint_every"),
      backend,
      onProgress: progressBar(io, !flag("run.quiet")),
      exitOnSignal: (sig) =>
        sig === "SIGTERM" ? EXIT_TERMINATED : sig === "SIGHUP" ? EXIT_HANGUP : EXIT_INTERRUPTED,
    });

  // load and validate before creating anything on disk; counts are fitted in float32, exact to 2^24
  let data: FilteredData =
    preloaded ??
    filterData(
      await loadData(dataPath, { raw: flag("data.raw"), ...(layer !== undefined ? { layer } : {}) }),
      plan.filters,
      layer,
      io,
      flag("run.quiet"),
    );
  // split levels arrive preloaded (and filtered): they are fitted, not split again
  const splitBy = settings["data.split_by"] as string | undefined;
  if (splitBy !== undefined && !preloaded)
    return fitSplit(argv, io, { data, column: splitBy, outDir, quiet: flag("run.quiet") }, (a, d) =>
      runFit(a, io, d),
    );
  // --gene-coverage: the pooled counts (kept genes, then `_other`) are what is fitted and annotated
  if (opts.geneCoverage !== undefined) {
    const { adata, selection } = geneCoverageAnnData(data.adata, opts.geneCoverage, layer);
    const step = `gene coverage ${opts.geneCoverage}: kept ${selection.kept.length} genes, pooled ${selection.pooled.length} into _other`;
    data = { ...data, adata, filterSteps: [...(data.filterSteps ?? []), step] };
    delete opts.geneCoverage;
  }
  const matrix = countMatrix(data, layer, { maxCount: FLOAT32_EXACT_MAX });
  const run: RunRecord = {
    format: "scribe-run",
    version: 1,
    data: dataPath,
    shape: [matrix.shape[0], matrix.shape[1]],
    fingerprint: dataFingerprint(matrix, data.adata.obs.index, data.adata.var.index),
    matrix: flag("data.raw") ? "raw" : layer !== undefined ? `layer ${layer}` : "X",
  };
  const quiet = flag("run.quiet");
  if (!quiet)
    io.stderr(
      `scribe fit: ${data.adata.X.shape[0]} cells × ${data.adata.X.shape[1]} genes, model ${model} (${logNormalVae ? "vae" : parameterization})\n`,
    );

  claim.folder = claimOutputFolder(outDir, "--out");
  claim.fresh = !flag("run.resume");
  claim.checkpoint = ckPath;
  if (flag("run.resume")) checkResumeData(outDir, run);
  else writeRunRecord(outDir, run);

  // Ctrl-C, SIGTERM (kill, a scheduler) and SIGHUP (a closed terminal) all checkpoint and stop
  let stopSignal: NodeJS.Signals | undefined;
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    stopSignal ??= sig;
    abort.abort();
  };
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  for (const sig of signals) process.on(sig, onSignal);
  // with --inference-method vae, fit() dispatches to the VAE (its options were set by the plan)
  let outcome: Awaited<ReturnType<typeof fit>> | VaeFitOutcome | LaplaceFitOutcome;
  try {
    outcome = await fit(data.adata, {
      ...opts,
      ...(layer !== undefined ? { layer } : {}),
      checkpointPath: ckPath,
      checkpointEvery: setting<number>(settings, "run.checkpoint_every"),
      resume: flag("run.resume"),
      onProgress: progressBar(io, !quiet),
      progressEvery: 10,
      signal: abort.signal,
      backend,
    });
  } catch (err) {
    throw new CliError((err as Error).message);
  } finally {
    for (const sig of signals) process.off(sig, onSignal);
  }
  if (isLaplaceOutcome(outcome))
    return writeLaplaceRun(io, {
      outcome,
      adata: data.adata,
      outDir,
      outputs,
      checkpoint: ckPath,
      dataPath,
      seed: opts.seed ?? 42,
      filterSteps: data.filterSteps,
    });
  if (outcome.interrupted) {
    io.stderr(
      `\nscribe fit: ${stopSignal ?? "stopped"} at step ${outcome.steps}; checkpoint written to ${ckPath}; rerun with --resume to continue\n`,
    );
    return stopSignal === "SIGTERM"
      ? EXIT_TERMINATED
      : stopSignal === "SIGHUP"
        ? EXIT_HANGUP
        : EXIT_INTERRUPTED;
  }
  if (isVaeOutcome(outcome))
    return writeVaeRun(io, {
      outcome,
      adata: data.adata,
      layer,
      outDir,
      outputs,
      checkpoint: ckPath,
      dataPath,
      seed: opts.seed ?? 42,
      filterSteps: data.filterSteps,
    });
  const res = outcome.results;
  const { prepareCounts } = await import("../fit.js");
  const { counts } = prepareCounts(data.adata, layer);
  let annotated = await annotateAnnData(data.adata, res, counts, {
    nSamples,
    extraUns: {
      steps: outcome.steps,
      early_stopped: outcome.earlyStopped,
      seed: opts.seed ?? 42,
      data: dataPath,
      inference_method: opts.inferenceMethod ?? "svi",
      ...(data.filterSteps?.length ? { preprocessing: data.filterSteps } : {}),
    },
  });
  if (traits.summarizesDerivedSites) annotated = await addTwoStateColumns(annotated, res, counts, nSamples);
  refuseNonFiniteResults(annotated, "results.h5ad");
  // both outputs are written and verified before either replaces a previous one
  const resultsJson = JSON.stringify(await res.toJSONAsync());
  await commitAll([
    () => prepareFileAtomic(outputs.params, textWriter(resultsJson)),
    () => prepareH5ad(outputs.h5ad, annotated),
  ]);
  rmSync(ckPath, { force: true });
  const last = res.lossHistory.length ? res.lossHistory[res.lossHistory.length - 1]! : Number.NaN;
  // --plots: the default plots of scribe visualize, from the results in memory
  const plotsIndex = flag("output.plots")
    ? await (await import("./visualize.js")).writeFitPlots(outDir, res, counts, opts.seed ?? 42)
    : undefined;
  io.stdout(
    `${JSON.stringify({ out: outDir, steps: outcome.steps, final_loss: last, params: outputs.params, h5ad: outputs.h5ad, ...(plotsIndex ? { plots: plotsIndex } : {}) })}\n`,
  );
  return EXIT_OK;
}
