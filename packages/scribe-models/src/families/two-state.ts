/**
 * The TwoState (Poisson–Beta promoter) family (SCRIBE two-state models): twostate, twostatevcp. mu plus two
 * per-gene extras map to (α, β, r̂) (`models/two-state.ts`); the likelihood is `PoissonBeta`;
 * predictive, log-likelihood and denoising use the Poisson–Beta compound; fits anchor the mu
 * prior at the data.
 * @module
 */
import { cpuBackend, deterministic, withBackend } from "@scribe/core";
import { guideParamSites } from "../guides/guide.js";
import { twoStateLogLikelihood } from "../likelihood/two-state.js";
import { makeConfig, TWO_STATE_DEFAULT_NODES } from "../models/config.js";
import { twoStateComponentDistribution } from "../models/observation.js";
import {
  type TwoStateGrid,
  twoStateDenoiseCells,
  twoStateDerived,
  twoStateDeterministicNames,
  twoStateDrawParams,
  twoStateGrid,
  twoStateMuPriorLoc,
  twoStatePredictiveDraw,
} from "../models/two-state.js";
import type { FamilyGrid, ModelFamily } from "./family.js";
import { FAMILY_TRAITS } from "./traits.js";

/** The TwoState family. */
export const twoStateFamily: ModelFamily = {
  traits: FAMILY_TRAITS.two_state,
  isGeneLevel() {
    return true;
  },
  modelSites(cfg, values) {
    // gene-rank deterministic sites (outside the cell plate), then (α, β, r̂) on the grid
    const d = twoStateDerived(cfg, values, 0);
    if (!("mu" in values)) deterministic("mu", d.mu!);
    for (const n of twoStateDeterministicNames(cfg)) deterministic(n, d[n]!);
    return twoStateGrid(cfg, values) as unknown as FamilyGrid;
  },
  componentDistribution(cfg, grid, capture) {
    return twoStateComponentDistribution(cfg, grid as unknown as TwoStateGrid, capture);
  },
  derived(cfg, latent, lead) {
    return twoStateDerived(cfg, latent, lead);
  },
  drawLogLikelihood(cfg, counts, draw, opts) {
    return twoStateLogLikelihood(counts, twoStateDrawParams(cfg, draw), {
      ...opts,
      nQuadNodes: cfg.nQuadNodes ?? TWO_STATE_DEFAULT_NODES,
    });
  },
  predictiveDraw: twoStatePredictiveDraw,
  denoiseCells(cfg, counts, draw, pick, methods, k) {
    // no gate: the first method applies everywhere
    return twoStateDenoiseCells(cfg, counts, draw, pick, methods[0], k);
  },
  async prepareFit(modelType, opts, cpuCounts) {
    // data-driven prior location (and guide start) of mu, SCRIBE two-state models; an explicit
    // priors.mu / mean_expression tuple keeps its own location
    const priorKeys = Object.keys(opts.priors ?? {});
    if (opts.muPriorLoc || priorKeys.includes("mu") || priorKeys.includes("mean_expression")) return;
    opts.muPriorLoc = await withBackend(cpuBackend(), () =>
      twoStateMuPriorLoc(makeConfig(modelType, opts), cpuCounts),
    );
  },
  guideParamSites,
  deterministicNames: twoStateDeterministicNames,
};
