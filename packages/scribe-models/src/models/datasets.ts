/**
 * Multi-dataset hierarchies (SCRIBE `dataset_key`, `dataset_params`, `dataset_mixing`,
 * `prob_dataset_mode`; SCRIBE multi-dataset designs): each cell belongs to one of D datasets; the
 * parameters named in `datasetParams` get one value per dataset under a centred Gaussian
 * hierarchy — a per-gene population location (scalar for the gate, N(−5, 0.01)), a scale
 * softplus(N(−2, 0.5)) (p/phi: N(0, 0.5)), and θ_{d,g} = T(N(loc_g, scale)) — with axis order
 * (K, D, G). `probDatasetMode` shapes p/phi: "scalar" (one value per dataset, shape (K?, D)),
 * "gene_specific" (default, (K?, D, G)) or "two_level" (the per-gene location itself drawn
 * around a scalar population location: loc_g ~ N(pop, s_gene)). With `datasetMixing`, mixtures
 * get per-dataset mixing weights (D, K).
 *
 * Inside the model the dataset axis is resolved per cell: {@link perCellValues} gathers each
 * dataset parameter at the cells' datasets, giving a leading cell axis that the
 * parameterization's grid broadcasts like any other axis. Derived parameters of draws carry
 * the dataset axis ({@link datasetNaturalParams}).
 * @module
 */
import { fromTypedArray, type Tensor } from "@scribe/core";
import {
  type DatasetFactorOptions,
  type DatasetFactors,
  factorEffectShapes,
  factorFamily,
  factorSiteNames,
  resolveFactors,
} from "../families/dataset-factors.js";
import type { CoreParam, ModelConfig } from "./config.js";
import { type CoreValues, naturalParams, paramAxes } from "./parameterization.js";
import type { HierarchySpec, LevelFamily } from "./priors.js";
import { shrinkageHyperSites } from "./shrinkage.js";
import { hierarchySites, type SiteSpec } from "./sites.js";
import type { TransformName } from "./transformed-normal.js";

/** How p/phi is shaped when it is a dataset parameter (SCRIBE `prob_dataset_mode`). */
export type ProbDatasetMode = "scalar" | "gene_specific" | "two_level";

/** The resolved dataset design. */
export interface DatasetConfig {
  /** Number of datasets D (≥ 2; a single dataset turns the design off). */
  readonly n: number;
  /** Dataset of each cell, [nCells], in 0 … D − 1. */
  readonly indices: Int32Array;
  /** Parameters with a value per dataset. */
  readonly params: readonly CoreParam[];
  /** Per-dataset mixing weights (mixtures). */
  readonly mixing: boolean;
  /** Shape of p/phi when it is a dataset parameter. */
  readonly probMode: ProbDatasetMode;
  /** Crossed factors (a list `datasetKey`; `families/dataset-factors.ts`), or null. */
  readonly factors: DatasetFactors | null;
}

/** What {@link resolveDatasets} needs to know of the model. */
export interface DatasetContext {
  readonly nCells: number;
  readonly nComponents: number;
  readonly sampledCore: readonly CoreParam[];
  readonly geneParam: CoreParam;
  readonly zeroInflated: boolean;
  readonly unconstrained: boolean;
  /** Parameters that already carry a gene-level hierarchy (refused as dataset parameters). */
  readonly hierarchical: readonly CoreParam[];
  /** Why the family cannot take datasets, or null. */
  readonly unsupported: string | null;
  /** Per-level families of factor effects, by target and factor (`priors` `{ level: family }`). */
  readonly levelFamilies?: Readonly<Record<string, Readonly<Record<string, LevelFamily>>>>;
  /** Gene-level hierarchies on factor designs' bases, by target (`priors` `{ base: family }`). */
  readonly levelBase?: Readonly<Record<string, HierarchySpec>>;
}

/** The dataset options of a model (see `ModelOptions`). */
export interface DatasetOptions {
  datasetIndices?: ArrayLike<number>;
  nDatasets?: number;
  datasetParams?: readonly CoreParam[] | "biological" | "mean" | "prob" | "gate";
  datasetMixing?: boolean;
  probDatasetMode?: ProbDatasetMode;
  /** Crossed factors whose level combinations are the datasets (`families/dataset-factors.ts`). */
  datasetFactors?: DatasetFactorOptions;
}

/**
 * Check the dataset options; null without datasets or with a single dataset (SCRIBE's
 * `auto_downgrade_single_dataset_hierarchy`). Default `datasetParams`: the gene parameter.
 */
export function resolveDatasets(opts: DatasetOptions, ctx: DatasetContext): DatasetConfig | null {
  const idx = opts.datasetIndices;
  const withLevels = [
    ...new Set([...Object.keys(ctx.levelFamilies ?? {}), ...Object.keys(ctx.levelBase ?? {})]),
  ];
  if (idx === undefined || idx === null) {
    if (withLevels.length)
      throw new Error(
        `priors: per-level families (for ${withLevels.map((t) => `'${t}'`).join(", ")}) need a dataset design (fit's datasetKey with several columns)`,
      );
    for (const k of [
      "nDatasets",
      "datasetParams",
      "datasetMixing",
      "probDatasetMode",
      "datasetFactors",
    ] as const)
      if (opts[k] !== undefined) throw new Error(`${k} needs datasetIndices (or fit's datasetKey)`);
    return null;
  }
  if (typeof idx !== "object" || typeof idx.length !== "number")
    throw new Error(
      `datasetIndices must be an array of dataset indices, one per cell, got ${JSON.stringify(idx)}`.slice(
        0,
        200,
      ),
    );
  if (idx.length !== ctx.nCells)
    throw new Error(`datasetIndices must hold one dataset per cell (${ctx.nCells}), got ${idx.length}`);
  let max = -1;
  for (let c = 0; c < idx.length; c++) {
    const d = Number(idx[c]);
    if (!Number.isInteger(d) || d < 0) throw new Error(`datasetIndices: cell ${c} has dataset ${d}`);
    max = Math.max(max, d);
  }
  const n = opts.nDatasets ?? max + 1;
  if (!Number.isInteger(n) || n < 1 || n <= max)
    throw new Error(`nDatasets must be an integer above every dataset index (max ${max}), got ${n}`);
  if (n < 2) {
    if (withLevels.length)
      throw new Error(
        `priors: per-level families (for ${withLevels.map((t) => `'${t}'`).join(", ")}) need at least two datasets, got one`,
      );
    return null;
  }
  if (ctx.unsupported) throw new Error(ctx.unsupported);
  const avail: CoreParam[] = ctx.zeroInflated ? [...ctx.sampledCore, "gate"] : [...ctx.sampledCore];
  const input = opts.datasetParams ?? [ctx.geneParam];
  const params: CoreParam[] =
    input === "biological"
      ? [...ctx.sampledCore]
      : input === "mean"
        ? [ctx.geneParam]
        : input === "prob"
          ? ctx.sampledCore.filter((c) => c !== ctx.geneParam)
          : input === "gate"
            ? ["gate"]
            : [...input];
  if (params.length === 0) throw new Error("datasetParams: no parameters");
  for (const p of params) {
    if (!avail.includes(p))
      throw new Error(
        `datasetParams: '${p}' is not a sampled parameter of this model (sampled: ${avail.join(", ")})`,
      );
    if (ctx.hierarchical.includes(p))
      throw new Error(
        `datasetParams: '${p}' already has a gene-level hierarchy (priors); a parameter takes one hierarchy`,
      );
  }
  if (!ctx.unconstrained)
    throw new Error(
      "datasetParams: the dataset hierarchy is a Normal + transform prior; set unconstrained: true",
    );
  const probMode = opts.probDatasetMode ?? "gene_specific";
  if (!["scalar", "gene_specific", "two_level"].includes(probMode))
    throw new Error(
      `probDatasetMode must be "scalar", "gene_specific" or "two_level", got ${JSON.stringify(probMode)}`,
    );
  const mixing = opts.datasetMixing ?? ctx.nComponents > 1;
  if (mixing && ctx.nComponents < 2) throw new Error("datasetMixing needs a mixture (nComponents ≥ 2)");
  const factors = resolveFactors(opts.datasetFactors, n, params, ctx.levelFamilies, ctx.levelBase);
  return { n, indices: Int32Array.from(idx, Number), params, mixing, probMode, factors };
}

/** Whether `name` has a value per dataset. */
export function isDatasetParam(cfg: ModelConfig, name: string): boolean {
  return cfg.datasets !== null && (cfg.datasets.params as readonly string[]).includes(name);
}

/** Whether a dataset parameter p/phi has a gene axis (not in "scalar" mode). */
export function datasetProbPerGene(cfg: ModelConfig, name: CoreParam): boolean {
  return (name === "p" || name === "phi") && isDatasetParam(cfg, name) && cfg.datasets!.probMode !== "scalar";
}

/**
 * The sites of the dataset hierarchy on `target` (shape `shape`, axes (K?, D, G?)): the
 * population location `{log|logit}_{target}_loc` (per gene, or scalar for the gate and for p/phi
 * in "scalar" mode; in "two_level" mode itself T_id(N(`…_pop_loc`, `…_gene_scale`))), the scale
 * `…_scale`, then the target T(N(loc, scale)). With mean anchoring (`anchor`, the gene
 * parameter's centres from `sites.ts`) the per-gene location is N(centre_g, σ) instead of
 * N(0, 1): in T's inverse space for the hierarchy, in log space for a factor design's base.
 */
export function datasetSites(
  cfg: ModelConfig,
  target: CoreParam,
  shape: readonly number[],
  T: TransformName,
  names: { loc: string; scale: string },
  out: SiteSpec[],
  anchor: { loc: readonly number[]; logCentre: readonly number[]; sigma: number } | null = null,
): void {
  const G = cfg.nGenes;
  const factors = cfg.datasets!.factors;
  if (factors) {
    // crossed factors: a base and reference-coded log effects; nested factors: a learned scale
    // and one deviation per level (`families/dataset-factors.ts`); the target is deterministic.
    // A mixture target keeps its component axis on every site (shape (K, D, G) for θ).
    const lead = cfg.nComponents > 1 && cfg.mixtureParams.includes(target) ? [cfg.nComponents] : [];
    const fn = factorSiteNames(factors, target);
    const shapes = factorEffectShapes(factors, G, lead);
    const normal = (name: string, shape: number[]): SiteSpec => ({
      name,
      shape,
      cell: false,
      family: { kind: "normal", loc: 0, scale: 1 },
      role: "hyper",
    });
    // the base β (log θ at the reference levels): N(loc, scale) from the target's flat prior
    // hyper-parameters (N(0, 1) by default; `priors: { mean_expression: { base: [loc, scale] } }`),
    // or a gene-level hierarchy (`{ base: family }`, the sites of `sites.ts`'s hierarchySites)
    const [baseLoc, baseScale] = cfg.priors.base[target] ?? [0, 1];
    const baseFamily = factors.baseFamilies?.[target];
    if (baseFamily && fn.base) {
      // as the gene-level hierarchy: the expression target pools per-component values toward a
      // per-gene population location (so it needs the component axis), phi toward a scalar one
      const perGene = target === cfg.geneParam;
      if (perGene && lead.length === 0)
        throw new Error(
          `priors: a ${baseFamily.family} family on the base of '${target}' pools its per-component values toward a per-gene population: '${target}' must be a mixture parameter (mixtureParams) of a mixture`,
        );
      const locSpec: SiteSpec = {
        ...normal(fn.base.loc, perGene ? [G] : []),
        ...(anchor
          ? { family: { kind: "normal", loc: 0, scale: anchor.sigma, geneLoc: anchor.logCentre } }
          : {}),
      };
      hierarchySites(
        fn.loc,
        [...lead, G],
        "identity",
        locSpec,
        perGene ? -2 : 0,
        baseFamily,
        "hyper",
        out,
        fn.base.prefix,
      );
    } else
      out.push(
        anchor
          ? {
              ...normal(fn.loc, [...lead, G]),
              family: { kind: "normal", loc: 0, scale: anchor.sigma, geneLoc: anchor.logCentre },
            }
          : { ...normal(fn.loc, [...lead, G]), family: { kind: "normal", loc: baseLoc, scale: baseScale } },
      );
    // each term (factors, then interactions): its effects under the term's family
    fn.effects.forEach((n, f) => {
      const scale = fn.scales[f];
      const prefix = fn.shrinkagePrefixes[f];
      const h = factorFamily(factors, target, f);
      if (shapes.effects[f]![lead.length]! === 0) return; // a one-level crossed factor has no effect
      if (prefix && (h.family === "horseshoe" || h.family === "neg")) {
        // horseshoe / NEG effects, non-centred: the hyper-sites, then z (the effect is s ⊙ z)
        shrinkageHyperSites(prefix, shapes.effects[f]!, h, out);
        out.push(normal(fn.raws[f]!, shapes.effects[f]!));
      } else if (scale) {
        // SCRIBE's multi-factor random-effect scale: softplus(N(−2, 0.5)), scalar
        out.push({
          name: scale,
          shape: [],
          cell: false,
          family: { kind: "tnormal", loc: -2, scale: 0.5, transform: "softplus" },
          role: "hyper",
        });
        out.push({
          name: n,
          shape: shapes.effects[f]!,
          cell: false,
          family: { kind: "tnormal", loc: 0, scale, transform: "identity" },
          role: "hyper",
        });
      } else
        out.push({
          ...normal(n, shapes.effects[f]!),
          family: { kind: "normal", loc: 0, scale: h.family === "fixed" ? h.scale : 1 },
        });
    });
    return;
  }
  const prob = target === "p" || target === "phi";
  const mode = cfg.datasets!.probMode;
  if (target === "gate")
    out.push({
      name: names.loc,
      shape: [],
      cell: false,
      family: { kind: "normal", loc: -5, scale: 0.01 },
      role: "hyper",
    });
  else if (prob && mode === "scalar")
    out.push({
      name: names.loc,
      shape: [],
      cell: false,
      family: { kind: "normal", loc: 0, scale: 1 },
      role: "hyper",
    });
  else if (prob && mode === "two_level") {
    const pop = names.loc.replace(/_loc$/, "_pop_loc");
    const geneScale = names.loc.replace(/_loc$/, "_gene_scale");
    out.push({
      name: pop,
      shape: [],
      cell: false,
      family: { kind: "normal", loc: 0, scale: 1 },
      role: "hyper",
    });
    out.push({
      name: geneScale,
      shape: [],
      cell: false,
      family: { kind: "tnormal", loc: -2, scale: 0.5, transform: "softplus" },
      role: "hyper",
    });
    out.push({
      name: names.loc,
      shape: [G],
      cell: false,
      family: { kind: "tnormal", loc: pop, scale: geneScale, transform: "identity" },
      role: "hyper",
    });
  } else
    out.push({
      name: names.loc,
      shape: [G],
      cell: false,
      family: anchor
        ? { kind: "normal", loc: 0, scale: anchor.sigma, geneLoc: anchor.loc }
        : { kind: "normal", loc: 0, scale: 1 },
      role: "hyper",
    });
  out.push({
    name: names.scale,
    shape: [],
    cell: false,
    family: { kind: "tnormal", loc: prob ? 0 : -2, scale: 0.5, transform: "softplus" },
    role: "hyper",
  });
  out.push({
    name: target,
    shape: [...shape],
    cell: false,
    family: { kind: "tnormal", loc: names.loc, scale: names.scale, transform: T },
    role: "core",
  });
}

/** Move axis `from` of `x` to position `to`. */
export function moveAxis(x: Tensor, from: number, to: number): Tensor {
  if (from === to) return x;
  const perm = Array.from({ length: x.rank }, (_, i) => i).filter((i) => i !== from);
  perm.splice(to, 0, from);
  return x.transpose(perm);
}

/** Position of the dataset axis in a dataset parameter's natural shape, after `lead` leading axes. */
function datasetAxisOf(cfg: ModelConfig, name: CoreParam, lead: number): number {
  const hasK = cfg.nComponents > 1 && cfg.mixtureParams.includes(name);
  return lead + (hasK ? 1 : 0);
}

/** The dataset of every cell as an int32 tensor [nCells] (on the current backend). */
export function datasetIndexTensor(cfg: ModelConfig): Tensor {
  if (!cfg.datasets) throw new Error("the model has no datasets");
  return fromTypedArray(cfg.datasets.indices, [cfg.datasets.indices.length]);
}

/**
 * The values with every dataset parameter taken at the given cells' datasets: [K?, D, G?] →
 * [B, K?, G?] (cells first, so the grid broadcasts them against the other parameters).
 */
export function perCellValues(
  cfg: ModelConfig,
  values: Readonly<Record<string, Tensor>>,
  cellDatasets: Tensor,
): Record<string, Tensor> {
  const out: Record<string, Tensor> = { ...values };
  for (const name of cfg.datasets?.params ?? []) {
    const v = values[name];
    if (!v) throw new Error(`no value for dataset parameter '${name}'`);
    const axis = datasetAxisOf(cfg, name, 0);
    out[name] = moveAxis(v.gather(cellDatasets, axis), axis, 0);
  }
  return out;
}

/** The mixing weights of the given cells: per dataset (D, K) → [B, K], else as they are. */
export function cellMixingWeights(cfg: ModelConfig, weights: Tensor, cellDatasets: Tensor | null): Tensor {
  if (!cfg.datasets?.mixing || !cellDatasets) return weights;
  return weights.gather(cellDatasets, weights.rank - 2);
}

/**
 * Like `naturalParams`, for a model with datasets: every parameter derived from a dataset
 * parameter carries the dataset axis, in SCRIBE's order [lead…, K?, D, G?]; sampled parameters
 * keep their own shapes.
 */
export function datasetNaturalParams(
  cfg: ModelConfig,
  values: Readonly<Record<string, Tensor>>,
  lead: number,
): CoreValues {
  const D = cfg.datasets!.n;
  const core: CoreParam[] = cfg.zeroInflated ? [...cfg.sampledCore, "gate"] : [...cfg.sampledCore];
  const lifted: Record<string, Tensor> = { ...values };
  for (const name of core) {
    const v = values[name];
    if (!v) continue;
    if (isDatasetParam(cfg, name)) lifted[name] = moveAxis(v, datasetAxisOf(cfg, name, lead), lead);
    else {
      const s = [...v.shape];
      lifted[name] = v.unsqueeze(lead).expand([...s.slice(0, lead), D, ...s.slice(lead)]);
    }
  }
  // ω (BNB) has no dataset axis to lift: the family takes it from the values itself
  const nat = naturalParams({ ...cfg, overdispersion: "none" }, lifted, lead + 1);
  const axes = paramAxes(cfg);
  const back = (n: CoreParam, x: Tensor): Tensor => {
    const own = values[n];
    if (own && core.includes(n) && !isDatasetParam(cfg, n)) return own;
    return axes[n].hasK ? moveAxis(x, lead, lead + 1) : x;
  };
  const out: CoreValues = {
    p: back("p", nat.p),
    r: back("r", nat.r),
    mu: back("mu", nat.mu),
    phi: back("phi", nat.phi),
  };
  if (nat.gate) out.gate = back("gate", nat.gate);
  return out;
}

/**
 * Labels of the leading entries of a per-gene summary [K?, D?, G] of parameter `name` in a
 * dataset model, row-major: "k0_d1" with both axes, "d1" with the dataset axis only, "k0"
 * with the component axis only (for var column names such as `scribe_mu_mean_d1`).
 */
export function datasetColumnLabels(cfg: ModelConfig, name: string, shape: readonly number[]): string[] {
  const lead = shape.slice(0, -1);
  const axes = paramAxes(cfg) as Record<string, { hasK: boolean } | undefined>;
  const hasK = cfg.nComponents > 1 && (axes[name]?.hasK ?? false) && lead.length >= 1;
  const hasD = lead.length - (hasK ? 1 : 0) === 1;
  const K = hasK ? lead[0]! : 1;
  const D = hasD ? lead[lead.length - 1]! : 1;
  const out: string[] = [];
  for (let k = 0; k < K; k++)
    for (let d = 0; d < D; d++)
      out.push([hasK ? `k${k}` : "", hasD ? `d${d}` : ""].filter(Boolean).join("_"));
  return out;
}
