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
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Tensor } from "@scribe/core";
import { familyOf } from "../families/registry.js";
import { FAMILY_TRAITS, familyNameOfModel } from "../families/traits.js";
import { type FitOptions, fit } from "../fit.js";
import type { AnnData, UnsValue } from "../io/anndata.js";
import { prepareH5ad } from "../io/h5ad.js";
import { FLOAT32_EXACT_MAX } from "../io/validate.js";
import {
  type ModelType,
  type ParameterizationInput,
  sampledCoreParams,
  TWO_STATE_DEFAULT_NODES,
} from "../models/config.js";
import { commitAll, prepareFileAtomic, textWriter } from "../persist/atomic-file-node.js";
import type { ScribeResults } from "../results/results.js";
import { annotateAnnData } from "../results/summaries.js";
import { countMatrix, type LoadedData, loadData } from "./data.js";
import { refuseNonFiniteResults } from "./finite-results.js";
import { fitSplit } from "./fit-split.js";
import {
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

const MODEL_NAMES = ["nbdm", "zinb", "nbvcp", "zinbvcp", "twostate", "twostatevcp"] as const;
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

/** Help text of `scribe fit`. */
export const FIT_HELP = `Usage: scribe fit DATA [options]

Fit a SCRIBE model (variational inference) to a cells × genes count matrix.

Arguments:
  DATA                      an .h5ad file, or a 10x folder (matrix.mtx, features.tsv or
                            genes.tsv, barcodes.tsv; obs columns from obs.tsv)

Options:
  --model NAME              nbdm | zinb | nbvcp (default) | zinbvcp | twostate | twostatevcp
  --parameterization NAME   NB models: canonical (default, alias standard) | mean_prob
                            (linked) | mean_odds (odds_ratio) | mean_disp;
                            twostate/twostatevcp (required): two_state_natural (natural) |
                            two_state_ratio (ratio) | two_state_mean_fano (mean_fano, fano) |
                            two_state_moment_delta (moment_delta, delta)
  --n-quad-nodes K          twostate/twostatevcp: quadrature nodes of the Poisson–Beta
                            likelihood (default 128, at least 6)
  --unconstrained           Normal + transform priors and guides
  --n-components K          mixture with K components
  --n-steps N               SVI steps (default 50000)
  --batch-size B            cells per minibatch (default: all cells)
  --learning-rate LR        Adam step size (default 0.001)
  --seed S                  random seed (default 42)
  --organism NAME           biology-informed capture prior (human, mouse, yeast, ecoli)
  --guide-rank K            low-rank guide on the gene parameter
  --layer NAME              read counts from this layer instead of X
  --raw                     .h5ad: read counts from .raw (raw/X, raw/var)
  --config FILE             JSON file with fit options (camelCase names of fit(); command-
                            line options win)
  --out DIR                 output folder (default scribe_fit); holds params.json,
                            results.h5ad and, while running, checkpoint.ckpt
  --checkpoint-every N      steps between checkpoints (default 500)
  --resume                  continue from DIR/checkpoint.ckpt
  --backend NAME            cpu (default) | webgpu (a GPU, or Chromium's SwiftShader driver
                            with VK_ICD_FILENAMES set; results equal the CPU's within
                            float32 rounding)
  --n-samples N             posterior draws for the summaries (default 100)
  --plots                   also draw the default plots (loss, PPC, ECDF) into OUT/plots
                            (SVG and an index.html; more with scribe visualize OUT)
  --split-by COLUMN         fit each level of this obs column into its own folder
                            DIR/<level> (for scribe compare)
  -q, --quiet               no progress on stderr
  -h, --help                show this help

Ctrl-C (and SIGTERM, SIGHUP) writes a checkpoint and exits with status 130 (143, 129); run
again with --resume to continue (the result equals an uninterrupted run; --n-steps may be
raised). --resume refuses data other than the run's (OUT/run.json holds a hash of the counts
and names). A folder in use by another run is refused (OUT/.scribe.lock). Outputs are
written, verified and only then put in place: a failure leaves earlier files intact. Exit status: 0 ok, 1 runtime error, 2 usage error.
`;

function intOpt(v: string | boolean | undefined, name: string, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== "string" || v.trim() === "" || !Number.isInteger(n) || n < min)
    throw new UsageError(
      `--${name} must be a positive integer${min === 0 ? " or 0" : ""}, got ${JSON.stringify(v)}`,
    );
  return n;
}

function numOpt(v: string | boolean | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== "string" || !Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${name} must be a positive number, got ${JSON.stringify(v)}`);
  return n;
}

/**
 * Add the TwoState posterior means (sites of the SCRIBE two-state models; floor flags as the fraction of draws with
 * the clamp active) to `var`, and the quadrature size to `uns.scribe`.
 */
function addTwoStateColumns(adata: AnnData, res: ScribeResults, counts: Tensor, nSamples: number): AnnData {
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
    const v = Array.from(m.dataSync() as ArrayLike<number>, Number);
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
  const { values, positionals } = parseCommandArgs(argv, {
    model: { type: "string" },
    parameterization: { type: "string" },
    unconstrained: { type: "boolean" },
    "n-components": { type: "string" },
    "n-steps": { type: "string" },
    "batch-size": { type: "string" },
    "learning-rate": { type: "string" },
    seed: { type: "string" },
    organism: { type: "string" },
    "guide-rank": { type: "string" },
    "n-quad-nodes": { type: "string" },
    layer: { type: "string" },
    raw: { type: "boolean" },
    config: { type: "string" },
    out: { type: "string" },
    "checkpoint-every": { type: "string" },
    resume: { type: "boolean" },
    "n-samples": { type: "string" },
    plots: { type: "boolean" },
    backend: { type: "string" },
    "split-by": { type: "string" },
    quiet: { type: "boolean", short: "q" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout(FIT_HELP);
    return EXIT_OK;
  }
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0
        ? "missing DATA (an .h5ad file or a 10x folder)"
        : `expected one DATA argument, got ${positionals.length}`,
    );
  const dataPath = positionals[0]!;
  let fileOpts: FitOptions = {};
  if (typeof values.config === "string") {
    try {
      fileOpts = JSON.parse(readFileSync(values.config, "utf8")) as FitOptions;
    } catch (err) {
      throw new CliError(`cannot read --config ${values.config}: ${(err as Error).message}`);
    }
    if (typeof fileOpts !== "object" || fileOpts === null || Array.isArray(fileOpts))
      throw new CliError(`--config ${values.config}: expected a JSON object`);
  }
  const model = choice(
    values.model as string | undefined,
    "model",
    MODEL_NAMES,
    (fileOpts.model ?? "nbvcp") as ModelType,
  );
  const traits = FAMILY_TRAITS[familyNameOfModel(model)];
  const givenParam = (values.parameterization as string | undefined) ?? fileOpts.parameterization;
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
  const nSamples = intOpt(values["n-samples"], "n-samples") ?? 100;
  const outDir = (values.out as string | undefined) ?? "scribe_fit";
  const opts: FitOptions = {
    ...fileOpts,
    model,
    parameterization,
    ...(values.unconstrained ? { unconstrained: true } : {}),
  };
  const set = <K extends keyof FitOptions>(k: K, v: FitOptions[K] | undefined) => {
    if (v !== undefined) opts[k] = v;
  };
  set("nComponents", intOpt(values["n-components"], "n-components"));
  set("nSteps", intOpt(values["n-steps"], "n-steps", 0));
  set("batchSize", intOpt(values["batch-size"], "batch-size"));
  set("learningRate", numOpt(values["learning-rate"], "learning-rate"));
  set("seed", intOpt(values.seed, "seed", 0));
  set("guideRank", intOpt(values["guide-rank"], "guide-rank"));
  const quad = intOpt(values["n-quad-nodes"], "n-quad-nodes");
  if (quad !== undefined && !traits.quadrature)
    throw new UsageError(`--n-quad-nodes applies only to --model twostate or twostatevcp`);
  set("nQuadNodes", quad);
  if (typeof values.organism === "string")
    opts.priors = { ...(opts.priors ?? {}), organism: values.organism };
  const layer = values.layer as string | undefined;
  if (values.raw && layer !== undefined)
    throw new UsageError("--raw and --layer are exclusive (.raw has no layers)");
  // before any work: the output folder can be written and no output is an input file
  checkFolderWritable(outDir, "--out");
  const ckPath = join(outDir, "checkpoint.ckpt");
  const backend = choice(
    values.backend as string | undefined,
    "backend",
    ["cpu", "webgpu"] as const,
    fileOpts.backend ?? "cpu",
  );
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
  if (values.resume && !existsSync(ckPath)) throw new CliError(`--resume: no checkpoint at ${ckPath}`);

  // load and validate before creating anything on disk; counts are fitted in float32, exact to 2^24
  const data =
    preloaded ??
    (await loadData(dataPath, { raw: Boolean(values.raw), ...(layer !== undefined ? { layer } : {}) }));
  if (typeof values["split-by"] === "string")
    return fitSplit(
      argv,
      io,
      { data, column: values["split-by"], outDir, quiet: Boolean(values.quiet) },
      (a, d) => runFit(a, io, d),
    );
  const matrix = countMatrix(data, layer, { maxCount: FLOAT32_EXACT_MAX });
  const run: RunRecord = {
    format: "scribe-run",
    version: 1,
    data: dataPath,
    shape: [matrix.shape[0], matrix.shape[1]],
    fingerprint: dataFingerprint(matrix, data.adata.obs.index, data.adata.var.index),
    matrix: values.raw ? "raw" : layer !== undefined ? `layer ${layer}` : "X",
  };
  const quiet = Boolean(values.quiet);
  if (!quiet)
    io.stderr(
      `scribe fit: ${data.adata.X.shape[0]} cells × ${data.adata.X.shape[1]} genes, model ${model} (${parameterization})\n`,
    );

  claim.folder = claimOutputFolder(outDir, "--out");
  claim.fresh = !values.resume;
  claim.checkpoint = ckPath;
  if (values.resume) checkResumeData(outDir, run);
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
  let outcome: Awaited<ReturnType<typeof fit>>;
  try {
    outcome = await fit(data.adata, {
      ...opts,
      ...(typeof values.layer === "string" ? { layer: values.layer } : {}),
      checkpointPath: ckPath,
      checkpointEvery: intOpt(values["checkpoint-every"], "checkpoint-every") ?? 500,
      resume: Boolean(values.resume),
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
  const res = outcome.results;
  const { prepareCounts } = await import("../fit.js");
  const { counts } = prepareCounts(data.adata, values.layer as string | undefined);
  let annotated = await annotateAnnData(data.adata, res, counts, {
    nSamples,
    extraUns: {
      steps: outcome.steps,
      early_stopped: outcome.earlyStopped,
      seed: opts.seed ?? 42,
      data: dataPath,
    },
  });
  if (traits.summarizesDerivedSites) annotated = addTwoStateColumns(annotated, res, counts, nSamples);
  refuseNonFiniteResults(annotated, "results.h5ad");
  // both outputs are written and verified before either replaces a previous one
  await commitAll([
    () => prepareFileAtomic(outputs.params, textWriter(JSON.stringify(res.toJSON()))),
    () => prepareH5ad(outputs.h5ad, annotated),
  ]);
  rmSync(ckPath, { force: true });
  const last = res.lossHistory.length ? res.lossHistory[res.lossHistory.length - 1]! : Number.NaN;
  // --plots: the default plots of scribe visualize, from the results in memory
  const plotsIndex = values.plots
    ? await (await import("./visualize.js")).writeFitPlots(outDir, res, counts, opts.seed ?? 42)
    : undefined;
  io.stdout(
    `${JSON.stringify({ out: outDir, steps: outcome.steps, final_loss: last, params: outputs.params, h5ad: outputs.h5ad, ...(plotsIndex ? { plots: plotsIndex } : {}) })}\n`,
  );
  return EXIT_OK;
}
