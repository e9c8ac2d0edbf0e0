/**
 * From the parsed command line of `scribe fit` (flags, `--config`, `key=value` overrides)
 * to what the command does: the `fit()` options, the data filters and the output folder.
 * Model resolution follows SCRIBE's `fit`: `zero_inflation` / `variable_capture` turn the
 * model into its zero-inflated / variable-capture variant, and contradict an explicitly
 * chosen model only with an error.
 *
 * Node-only.
 * @module
 */
import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { familyNameOfModel } from "../families/traits.js";
import type { FitOptions } from "../fit.js";
import type { ModelType } from "../models/config.js";
import { datasetDesign } from "../models/group-levels.js";
import { checkLevelPriors } from "../models/priors.js";
import { applyOverride, type ConfigValues, isOverride, readConfigFile } from "./config-file.js";
import type { DataFilters } from "./data-filters.js";
import { laplaceFitOptions, laplaceModelOf } from "./fit-laplace.js";
import { FIT_OPTION_SPECS, optionSpec, type Settings, setting, settingsFromFlags } from "./fit-options.js";
import { levelFolderName } from "./fit-split.js";
import { logNormalVaeModelOf, vaeFitOptions } from "./fit-vae.js";
import { hierarchyOption } from "./hierarchy-option.js";
import { logOffsetOption } from "./log-offset-option.js";
import { UsageError } from "./util.js";

/** Everything `scribe fit` needs to run, resolved. */
export interface FitPlan {
  /** The data path. */
  dataPath: string;
  /** Options for `fit()` (without the run-control ones the command adds). */
  fitOptions: FitOptions;
  /** Cells and genes to keep. */
  filters: DataFilters;
  /** The output folder. */
  outDir: string;
  /** All settings (given ones; defaults via `setting`). */
  settings: Settings;
  /** The settings given on the command line (flags and overrides), by key. */
  commandLine: Settings;
}

const ZI: Partial<Record<ModelType, boolean>> = { zinb: true, zinbvcp: true };
const VC: Partial<Record<ModelType, boolean>> = { nbvcp: true, zinbvcp: true, twostatevcp: true };

/**
 * The model named by a base model and the two switches (SCRIBE's nbdm/zinb/nbvcp/zinbvcp
 * table); a switch left undefined keeps the base model's. `strict`: a result other than
 * `given` is an error (both came from the same place, e.g. the command's flags).
 */
export function resolveModel(
  given: ModelType | undefined,
  zeroInflation: boolean | undefined,
  variableCapture: boolean | undefined,
  strict = true,
): ModelType {
  const base: ModelType = given ?? "nbvcp";
  const twoState = familyNameOfModel(base) === "two_state";
  const zi = zeroInflation ?? Boolean(ZI[base]);
  const vc = variableCapture ?? Boolean(VC[base]);
  if (twoState && zi) throw new UsageError(`--zero-inflation: the TwoState models have no zero inflation`);
  const model: ModelType = twoState
    ? vc
      ? "twostatevcp"
      : "twostate"
    : zi
      ? vc
        ? "zinbvcp"
        : "zinb"
      : vc
        ? "nbvcp"
        : "nbdm";
  if (strict && given !== undefined && model !== given)
    throw new UsageError(
      `--model ${given} contradicts ${zeroInflation !== undefined ? `--zero-inflation=${zeroInflation}` : ""}${
        zeroInflation !== undefined && variableCapture !== undefined ? " and " : ""
      }${variableCapture !== undefined ? `--variable-capture=${variableCapture}` : ""} (that is ${model})`,
    );
  return model;
}

/** The folder name of a data path (file name without .h5ad / .h5; the folder name of a 10x folder). */
function dataName(path: string): string {
  return levelFolderName(basename(path.replace(/[/\\]+$/, "")).replace(/\.(h5ad|h5)$/i, ""));
}

/** A setting's value in a folder name: lists of plain values joined by "+", mappings and lists of them as JSON (never "[object Object]"). */
function overrideText(v: unknown): string {
  if (Array.isArray(v) && v.every((x) => x === null || typeof x !== "object")) return v.join("+");
  return typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
}

/**
 * `ROOT/{data}/{model}/{method}/{overrides}` (SCRIBE's `scribe-infer` layout): overrides are
 * the sweep-relevant settings given on the command line, `key=value` sorted and joined by
 * "," (Hydra's `override_dirname`), or `defaults` when there are none.
 */
export function outTreeFolder(
  root: string,
  dataPath: string,
  model: string,
  method: string,
  commandLine: Settings,
): string {
  const parts = FIT_OPTION_SPECS.filter(
    (s) =>
      s.key in commandLine &&
      s.sweep !== false &&
      s.key !== "model.type" &&
      s.key !== "inference.method" &&
      s.key !== "data.path",
  )
    .map((s) => {
      const v = commandLine[s.key];
      return `${s.key.split(".").slice(1).join(".")}=${overrideText(v)}`;
    })
    .sort();
  // Hydra's override_dirname: key=value pairs joined by ","; other characters become "_", and
  // a name past a file system's 255 bytes keeps its start and a hash of the whole
  let name = parts.length ? parts.join(",").replace(/[^A-Za-z0-9._,=+-]/g, "_") : "defaults";
  if (name.length > 200)
    name = `${name.slice(0, 180)}~${createHash("sha256").update(name).digest("hex").slice(0, 12)}`;
  return join(root, dataName(dataPath), model, method, name);
}

/** How errors name the origin of a setting: its flag when given as one, else its config key. */
function originOf(key: string, flags: Settings): string {
  const flag = optionSpec(key)?.flag;
  return flag && key in flags ? `--${flag}` : key;
}

/**
 * The `priors` option of `fit()` from `model.priors`: a mapping, given in a config file or as
 * YAML text (`--priors '{mean_expression: {batch: horseshoe}}'`, an override). Its `{ level:
 * family }` entries are checked against the design in the plan (`checkLevelPriors`), the rest
 * by the model (`models/priors.ts`); both name the key, level and family.
 */
function priorsOption(value: unknown, where: string): FitOptions["priors"] {
  let v = value;
  if (typeof v === "string") {
    try {
      v = parseYaml(v);
    } catch (e) {
      throw new UsageError(`${where}: not valid YAML (${(e as Error).message.split("\n")[0]})`);
    }
  }
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new UsageError(
      `${where} must be a mapping of parameter to prior (e.g. {mean_expression: {batch: horseshoe}}), got ${JSON.stringify(value)}`,
    );
  return v as FitOptions["priors"];
}

/**
 * Resolve the command line: `values` are parseArgs' flag values, `positionals` DATA and the
 * `key=value` overrides.
 */
export function resolveFitPlan(values: Record<string, unknown>, positionals: readonly string[]): FitPlan {
  const overrides = positionals.filter(isOverride);
  const data = positionals.filter((p) => !isOverride(p));
  const cfg: ConfigValues =
    typeof values.config === "string" ? readConfigFile(values.config) : { settings: {}, fitExtra: {} };
  const fromOverrides: ConfigValues = { settings: {}, fitExtra: {} };
  for (const o of overrides) applyOverride(fromOverrides, o);
  const flags = settingsFromFlags(values);
  const commandLine: Settings = { ...fromOverrides.settings, ...flags };
  const s: Settings = { ...cfg.settings, ...commandLine };
  const fitExtra = { ...cfg.fitExtra, ...fromOverrides.fitExtra };

  if (data.length > 1) throw new UsageError(`expected one DATA argument, got ${data.length}`);
  const dataPath = data[0] ?? (s["data.path"] as string | undefined);
  if (dataPath === undefined) throw new UsageError("missing DATA (an .h5ad file or a 10x folder)");

  const method = setting<string>(s, "inference.method");
  // Laplace-EM (cli/fit-laplace.ts): pln, nbln, lnm, lnmvcp, and only those
  const laplaceModel = laplaceModelOf(method, s["model.type"]);
  // the VAE of the logistic-normal models (cli/fit-vae.ts): pln, nbln, lnm
  const logNormalVae = logNormalVaeModelOf(
    method,
    s["model.type"],
    s["model.zero_inflation"],
    s["model.variable_capture"],
  );
  // neither is an NB-family ModelType; fit() takes them beside those (its VAE and Laplace paths)
  const model = laplaceModel
    ? (laplaceModel as unknown as ModelType)
    : logNormalVae
      ? (logNormalVae as unknown as ModelType)
      : resolveModel(
          s["model.type"] as ModelType | undefined,
          s["model.zero_inflation"] as boolean | undefined,
          s["model.variable_capture"] as boolean | undefined,
          // --model with a contradicting --zero-inflation/--variable-capture is an error; a model
          // from the config file or an override is the base those flags modify
          "model.type" in flags && ("model.zero_inflation" in flags || "model.variable_capture" in flags),
        );

  const opts: FitOptions = { ...(fitExtra as FitOptions), model };
  // a value equal to its documented default is left to fit(), whose defaults these are: a
  // config stating every default (the --initialize template) then fits exactly as no config
  const put = <K extends keyof FitOptions>(k: K, key: string) => {
    const v = s[key];
    if (v !== undefined && JSON.stringify(v) !== JSON.stringify(optionSpec(key)?.dflt))
      opts[k] = v as FitOptions[K];
  };
  put("parameterization", "model.parameterization");
  put("unconstrained", "model.unconstrained");
  put("positiveTransform", "model.positive_transform");
  put("nComponents", "model.n_components");
  put("mixtureParams", "model.mixture_params");
  put("nQuadNodes", "model.n_quad_nodes");
  if (s["model.priors"] !== undefined)
    opts.priors = priorsOption(s["model.priors"], originOf("model.priors", flags));
  put("annotationKey", "model.annotation_key");
  put("annotationConfidence", "model.annotation_confidence");
  put("overdispersion", "model.overdispersion");
  put("expressionAnchor", "model.expression_anchor");
  put("expressionAnchorSigma", "model.expression_anchor_sigma");
  put("datasetKey", "model.dataset_key");
  if (s["model.hierarchy"] !== undefined)
    opts.hierarchy = hierarchyOption(
      s["model.hierarchy"],
      s["model.dataset_key"],
      originOf("model.hierarchy", flags),
    );
  put("interactions", "model.interactions");
  // per-level priors name the --dataset-key factors (and interactions): a typo is a usage
  // error naming the key, the level and the factors, before any data is read
  try {
    checkLevelPriors(opts.priors, {
      factors: datasetDesign(opts).columns,
      ...(opts.interactions ? { interactions: opts.interactions } : {}),
      ...(opts.parameterization ? { parameterization: opts.parameterization } : {}),
    });
  } catch (e) {
    throw new UsageError(`${originOf("model.priors", flags)}: ${(e as Error).message}`);
  }
  put("datasetParams", "model.dataset_params");
  put("datasetMixing", "model.dataset_mixing");
  put("probDatasetMode", "model.prob_dataset_mode");
  put("guideRank", "guide.rank");
  put("amortizeCapture", "guide.amortize_capture");
  put("captureHiddenDims", "guide.capture_hidden_dims");
  put("nSteps", "inference.n_steps");
  put("batchSize", "inference.batch_size");
  put("backed", "data.backed");
  put("learningRate", "inference.learning_rate");
  put("stableUpdate", "inference.stable_update");
  put("initComponents", "inference.init_components");
  put("klAnnealingWarmup", "inference.kl_annealing_warmup");
  put("geneCoverage", "data.gene_coverage");
  put("maxNonFiniteSteps", "inference.max_non_finite_steps");
  put("seed", "inference.seed");
  put("guideFlow", "guide.flow");
  if (s["guide.flow_joint"] === true) {
    if (opts.guideFlow === undefined)
      throw new UsageError(
        `${originOf("guide.flow_joint", flags)} needs a flow guide: set --guide-flow KIND`,
      );
    opts.guideFlowOptions = { ...opts.guideFlowOptions, independent: false };
  }
  // VAE inference: its options join fit()'s (cli/fit-vae.ts)
  const vae =
    method === "vae"
      ? vaeFitOptions(s, originOf("inference.vae.validation", flags), logNormalVae !== null)
      : null;
  if (vae) Object.assign(opts, vae);
  else if (s["inference.vae.validation"] !== undefined)
    throw new UsageError(
      `${originOf("inference.vae.validation", flags)}: held-out early stopping is for --inference-method vae (SVI has --early-stopping)`,
    );
  if (laplaceModel) Object.assign(opts, laplaceFitOptions(s, laplaceModel));
  Object.assign(opts, logOffsetOption(s, method, s["model.type"]));
  if (method === "mcmc") {
    opts.inferenceMethod = "mcmc";
    put("nSamples", "inference.mcmc.n_samples");
    put("nWarmup", "inference.mcmc.n_warmup");
    put("nChains", "inference.mcmc.n_chains");
  }
  if (s["model.organism"] !== undefined)
    opts.priors = { ...(opts.priors ?? {}), organism: s["model.organism"] as string };
  if (s["model.capture_scaling"] !== undefined)
    opts.priors = { ...(opts.priors ?? {}), capture_scaling: s["model.capture_scaling"] as string };
  const esKeys = FIT_OPTION_SPECS.filter((x) => x.key.startsWith("inference.early_stopping.") && x.key in s);
  if (setting<boolean>(s, "inference.early_stopping.enabled")) {
    opts.earlyStopping = {
      patience: setting<number>(s, "inference.early_stopping.patience"),
      minDelta: setting<number>(s, "inference.early_stopping.min_delta"),
      window: setting<number>(s, "inference.early_stopping.window"),
      minSteps: setting<number>(s, "inference.early_stopping.min_steps"),
      restoreBest: setting<boolean>(s, "inference.early_stopping.restore_best"),
    };
    if (vae?.validation !== undefined && vae.validation !== false)
      throw new UsageError(
        `${originOf("inference.vae.validation", flags)} and --early-stopping: one early stopping per fit (held-out ELBO or training loss); turn one off`,
      );
  } else if (esKeys.some((x) => x.key !== "inference.early_stopping.enabled" && x.key in commandLine))
    throw new UsageError("--patience, --min-delta and --min-steps need --early-stopping");

  const filters: DataFilters = {};
  const fput = <K extends keyof DataFilters>(k: K, key: string) => {
    const v = s[key];
    if (v !== undefined) filters[k] = v as DataFilters[K];
  };
  fput("filterObs", "data.filter_obs");
  fput("subsetColumn", "data.subset_column");
  fput("subsetValue", "data.subset_value");
  fput("minCells", "data.min_cells");
  fput("minGenes", "data.min_genes");
  fput("hvg", "data.hvg");

  const root = s["output.out_root"] as string | undefined;
  if (root !== undefined && "output.out_root" in commandLine && "output.out" in commandLine)
    throw new UsageError("--out and --out-root are exclusive");
  // --out on the command line wins over a config file's out_root (split-by levels use it)
  const outDir =
    root !== undefined && !("output.out" in commandLine)
      ? outTreeFolder(root, dataPath, model, method, commandLine)
      : setting<string>(s, "output.out");
  return { dataPath, fitOptions: opts, filters, outDir, settings: s, commandLine };
}
