/**
 * The model presets: `nbdm`, `zinb`, `nbvcp`, `zinbvcp`, `twostate`, `twostatevcp` (and their
 * mixtures through `nComponents`). Each returns `{ model, guide, config }`: two ordinary functions a
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
 * Any model by name.
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

/**
 * Two-state promoter (Poisson–Beta compound, SCRIBE two-state models): q_cg ~ Beta(α_g, β_g),
 * u_cg | q ~ Poisson(r̂_g·q_cg), with (α, β, r̂) from mu and two per-gene extras of the
 * parameterization (required: two_state_natural, two_state_ratio, two_state_mean_fano or
 * two_state_moment_delta, or their aliases natural, ratio, mean_fano/fano, moment_delta/delta).
 * @example
 * const { model, guide } = twostate({ nCells: 500, nGenes: 100, parameterization: "mean_fano" });
 */
export function twostate(opts: ModelOptions): ScribeModel {
  return scribeModel("twostate", opts);
}

/**
 * Two-state promoter with per-cell capture: u_cg | q ~ Poisson(r̂_g·q_cg·ν_c), ν_c = p_capture
 * (flat or biology-informed prior; phi_capture is not supported).
 * @example
 * const { model, guide } = twostatevcp({ nCells: 500, nGenes: 100, parameterization: "ratio", priors: { organism: "human" } });
 */
export function twostatevcp(opts: ModelOptions): ScribeModel {
  return scribeModel("twostatevcp", opts);
}
