/**
 * The options of `scribe fit` as data: each option's config key (`section.key`, the layout of
 * SCRIBE's `scribe-infer` config groups), flag, kind, default, help group and help text. The
 * code that reads them (flags, config files, overrides, `--help`, the `--initialize`
 * template) is in fit-options.ts and config-file.ts.
 * @module
 */

/** The help groups of `scribe fit`. */
export type OptionGroup = "Data" | "Model" | "Guide" | "Inference" | "Output" | "Run control";

/** Value kinds: positive integer, non-negative integer, positive number, flag, text, list of texts, any YAML value. */
export type OptionKind = "int" | "int0" | "num" | "bool" | "string" | "strings" | "yaml";

/** One option of `scribe fit`. */
export interface OptionSpec {
  /** Config key, `section.key` (snake_case, as SCRIBE's config files). */
  readonly key: string;
  /** Command-line flag without the dashes; absent for config-only options. */
  readonly flag?: string;
  /** One-letter alias. */
  readonly short?: string;
  readonly group: OptionGroup;
  readonly kind: OptionKind;
  /** Accepted values (strings). */
  readonly choices?: readonly string[];
  /** The default, written by `--initialize` (null: unset, the library decides). */
  readonly dflt: unknown;
  /** Placeholder of the value in the help text. */
  readonly arg?: string;
  /** Help text (one sentence or two). */
  readonly help: string;
  /** Whether a value given on the command line names the `--out-root` folder (default: model/guide/inference/data options). */
  readonly sweep?: boolean;
}

const MODELS = ["nbdm", "zinb", "nbvcp", "zinbvcp", "twostate", "twostatevcp"] as const;

/** Every option of `scribe fit`. */
export const FIT_OPTION_SPECS: readonly OptionSpec[] = [
  // Data
  {
    key: "data.path",
    group: "Data",
    kind: "string",
    dflt: null,
    help: "the data (an .h5ad file or a 10x folder) when DATA is not given",
  },
  {
    key: "data.layer",
    flag: "layer",
    group: "Data",
    kind: "string",
    dflt: null,
    arg: "NAME",
    help: "read counts from this layer instead of X",
  },
  {
    key: "data.raw",
    flag: "raw",
    group: "Data",
    kind: "bool",
    dflt: false,
    help: ".h5ad: read counts from .raw (raw/X, raw/var)",
  },
  {
    key: "data.filter_obs",
    flag: "filter-obs",
    group: "Data",
    kind: "strings",
    dflt: [],
    arg: "COL=V[,V2]",
    help: "keep cells whose obs COL is one of the values (repeatable; all must hold)",
  },
  {
    key: "data.subset_column",
    flag: "subset-column",
    group: "Data",
    kind: "string",
    dflt: null,
    arg: "COL",
    help: "with --subset-value: keep the cells whose obs COL equals VALUE",
  },
  {
    key: "data.subset_value",
    flag: "subset-value",
    group: "Data",
    kind: "string",
    dflt: null,
    arg: "VALUE",
    help: "the value of --subset-column to keep",
  },
  {
    key: "data.min_genes",
    flag: "min-genes",
    group: "Data",
    kind: "int",
    dflt: null,
    arg: "N",
    help: "keep cells with a non-zero count in at least N genes",
  },
  {
    key: "data.min_cells",
    flag: "min-cells",
    group: "Data",
    kind: "int",
    dflt: null,
    arg: "N",
    help: "keep genes with a non-zero count in at least N cells (after --min-genes)",
  },
  {
    key: "data.hvg",
    flag: "hvg",
    group: "Data",
    kind: "int",
    dflt: null,
    arg: "N",
    help: "keep the N most variable genes (Seurat v3: loess mean-variance trend on the raw counts, clipped standardised variance)",
  },
  {
    key: "data.split_by",
    flag: "split-by",
    group: "Data",
    kind: "string",
    dflt: null,
    arg: "COL",
    sweep: false,
    help: "fit each level of this obs column into its own folder OUT/<level> (for scribe compare)",
  },
  // Model
  {
    key: "model.type",
    flag: "model",
    group: "Model",
    kind: "string",
    choices: MODELS,
    dflt: "nbvcp",
    arg: "NAME",
    help: "nbdm | zinb | nbvcp | zinbvcp | twostate | twostatevcp",
  },
  {
    key: "model.zero_inflation",
    flag: "zero-inflation",
    group: "Model",
    kind: "bool",
    dflt: null,
    help: "zero-inflated variant of the model (nbdm→zinb, nbvcp→zinbvcp); with a contradicting --model an error",
  },
  {
    key: "model.variable_capture",
    flag: "variable-capture",
    group: "Model",
    kind: "bool",
    dflt: null,
    help: "per-cell capture probability (nbdm→nbvcp, zinb→zinbvcp, twostate→twostatevcp)",
  },
  {
    key: "model.parameterization",
    flag: "parameterization",
    group: "Model",
    kind: "string",
    dflt: null,
    arg: "NAME",
    help: "NB models: canonical (default, alias standard) | mean_prob (linked) | mean_odds (odds_ratio) | mean_disp; twostate/twostatevcp (required): two_state_natural (natural) | two_state_ratio (ratio) | two_state_mean_fano (mean_fano, fano) | two_state_moment_delta (moment_delta, delta)",
  },
  {
    key: "model.unconstrained",
    flag: "unconstrained",
    group: "Model",
    kind: "bool",
    dflt: false,
    help: "Normal + transform priors and guides",
  },
  {
    key: "model.positive_transform",
    group: "Model",
    kind: "yaml",
    dflt: null,
    help: "softplus | exp, or a map parameter → transform",
  },
  {
    key: "model.n_components",
    flag: "n-components",
    group: "Model",
    kind: "int",
    dflt: null,
    arg: "K",
    help: "mixture with K components",
  },
  {
    key: "model.mixture_params",
    group: "Model",
    kind: "yaml",
    dflt: null,
    help: "mixture: which params are per component (all | biological | mean | prob | gate, or a list)",
  },
  {
    key: "model.n_quad_nodes",
    flag: "n-quad-nodes",
    group: "Model",
    kind: "int",
    dflt: null,
    arg: "K",
    help: "twostate/twostatevcp: quadrature nodes of the Poisson–Beta likelihood (default 128, at least 6)",
  },
  {
    key: "model.organism",
    flag: "organism",
    group: "Model",
    kind: "string",
    dflt: null,
    arg: "NAME",
    help: "biology-informed capture prior (human, mouse, yeast, ecoli)",
  },
  {
    key: "model.priors",
    group: "Model",
    kind: "yaml",
    dflt: null,
    help: "the priors option of fit() (e.g. {p: [1, 1], r: [0, 1]})",
  },
  {
    key: "model.annotation_key",
    flag: "annotation-key",
    group: "Model",
    kind: "string",
    dflt: null,
    arg: "COL",
    help: "mixtures: obs column of cell-type labels for annotation priors",
  },
  {
    key: "model.annotation_confidence",
    flag: "annotation-confidence",
    group: "Model",
    kind: "num",
    dflt: 3,
    arg: "KAPPA",
    help: "strength of the annotation prior",
  },
  // Guide
  {
    key: "guide.rank",
    flag: "guide-rank",
    group: "Guide",
    kind: "int",
    dflt: null,
    arg: "K",
    help: "low-rank guide on the gene parameter",
  },
  {
    key: "guide.amortize_capture",
    flag: "amortize-capture",
    group: "Guide",
    kind: "bool",
    dflt: false,
    help: "amortized capture guide (an MLP of each cell's total count; VCP models)",
  },
  {
    key: "guide.capture_hidden_dims",
    group: "Guide",
    kind: "yaml",
    dflt: [64, 32],
    help: "hidden layer sizes of the capture amortizer",
  },
  // Inference
  {
    key: "inference.method",
    flag: "inference-method",
    group: "Inference",
    kind: "string",
    choices: ["svi", "mcmc", "vae", "laplace"],
    dflt: "svi",
    arg: "NAME",
    help: "svi | mcmc (NUTS) | vae | laplace (vae and laplace: not yet available)",
  },
  {
    key: "inference.n_steps",
    flag: "n-steps",
    group: "Inference",
    kind: "int0",
    dflt: 50000,
    arg: "N",
    help: "SVI steps",
  },
  {
    key: "inference.batch_size",
    flag: "batch-size",
    group: "Inference",
    kind: "int",
    dflt: null,
    arg: "B",
    help: "cells per minibatch (default: all cells)",
  },
  {
    key: "inference.learning_rate",
    flag: "learning-rate",
    group: "Inference",
    kind: "num",
    dflt: 0.001,
    arg: "LR",
    help: "Adam step size",
  },
  {
    key: "inference.stable_update",
    group: "Inference",
    kind: "bool",
    dflt: true,
    help: "leave the params unchanged on non-finite steps",
  },
  {
    key: "inference.max_non_finite_steps",
    group: "Inference",
    kind: "int",
    dflt: 100,
    help: "stop with an error after this many consecutive non-finite steps",
  },
  {
    key: "inference.init_components",
    group: "Inference",
    kind: "bool",
    dflt: true,
    help: "mixtures: start components at k-means clusters of the cells",
  },
  {
    key: "inference.seed",
    flag: "seed",
    group: "Inference",
    kind: "int0",
    dflt: 42,
    arg: "S",
    help: "random seed",
  },
  {
    key: "inference.early_stopping.enabled",
    flag: "early-stopping",
    group: "Inference",
    kind: "bool",
    dflt: false,
    help: "stop when the smoothed loss stops improving",
  },
  {
    key: "inference.early_stopping.patience",
    flag: "patience",
    group: "Inference",
    kind: "int",
    dflt: 500,
    arg: "N",
    help: "early stopping: steps without improvement before stopping",
  },
  {
    key: "inference.early_stopping.min_delta",
    flag: "min-delta",
    group: "Inference",
    kind: "num",
    dflt: 1,
    arg: "X",
    help: "early stopping: smallest loss decrease that counts as an improvement",
  },
  {
    key: "inference.early_stopping.window",
    group: "Inference",
    kind: "int",
    dflt: 100,
    help: "early stopping: moving-average width of the loss (steps)",
  },
  {
    key: "inference.early_stopping.min_steps",
    flag: "min-steps",
    group: "Inference",
    kind: "int0",
    dflt: 5000,
    arg: "N",
    help: "early stopping: never stop before N steps",
  },
  {
    key: "inference.early_stopping.restore_best",
    group: "Inference",
    kind: "bool",
    dflt: true,
    help: "early stopping: keep the params of the best smoothed loss",
  },
  {
    key: "inference.mcmc.n_samples",
    flag: "mcmc-samples",
    group: "Inference",
    kind: "int",
    dflt: 2000,
    arg: "N",
    help: "MCMC draws per chain",
  },
  {
    key: "inference.mcmc.n_warmup",
    flag: "mcmc-warmup",
    group: "Inference",
    kind: "int0",
    dflt: 1000,
    arg: "N",
    help: "MCMC warmup steps",
  },
  {
    key: "inference.mcmc.n_chains",
    flag: "mcmc-chains",
    group: "Inference",
    kind: "int",
    dflt: 1,
    arg: "N",
    help: "MCMC chains",
  },
  // Output
  {
    key: "output.out",
    flag: "out",
    group: "Output",
    kind: "string",
    dflt: "scribe_fit",
    arg: "DIR",
    sweep: false,
    help: "output folder: params.json, results.h5ad and, while running, checkpoint.ckpt",
  },
  {
    key: "output.out_root",
    flag: "out-root",
    group: "Output",
    kind: "string",
    dflt: null,
    arg: "ROOT",
    sweep: false,
    help: "write to ROOT/{data}/{model}/{method}/{overrides} instead of --out (sweeps do not overwrite each other)",
  },
  {
    key: "output.n_samples",
    flag: "n-samples",
    group: "Output",
    kind: "int",
    dflt: 100,
    arg: "N",
    sweep: false,
    help: "posterior draws for the summaries in results.h5ad",
  },
  {
    key: "output.plots",
    flag: "plots",
    group: "Output",
    kind: "bool",
    dflt: false,
    sweep: false,
    help: "also draw the default plots (loss, PPC, ECDF) into OUT/plots",
  },
  // Run control
  {
    key: "run.backend",
    flag: "backend",
    group: "Run control",
    kind: "string",
    choices: ["cpu", "webgpu"],
    dflt: "cpu",
    arg: "NAME",
    sweep: false,
    help: "cpu | webgpu (a GPU, or Chromium's SwiftShader driver with VK_ICD_FILENAMES set)",
  },
  {
    key: "run.checkpoint_every",
    flag: "checkpoint-every",
    group: "Run control",
    kind: "int",
    dflt: 500,
    arg: "N",
    sweep: false,
    help: "steps between checkpoints",
  },
  {
    key: "run.resume",
    flag: "resume",
    group: "Run control",
    kind: "bool",
    dflt: false,
    sweep: false,
    help: "continue from OUT/checkpoint.ckpt",
  },
  {
    key: "run.quiet",
    flag: "quiet",
    short: "q",
    group: "Run control",
    kind: "bool",
    dflt: false,
    sweep: false,
    help: "no progress on stderr",
  },
];
