/**
 * The negative-binomial family (SCRIBE models and mixtures): nbdm, zinb, nbvcp, zinbvcp. Two sampled
 * core parameters (by parameterization) give p, r, mu, phi; NB(r, p̂) with capture thinning,
 * zero inflation on top; predictive and denoising by the NB formulas.
 * @module
 */
import { clamp, deterministic, type Key, random, splitKey, type Tensor } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import { guideParamSites } from "../guides/guide.js";
import { type NbFamilyParams, nbFamilyLogLikelihood } from "../likelihood/nb-family.js";
import { BetaNegativeBinomial, bnbShapes } from "../models/beta-negative-binomial.js";
import type { CoreParam, ModelConfig } from "../models/config.js";
import { datasetNaturalParams, datasetProbPerGene, perCellValues } from "../models/datasets.js";
import { capturedP, nbComponentDistribution, P_FLOOR } from "../models/observation.js";
import {
  bnbConcentration,
  type CoreValues,
  gridParams,
  naturalParams,
  type ParamAxes,
  paramAxes,
} from "../models/parameterization.js";
import { nbDenoiseCells } from "../results/denoise-nb.js";
import { factorDeterministicNames, withFactorValues } from "./dataset-factors.js";
import type { FamilyGrid, ModelFamily } from "./family.js";
import { datasetDenoiseCells, datasetDrawLogLikelihood, datasetPredictiveDraw } from "./nb-datasets.js";
import { FAMILY_TRAITS } from "./traits.js";

/** The canonical NB-family params of one draw, in the form `likelihood/` expects. */
export function nbLikelihoodParams(cfg: ModelConfig, draw: Readonly<Record<string, Tensor>>): NbFamilyParams {
  const mix = cfg.nComponents > 1;
  let p = draw.p!;
  let r = draw.r!;
  let gate = draw.gate;
  if (mix) {
    const K = cfg.nComponents;
    const G = cfg.nGenes;
    if (p.rank === 0) p = p.expand([K]);
    if (p.rank === 1 && p.shape[0] === G && G !== K)
      throw new Error("log-likelihood: gene-level p in a mixture is not supported by likelihood/");
    if (r.rank === 1) r = r.expand([K, G]);
    if (gate && gate.rank === 1) gate = gate.expand([K, G]);
  }
  return {
    p,
    r,
    ...(gate ? { gate } : {}),
    ...(draw.p_capture ? { pCapture: draw.p_capture } : {}),
    ...(mix ? { mixingWeights: draw.mixing_weights! } : {}),
    ...(draw.bnb_concentration ? { bnbConcentration: draw.bnb_concentration } : {}),
  };
}

/** One NB predictive count matrix [C, G] (mixtures draw a component per cell first). */
function nbPredictiveDraw(
  cfg: ModelConfig,
  draw: Readonly<Record<string, Tensor>>,
  k: Key,
  biological: boolean,
): Tensor {
  const C = cfg.nCells;
  const G = cfg.nGenes;
  const mix = cfg.nComponents > 1;
  const [kz, kc, kg] = splitKey(k, 3) as [Key, Key, Key];
  let r = draw.r!;
  let p = draw.p!;
  let gate = draw.gate;
  const axes = paramAxes(cfg);
  const perCell = (x: Tensor, a: ParamAxes, z: Tensor | null): Tensor => {
    // natural [K?, G?] → [C or 1, G or 1]
    let y = a.hasK && z ? x.index(z) : x.reshape(a.hasK ? [...x.shape] : [1, ...x.shape]);
    if (!a.hasG) y = y.reshape([y.shape[0]!, 1]);
    return y;
  };
  const z = mix ? random.categorical(kz, draw.mixing_weights!.log(), [C]) : null;
  r = perCell(r, axes.r, z);
  p = perCell(p, axes.p, z);
  if (gate) gate = perCell(gate, axes.gate, z);
  if (!biological && draw.p_capture) p = capturedP(p, draw.p_capture.reshape([C, 1]));
  p = clamp(p, P_FLOOR, 1 - P_FLOOR);
  let u: Tensor;
  if (draw.bnb_concentration) {
    // BNB keeps its excess dispersion in the biological draw too (it is not a technical effect)
    const { alpha, kappa } = bnbShapes(p.expand([C, G]), r.expand([C, G]), draw.bnb_concentration);
    u = new BetaNegativeBinomial(r.expand([C, G]), alpha, kappa).sample(kc);
  } else u = new NegativeBinomialProbs(r.expand([C, G]), p.expand([C, G]), false).sample(kc);
  if (!biological && gate) {
    const zero = random.bernoulli(kg, gate.expand([C, G]));
    u = u.mul(zero.astype(u.dtype).neg().add(1));
  }
  return u;
}

/**
 * The deterministic values of a multi-factor design in `values` (horseshoe / NEG effects and
 * base, `dataset-factors.ts`), leaving out those given.
 */
function factorDeterministics(
  cfg: ModelConfig,
  values: Readonly<Record<string, Tensor>>,
  given: Readonly<Record<string, Tensor>>,
): Record<string, Tensor> {
  const f = cfg.datasets?.factors;
  if (!f) return {};
  const out: Record<string, Tensor> = {};
  for (const n of factorDeterministicNames(f, cfg.datasets!.params))
    if (values[n] && !(n in given)) out[n] = values[n];
  return out;
}

/** The latent values with multi-factor dataset parameters computed from their effects (`dataset-factors.ts`). */
function factorValues(
  cfg: ModelConfig,
  values: Readonly<Record<string, Tensor>>,
  lead: number,
): Readonly<Record<string, Tensor>> {
  const f = cfg.datasets?.factors;
  if (!f) return values;
  const mixtureTargets = cfg.nComponents > 1 ? cfg.mixtureParams : [];
  return withFactorValues(f, cfg.datasets!.params, values, lead, mixtureTargets);
}

/** The NB family. */
export const nbFamily: ModelFamily = {
  traits: FAMILY_TRAITS.nb,
  isGeneLevel(cfg: ModelConfig, name: CoreParam): boolean {
    if (name === "r" || name === "mu" || name === "gate") return true;
    return cfg.priors.hierarchy.prob !== undefined || datasetProbPerGene(cfg, name);
  },
  modelSites(cfg, given) {
    const values = factorValues(cfg, given, 0);
    // horseshoe / NEG factor effects (and base) as named trace values
    for (const [n, v] of Object.entries(factorDeterministics(cfg, values, given))) deterministic(n, v);
    const nat = cfg.datasets ? datasetNaturalParams(cfg, values, 0) : naturalParams(cfg, values, 0);
    // ω is per gene, shared by all datasets: taken from the latent values directly
    if (cfg.datasets) nat.bnb = bnbConcentration(cfg, values) ?? undefined;
    for (const n of ["p", "r", "mu", "phi"] as const)
      if (!cfg.sampledCore.includes(n)) deterministic(n, nat[n]);
    if (cfg.zeroInflated && !("gate" in values) && nat.gate) deterministic("gate", nat.gate);
    if (nat.bnb && !("bnb_concentration" in values)) deterministic("bnb_concentration", nat.bnb);
    for (const n of cfg.sampledCore)
      if (!(n in given)) deterministic(n, nat[n as keyof typeof nat] as Tensor);
    // with datasets the grid is per cell (cellGrid, inside the plate)
    return cfg.datasets ? {} : (gridParams(cfg, values) as unknown as FamilyGrid);
  },
  cellGrid(cfg, values, cellDatasets) {
    return gridParams(
      cfg,
      perCellValues(cfg, factorValues(cfg, values, 0), cellDatasets),
    ) as unknown as FamilyGrid;
  },
  componentDistribution(cfg, grid, capture) {
    return nbComponentDistribution(cfg, grid as unknown as CoreValues, capture);
  },
  derived(cfg, given, lead) {
    const latent = factorValues(cfg, given, lead);
    const nat = cfg.datasets ? datasetNaturalParams(cfg, latent, lead) : naturalParams(cfg, latent, lead);
    if (cfg.datasets) nat.bnb = bnbConcentration(cfg, latent) ?? undefined;
    const out: Record<string, Tensor> = { p: nat.p, r: nat.r, mu: nat.mu, phi: nat.phi };
    if (nat.gate) out.gate = nat.gate;
    if (nat.bnb) out.bnb_concentration = nat.bnb;
    return { ...factorDeterministics(cfg, latent, given), ...out };
  },
  drawLogLikelihood(cfg, counts, draw, opts) {
    if (cfg.datasets) return datasetDrawLogLikelihood(cfg, counts, draw, opts);
    return nbFamilyLogLikelihood(counts, nbLikelihoodParams(cfg, draw), opts);
  },
  predictiveDraw(cfg, draw, k, biological) {
    if (cfg.datasets) return datasetPredictiveDraw(cfg, draw, k, biological);
    return nbPredictiveDraw(cfg, draw, k, biological);
  },
  denoiseCells(cfg, counts, draw, pick, methods, k) {
    if (cfg.datasets) return datasetDenoiseCells(cfg, counts, draw, pick, methods, k);
    return nbDenoiseCells(cfg, counts, draw, pick, methods, k);
  },
  prepareFit() {},
  guideParamSites,
  deterministicNames(cfg) {
    return (["p", "r", "mu", "phi"] as const).filter((n) => !cfg.sampledCore.includes(n));
  },
};
