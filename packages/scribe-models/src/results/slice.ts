/**
 * Slicing results by genes and by mixture component (SCRIBE results `results[genes]`,
 * `get_component`): variational parameters are indexed along the gene or component axis of
 * the site they belong to.
 * @module
 */
import { fromTypedArray, type Tensor } from "@scribe/core";
import { type DatasetFactors, factorFamily, factorSiteNames } from "../families/dataset-factors.js";
import { familyOf } from "../families/registry.js";
import { jointFlowSharedSites } from "../guides/flow-guide.js";
import type { CoreParam, ModelConfig } from "../models/config.js";
import { BASE_LEVEL, isLevelPriors, levelTarget, type PriorValue } from "../models/priors.js";
import { shrinkageHyperSites } from "../models/shrinkage.js";
import { hierarchyNames, type SiteSpec } from "../models/sites.js";
import type { ScribeResults } from "./results.js";
import { ScribeResults as Results } from "./results.js";

/**
 * The site a variational parameter belongs to (null for network weights), from the guide's own
 * parameter names (`guideParamSites`, through the model family).
 */
export function siteOfParam(name: string, sites: ReadonlyMap<string, SiteSpec>): SiteSpec | null {
  return sites.get(name) ?? null;
}

function indexAxis(t: Tensor, axis: number, idx: readonly number[]): Tensor {
  return t.gather(fromTypedArray(Int32Array.from(idx), [idx.length]), axis);
}

/**
 * The sites of every horseshoe / NEG factor effect on `target` (its `{θ}_{f}_raw` z and the
 * hyper-sites under its shrinkage prefix, named by `models/shrinkage.ts`); none for the other
 * families, whose effects are sites of their own.
 */
function shrinkageEffectSites(factors: DatasetFactors, target: string): string[] {
  const n = factorSiteNames(factors, target);
  const out: string[] = [];
  n.shrinkagePrefixes.forEach((prefix, f) => {
    const h = factorFamily(factors, target, f);
    if (!prefix || (h.family !== "horseshoe" && h.family !== "neg")) return;
    const hyper: SiteSpec[] = [];
    shrinkageHyperSites(prefix, [], h, hyper);
    out.push(n.raws[f]!, ...hyper.map((x) => x.name));
  });
  return out;
}

/** The per-element hyper-sites and z of a horseshoe / NEG hierarchy under `prefix` (`shrinkage.ts`). */
function shrinkageElementSites(prefix: string): string[] {
  return [`${prefix}_raw`, `lambda_${prefix}`, `zeta_${prefix}`, `psi_${prefix}`];
}

/**
 * `priors` with the gene-level family under `base` removed from the level priors of each
 * target in `targets` (a tuple there, the base's flat prior, stays): the slice holds that base
 * as a site of its own, whose guide is its posterior.
 */
function withoutBaseFamilies(
  priors: Readonly<Record<string, PriorValue>> | undefined,
  targets: readonly string[],
  cfg: ModelConfig,
): Record<string, PriorValue> | undefined {
  if (!priors || targets.length === 0) return priors as Record<string, PriorValue> | undefined;
  return Object.fromEntries(
    Object.entries(priors).map(([k, v]) => {
      if (!isLevelPriors(v) || !targets.includes(levelTarget(k, cfg.parameterization))) return [k, v];
      const { [BASE_LEVEL]: own, ...levels } = v;
      return [k, Array.isArray(own) ? v : levels];
    }),
  );
}

/**
 * How component slicing treats each mixture target's base under a gene-level family
 * (`priors` `{ base: family }`, sites from `models/datasets.ts`): a target that is not the gene
 * parameter (phi) keeps its family, its population location (shared by the components) kept
 * whole and the per-component sites sliced; the gene parameter's family pools the components
 * toward a per-gene population, which one component does not have: a gaussian base becomes a
 * Normal site of its own (its guide at k is its posterior; the population's sites are
 * dropped), and a horseshoe / NEG base (β = loc + s ⊙ z, not Normal) is refused.
 */
function componentBaseSlicing(cfg: ModelConfig): {
  componentSites: string[];
  dropped: string[];
  familiesDropped: string[];
} {
  const out = { componentSites: [] as string[], dropped: [] as string[], familiesDropped: [] as string[] };
  const factors = cfg.datasets?.factors;
  for (const [t, h] of Object.entries(factors?.baseFamilies ?? {})) {
    if (!cfg.mixtureParams.includes(t as CoreParam)) continue; // no component axis: kept whole
    const base = factorSiteNames(factors!, t).base!;
    if (t !== cfg.geneParam) {
      out.componentSites.push(...shrinkageElementSites(base.prefix));
      continue;
    }
    if (h.family !== "gaussian")
      throw new Error(
        `getComponent: the base of '${t}' has a ${h.family} gene-level hierarchy (priors { base: ${h.family} }): log ${t} of a component is its population location plus a shrinkage scale × ${base.prefix}_raw, not Normal, and one component has no population to pool toward; use the full results (getMap / getPosteriorSamples give ${t} per component)`,
      );
    out.dropped.push(base.loc, base.loc.replace(/_loc$/, "_scale"));
    out.familiesDropped.push(t);
  }
  return out;
}

/**
 * How dataset slicing treats each target's base under a gene-level family (`priors`
 * `{ base: family }`): a gaussian base is a Normal site of its own, so θ at the dataset keeps
 * the Normal guide of `factorDatasetGuide` (the population's sites and the family are
 * dropped). A horseshoe / NEG base of the gene parameter at a dataset where no effect applies
 * (every crossed factor at its reference level, no nested factor) is that gene-level hierarchy
 * itself: its sites are renamed to the gene-level hierarchy's (`sites.ts`: population
 * `log_{θ}_loc`, hyper-sites and z under the prefix θ) and the family stays, so the slice is
 * exact. Elsewhere log θ = loc + s ⊙ z + effects has neither form: refused.
 */
function datasetBaseSlicing(
  cfg: ModelConfig,
  d: number,
): { dropped: string[]; familiesDropped: string[]; renamed: Map<string, string>; asHierarchy: Set<string> } {
  const out = {
    dropped: [] as string[],
    familiesDropped: [] as string[],
    renamed: new Map<string, string>(),
    asHierarchy: new Set<string>(),
  };
  const factors = cfg.datasets?.factors;
  for (const [t, h] of Object.entries(factors?.baseFamilies ?? {})) {
    const base = factorSiteNames(factors!, t).base!;
    if (h.family === "gaussian") {
      out.dropped.push(base.loc, base.loc.replace(/_loc$/, "_scale"));
      out.familiesDropped.push(t);
      continue;
    }
    const active = factors!.names.filter((_, f) => factors!.parents[f]! >= 0 || factors!.codes[f]![d]! > 0);
    if (t !== cfg.geneParam || active.length > 0)
      throw new Error(
        `getDataset: the base of '${t}' has a ${h.family} gene-level hierarchy (priors { base: ${h.family} }), and ${
          active.length > 0
            ? `dataset ${d} has effects of ${active.map((n) => `'${n}'`).join(", ")} on top of it`
            : `'${t}' is not the gene parameter`
        }: log ${t} there is loc + shrinkage scale × ${base.prefix}_raw${active.length > 0 ? " + effects" : ""}, which no single-dataset model holds; use the full results${active.length > 0 ? " or a dataset at the reference levels" : ""}`,
      );
    out.asHierarchy.add(t);
    out.renamed.set(base.loc, hierarchyNames(t).loc);
    for (const site of shrinkageElementSites(base.prefix))
      out.renamed.set(site, site.replace(base.prefix, t));
    out.renamed.set(`tau_${base.prefix}`, `tau_${t}`);
    out.renamed.set(`c_sq_${base.prefix}`, `c_sq_${t}`);
  }
  return out;
}

/** Hyper-sites without a gene axis whatever their length (capture scaling's per-dataset sites). */
const NON_GENE_HYPER =
  /^(mu_eta(_pop|_scale|_raw)?|tau_mu_eta|lambda_mu_eta|c_sq_mu_eta|zeta_mu_eta|psi_mu_eta)$/;

/**
 * Whether a site's last axis is the gene axis: core parameters by the model family (so a
 * dataset axis D or a component axis K of the same length as the genes is never taken for it),
 * per-gene hyper-sites by their shape; cell sites and mixing weights never.
 */
export function hasGeneAxis(cfg: ModelConfig, s: SiteSpec): boolean {
  if (s.cell || s.role === "mixing" || s.role === "capture" || s.shape.length === 0) return false;
  if (s.role === "core") return familyOf(cfg).isGeneLevel(cfg, s.name as CoreParam);
  if (NON_GENE_HYPER.test(s.name)) return false;
  return s.shape[s.shape.length - 1] === cfg.nGenes;
}

/** Results restricted to `genes` (indices or names, in the given order). */
export function sliceGenes(res: ScribeResults, genes: readonly number[] | readonly string[]): ScribeResults {
  const cfg = res.config;
  const idx = genes.map((g) => {
    const i = typeof g === "number" ? g : res.varNames.indexOf(g);
    if (!Number.isInteger(i) || i < 0 || i >= cfg.nGenes)
      throw new Error(`subsetGenes: unknown gene ${JSON.stringify(g)}`);
    return i;
  });
  if (idx.length === 0) throw new Error("subsetGenes: no genes selected");
  const specs = familyOf(cfg).guideParamSites(cfg);
  const params: Record<string, Tensor> = {};
  for (const [name, v] of Object.entries(res.params)) {
    const s = siteOfParam(name, specs);
    params[name] = s && hasGeneAxis(cfg, s) ? indexAxis(v, s.shape.length - 1, idx) : v;
  }
  return new Results({
    modelType: res.modelType,
    options: { ...res.options, nGenes: idx.length },
    params,
    lossHistory: res.lossHistory,
    varNames: idx.map((i) => res.varNames[i]!),
    obsNames: res.obsNames,
    ...(res.counts ? { counts: res.counts } : {}),
    meta: res.meta,
  });
}

/** Component `k` of a mixture as non-mixture results. */
export function sliceComponent(res: ScribeResults, k: number): ScribeResults {
  const cfg = res.config;
  const K = cfg.nComponents;
  if (K < 2) throw new Error("getComponent: not a mixture");
  if (!Number.isInteger(k) || k < 0 || k >= K)
    throw new Error(`getComponent: component must be in [0, ${K}), got ${k}`);
  if (cfg.priors.hierarchy.expression)
    throw new Error("getComponent: the expression hierarchy is defined only for mixtures");
  const baseSlicing = componentBaseSlicing(cfg);
  const specs = familyOf(cfg).guideParamSites(cfg);
  // a joint flow's row k is component k's joint flow only when every flow-able site has the
  // component axis: a shared one would join the non-mixture joint flow (D differs)
  const sharedFlowable = jointFlowSharedSites(cfg, [...new Set(specs.values())]);
  if (sharedFlowable.length > 0)
    throw new Error(
      `getComponent: the joint flow guide covers only the components' own parameters, and [${sharedFlowable.join(", ")}] ${sharedFlowable.length > 1 ? "are" : "is"} shared by the components, so one component has no exact non-mixture joint flow (use mixtureParams "all", or guideFlowOptions.independent true)`,
    );
  // a mixture target of a multi-factor design carries the component axis on its base and
  // effects, and on a horseshoe / NEG effect's z and per-effect λ / ζ / ψ (its scalar τ and c²
  // are shared by the components: no leading K, kept whole below)
  const componentSites = new Set<string>([...cfg.mixtureParams, ...baseSlicing.componentSites]);
  const dropped = new Set(baseSlicing.dropped);
  const factors = cfg.datasets?.factors;
  if (factors)
    for (const t of cfg.datasets!.params.filter((p) => cfg.mixtureParams.includes(p))) {
      const n = factorSiteNames(factors, t);
      for (const x of [n.loc, ...n.effects, ...n.interactions, ...shrinkageEffectSites(factors, t)])
        componentSites.add(x);
    }
  const params: Record<string, Tensor> = {};
  for (const [name, v] of Object.entries(res.params)) {
    const s = siteOfParam(name, specs);
    if (s?.role === "mixing" || (s && dropped.has(s.name))) continue;
    // a mixture flow's layers are shared by the components (guides/flow-guide.ts): kept whole
    const shared = name.includes("_flow$params.");
    const hasK =
      s && !s.cell && !shared && s.shape.length > 0 && s.shape[0] === K && componentSites.has(s.name);
    params[name] = hasK ? indexAxis(v, 0, [k]).squeeze(0) : v;
  }
  const { nComponents: _n, mixtureParams: _m, annotationLogits: _a, priors, ...opts } = res.options;
  const keptPriors = withoutBaseFamilies(priors, baseSlicing.familiesDropped, cfg);
  return new Results({
    modelType: res.modelType,
    options: { ...opts, ...(keptPriors ? { priors: keptPriors as typeof priors } : {}) },
    params,
    lossHistory: res.lossHistory,
    varNames: res.varNames,
    obsNames: res.obsNames,
    ...(res.counts ? { counts: res.counts } : {}),
    meta: res.meta,
  });
}

/**
 * Dataset `d` of a multi-dataset fit (SCRIBE results `get_dataset`, `models/datasets.ts`) as
 * single-dataset results over that dataset's cells: each dataset parameter's guide taken at d
 * (its hierarchy's hyper-sites dropped: the parameter's own guide is its posterior), per-dataset
 * mixing weights at d, per-cell guides and names restricted to the dataset's cells. Capture
 * scaling is dropped (the η prior's location returns to log M₀). p/phi with a gene axis per
 * dataset ("gene_specific" / "two_level") has no single-dataset form and is refused. In a
 * multi-factor design each factor target becomes an exp-transformed site whose guide is the
 * sum of its base and effects at d (`factorDatasetGuide` in results/slice.ts); a level with a
 * horseshoe / NEG effect is refused there. Per-level prior families leave the options (their
 * `base`, the parameter's own prior, stays); a gene-level family on the base is sliced as
 * `datasetBaseSlicing` says.
 */
export function sliceDataset(res: ScribeResults, d: number): ScribeResults {
  const cfg = res.config;
  const ds = cfg.datasets;
  if (!ds) throw new Error("getDataset: the fit has no datasets (datasetKey / datasetIndices)");
  if (!Number.isInteger(d) || d < 0 || d >= ds.n)
    throw new Error(`getDataset: dataset must be in [0, ${ds.n}), got ${d}`);
  for (const n of ds.params)
    if ((n === "p" || n === "phi") && ds.probMode !== "scalar")
      throw new Error(
        `getDataset: '${n}' is per gene within each dataset (probDatasetMode ${ds.probMode}), which a single-dataset model cannot hold`,
      );
  const baseSlicing = datasetBaseSlicing(cfg, d);
  const cells: number[] = [];
  ds.indices.forEach((x, c) => {
    if (x === d) cells.push(c);
  });
  const specs = familyOf(cfg).guideParamSites(cfg);
  const dropped = new Set<string>();
  for (const n of ds.params) {
    const h = hierarchyNames(n);
    for (const x of [
      h.loc,
      h.scale,
      h.loc.replace(/_loc$/, "_pop_loc"),
      h.loc.replace(/_loc$/, "_gene_scale"),
    ])
      dropped.add(x);
  }
  for (const x of baseSlicing.dropped) dropped.add(x);
  const factorGuide = ds.factors ? factorDatasetGuide(res, d, baseSlicing.asHierarchy) : {};
  if (ds.factors)
    for (const t of ds.params) {
      const n = factorSiteNames(ds.factors, t);
      for (const x of [
        n.loc,
        ...n.effects,
        ...n.interactions,
        ...n.scales,
        ...shrinkageEffectSites(ds.factors, t),
      ])
        if (x) dropped.add(x);
    }
  const params: Record<string, Tensor> = { ...factorGuide };
  for (const [name, v] of Object.entries(res.params)) {
    const s = siteOfParam(name, specs);
    if (s && (dropped.has(s.name) || NON_GENE_HYPER.test(s.name))) continue;
    const renamed = s && baseSlicing.renamed.get(s.name);
    if (renamed) params[renamed + name.slice(s!.name.length)] = v;
    else if (s && s.role === "core" && (ds.params as readonly string[]).includes(s.name)) {
      const axis = cfg.nComponents > 1 && cfg.mixtureParams.includes(s.name as CoreParam) ? 1 : 0;
      params[name] = indexAxis(v, axis, [d]).squeeze(axis);
    } else if (s?.role === "mixing" && ds.mixing) params[name] = indexAxis(v, 0, [d]).squeeze(0);
    else if (s?.cell) params[name] = indexAxis(v, 0, cells);
    else params[name] = v;
  }
  const {
    datasetIndices: _i,
    nDatasets: _n,
    datasetParams: _p,
    datasetMixing: _m,
    probDatasetMode: _pm,
    datasetFactors: _f,
    annotationLogits: ann,
    priors,
    ...opts
  } = res.options;
  // a factor target's guide is a Normal on its log (below): the exp transform
  const positiveTransform = ds.factors
    ? { ...cfg.positiveTransform, ...Object.fromEntries(ds.params.map((t) => [t, "exp" as const])) }
    : opts.positiveTransform;
  const { capture_scaling: _cs, mu_eta: _me, ...rest } = (priors ?? {}) as Record<string, PriorValue>;
  // per-level families belong to the factor design, which one dataset does not have: a
  // `{ level: family }` value gives way to its reserved `base` (the parameter's own prior), if any
  const keptPriors = Object.fromEntries(
    Object.entries(withoutBaseFamilies(rest, baseSlicing.familiesDropped, cfg) ?? {}).flatMap(([k, v]) => {
      if (!isLevelPriors(v)) return [[k, v]];
      const own = v[BASE_LEVEL];
      return own === undefined ? [] : [[k, own]];
    }),
  );
  const levels = res.meta.datasetLevels as string[] | undefined;
  return new Results({
    modelType: res.modelType,
    options: {
      ...opts,
      ...(positiveTransform ? { positiveTransform } : {}),
      ...(priors ? { priors: keptPriors as typeof priors } : {}),
      ...(ann ? { annotationLogits: indexAxis(ann, 0, cells) } : {}),
      nCells: cells.length,
    },
    params,
    lossHistory: res.lossHistory,
    varNames: res.varNames,
    obsNames: cells.map((c) => res.obsNames[c] ?? String(c)),
    ...(res.counts ? { counts: indexAxis(res.counts, 0, cells) } : {}),
    meta: { ...res.meta, dataset: levels?.[d] ?? d },
  });
}

/**
 * The guide of each factor target θ at dataset `d` as a single-dataset site: with mean-field
 * Normal factors on the base and the effects (independent), log θ_d = β + Σ effects at d is
 * Normal with loc Σ locs and scale √(Σ scales²), the `{θ}_loc`, `{θ}_scale` of an
 * exp-transformed site. Guides that couple these sites (low-rank, joint, flow) are refused.
 * A horseshoe / NEG effect is s ⊙ z (a product of the shrinkage scale and its raw), whose
 * posterior is not Normal: a dataset at a level with such an effect is refused, naming the
 * factor, level and family; at a crossed factor's reference level the effect is 0 and absent.
 */
function factorDatasetGuide(
  res: ScribeResults,
  d: number,
  asHierarchy: ReadonlySet<string>,
): Record<string, Tensor> {
  const cfg = res.config;
  const ds = cfg.datasets!;
  const factors = ds.factors!;
  const L = factors.levels.map((l) => l.length);
  const out: Record<string, Tensor> = {};
  for (const t of ds.params) {
    if (asHierarchy.has(t)) continue; // its guide is the gene-level hierarchy's (datasetBaseSlicing)
    const n = factorSiteNames(factors, t);
    const axis = cfg.nComponents > 1 && cfg.mixtureParams.includes(t) ? 1 : 0;
    const part = (site: string, row: number | null) => {
      const loc = res.params[`${site}_loc`];
      const scale = res.params[`${site}_scale`];
      if (!loc || !scale)
        throw new Error(
          `getDataset: the guide of '${site}' is not a mean-field Normal (${site}_loc, ${site}_scale), which a multi-factor dataset slice needs`,
        );
      if (row === null) return { loc, variance: scale.square() };
      return {
        loc: indexAxis(loc, axis, [row]).squeeze(axis),
        variance: indexAxis(scale, axis, [row]).squeeze(axis).square(),
      };
    };
    const parts = [part(n.loc, null)];
    factors.names.forEach((name, f) => {
      const l = factors.codes[f]![d]!;
      const nested = factors.parents[f]! >= 0;
      const family = factorFamily(factors, t, f)?.family;
      if (n.raws[f] && (nested || l > 0))
        throw new Error(
          `getDataset: dataset ${d} has factor '${name}' at level '${factors.levels[f]![l]}', whose effect on '${t}' has a ${family} prior: non-centred (its shrinkage scale × ${n.raws[f]}), so log ${t} at this dataset has no Normal guide for a single-dataset slice; use the full results (getMap / getPosteriorSamples give ${t} per dataset)${nested ? "" : " or a dataset at the reference level"}`,
        );
      if (nested) parts.push(part(n.effects[f]!, l));
      else if (l > 0) parts.push(part(n.effects[f]!, l - 1)); // reference coding: level 0 has none
    });
    factors.interactions.forEach(([i, j], k) => {
      const li = factors.codes[i]![d]!;
      const lj = factors.codes[j]![d]!;
      if (!(li > 0 && lj > 0)) return;
      const raw = n.raws[factors.names.length + k];
      if (raw)
        throw new Error(
          `getDataset: dataset ${d} has the interaction ${factors.names[i]}:${factors.names[j]} at non-reference levels, whose effect on '${t}' has a ${factorFamily(factors, t, factors.names.length + k).family} prior: non-centred (its shrinkage scale × ${raw}), so log ${t} at this dataset has no Normal guide; use the full results`,
        );
      parts.push(part(n.interactions[k]!, (li - 1) * (L[j]! - 1) + (lj - 1)));
    });
    out[`${t}_loc`] = parts.slice(1).reduce((a, x) => a.add(x.loc), parts[0]!.loc);
    out[`${t}_scale`] = parts
      .slice(1)
      .reduce((a, x) => a.add(x.variance), parts[0]!.variance)
      .sqrt();
  }
  return out;
}
