/**
 * The model presets: `nbdm`, `zinb`, `nbvcp`, `zinbvcp` (and their mixtures through
 * `nComponents`). Each returns `{ model, guide, config }`: two ordinary functions a
 * researcher can read, wrap (e.g. with handlers) or replace, and the resolved configuration.
 * @module
 */
import { buildGuide } from "../guides/guide.js";
import { type ModelConfig, type ModelOptions, type ModelType, makeConfig } from "./config.js";
import { buildModel, type ScribeModelFn } from "./model.js";

/** What a preset returns. */
export interface ScribeModel {
  /** The model: `model(counts | null, batchSize?)`. */
  readonly model: ScribeModelFn;
  /** The guide, same signature. */
  readonly guide: ScribeModelFn;
  /** The resolved configuration. */
  readonly config: ModelConfig;
}

/**
 * Any NB-family model by name.
 * @example
 * const { model, guide } = scribeModel("zinb", { nCells: 500, nGenes: 100 });
 */
export function scribeModel(type: ModelType, opts: ModelOptions): ScribeModel {
  const config = makeConfig(type, opts);
  return { model: buildModel(config), guide: buildGuide(config), config };
}

/**
 * Negative-binomial Dirichlet-multinomial: u_cg ~ NB(r_g, p), p shared by all genes.
 * @example
 * const { model, guide, config } = nbdm({ nCells: 500, nGenes: 100 });
 */
export function nbdm(opts: ModelOptions): ScribeModel {
  return scribeModel("nbdm", opts);
}

/**
 * Zero-inflated NB: u_cg ~ ZI(NB(r_g, p), gate_g).
 * @example
 * const { model, guide } = zinb({ nCells: 500, nGenes: 100, unconstrained: true });
 */
export function zinb(opts: ModelOptions): ScribeModel {
  return scribeModel("zinb", opts);
}

/**
 * NB with variable capture: u_cg ~ NB(r_g, p̂_c), p̂_c = p·ν_c / (1 − p·(1 − ν_c)).
 * @example
 * const { model, guide } = nbvcp({ nCells: 500, nGenes: 100, priors: { organism: "human" } });
 */
export function nbvcp(opts: ModelOptions): ScribeModel {
  return scribeModel("nbvcp", opts);
}

/**
 * Zero-inflated NB with variable capture: u_cg ~ ZI(NB(r_g, p̂_c), gate_g).
 * @example
 * const { model, guide } = zinbvcp({ nCells: 500, nGenes: 100, nComponents: 3 });
 */
export function zinbvcp(opts: ModelOptions): ScribeModel {
  return scribeModel("zinbvcp", opts);
}
