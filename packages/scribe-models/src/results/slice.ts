/**
 * Slicing results by genes and by mixture component (SCRIBE results `results[genes]`,
 * `get_component`): variational parameters are indexed along the gene or component axis of
 * the site they belong to.
 * @module
 */
import { fromTypedArray, type Tensor } from "@scribe/core";
import { familyOf } from "../families/registry.js";
import type { SiteSpec } from "../models/sites.js";
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
    const axis = s && !s.cell ? s.shape.lastIndexOf(cfg.nGenes) : -1;
    const geneAxis =
      s && !s.cell && axis >= 0 && s.shape.length > 0 && axis === s.shape.length - 1 && s.role !== "mixing";
    params[name] = geneAxis ? indexAxis(v, axis, idx) : v;
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
  const specs = familyOf(cfg).guideParamSites(cfg);
  const params: Record<string, Tensor> = {};
  for (const [name, v] of Object.entries(res.params)) {
    const s = siteOfParam(name, specs);
    if (s?.role === "mixing") continue;
    const hasK =
      s &&
      !s.cell &&
      s.shape.length > 0 &&
      s.shape[0] === K &&
      (cfg.mixtureParams as readonly string[]).includes(s.name);
    params[name] = hasK ? indexAxis(v, 0, [k]).squeeze(0) : v;
  }
  const { nComponents: _n, mixtureParams: _m, annotationLogits: _a, ...opts } = res.options;
  return new Results({
    modelType: res.modelType,
    options: opts,
    params,
    lossHistory: res.lossHistory,
    varNames: res.varNames,
    obsNames: res.obsNames,
    ...(res.counts ? { counts: res.counts } : {}),
    meta: res.meta,
  });
}
