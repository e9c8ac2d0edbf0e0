/**
 * The observation distribution of one minibatch of cells (SCRIBE models and mixtures): NB(r, p̂)
 * with capture thinning per parameterization, zero inflation on top, genes as the event dim,
 * and for mixtures one component per cell.
 * @module
 */
import { add, clamp, div, log, mul, neg, sigmoid, sub, type Tensor } from "@scribe/core";
import {
  CategoricalLogits,
  CategoricalProbs,
  type Distribution,
  MixtureSameFamily,
  NegativeBinomialLogits,
  NegativeBinomialProbs,
  PoissonBeta,
  ZeroInflatedProbs,
} from "@scribe/distributions";
import { BetaNegativeBinomial, bnbShapes } from "./beta-negative-binomial.js";
import { type ModelConfig, TWO_STATE_DEFAULT_NODES } from "./config.js";
import type { CoreValues } from "./parameterization.js";
import type { TwoStateGrid } from "./two-state.js";

/** Probability floor of SCRIBE (p clamped to [1e−6, 1 − 1e−6]). */
export const P_FLOOR = 1e-6;

/** Per-cell capture for a minibatch: ν (probability) or phi_capture (odds), shape [B]. */
export interface CaptureValue {
  readonly kind: "p_capture" | "phi_capture";
  readonly value: Tensor;
}

/**
 * A per-cell value [lead…, B] as a column against the grid: [lead…, B, 1] ([lead…, B, 1, 1] for
 * mixtures, whose grid has the component axis too).
 */
function cellColumn(v: Tensor, mixture: boolean): Tensor {
  return v.reshape([...v.shape, ...(mixture ? [1, 1] : [1])]);
}

/**
 * Effective success probability after capture: p̂ = p·ν / (1 − p·(1 − ν)).
 * @example
 * capturedP(tensor(0.5), tensor([1])); // 0.5 (full capture leaves p unchanged)
 */
export function capturedP(p: Tensor, nu: Tensor): Tensor {
  return div(mul(p, nu), sub(1, mul(p, sub(1, nu))));
}

/**
 * Per-gene NB component(s) for a minibatch, batch shape [B?, K?, G] (gate applied), before
 * `toEvent(1)`. `grid` holds the parameters on the [K?, G] grid (see `gridParams`).
 */
export function nbComponentDistribution(
  cfg: ModelConfig,
  grid: CoreValues,
  capture: CaptureValue | null,
): Distribution {
  const mix = cfg.nComponents > 1;
  let base: Distribution;
  // the success probability p̂ of the captured NB (for BNB, which needs it explicitly)
  let pHat: Tensor;
  if (!capture) {
    pHat = clamp(grid.p, P_FLOOR, 1 - P_FLOOR);
    base = new NegativeBinomialProbs(grid.r, pHat, false);
  } else {
    const c = cellColumn(capture.value, mix);
    if (cfg.parameterization === "mean_odds") {
      const odds = capture.kind === "phi_capture" ? c : sub(div(1, clamp(c, P_FLOOR, 1)), 1);
      const logits = neg(log(mul(clamp(grid.phi, P_FLOOR), add(odds, 1))));
      base = new NegativeBinomialLogits(grid.r, logits, false);
      pHat = clamp(sigmoid(logits), P_FLOOR, 1 - P_FLOOR);
    } else if (cfg.parameterization === "mean_disp") {
      const nu = capture.kind === "p_capture" ? c : div(1, add(c, 1));
      const logits = add(sub(log(grid.mu), log(grid.r)), log(clamp(nu, P_FLOOR, 1)));
      base = new NegativeBinomialLogits(grid.r, logits, false);
      pHat = clamp(sigmoid(logits), P_FLOOR, 1 - P_FLOOR);
    } else {
      const nu = capture.kind === "p_capture" ? c : div(1, add(c, 1));
      pHat = clamp(capturedP(grid.p, nu), P_FLOOR, 1 - P_FLOOR);
      base = new NegativeBinomialProbs(grid.r, pHat, false);
    }
  }
  if (grid.bnb) {
    // SCRIBE BNB overdispersion: same mean r·p̂/(1−p̂), excess dispersion ω_g
    const { alpha, kappa } = bnbShapes(pHat, grid.r, grid.bnb);
    base = new BetaNegativeBinomial(grid.r, alpha, kappa);
  }
  return grid.gate ? new ZeroInflatedProbs(base, grid.gate, false) : base;
}

/**
 * Per-gene Poisson–Beta component(s) of the TwoState models, batch shape [B?, K?, G]: rate r̂_g,
 * times ν_c for `twostatevcp` (p_capture only; SCRIBE two-state models), with `cfg.nQuadNodes` Gauss–Legendre
 * nodes. α and β stay at gene rank.
 */
export function twoStateComponentDistribution(
  cfg: ModelConfig,
  grid: TwoStateGrid,
  capture: CaptureValue | null,
): Distribution {
  let nu: Tensor | number = 1;
  if (capture) {
    if (capture.kind !== "p_capture")
      throw new Error(
        `${cfg.modelType}: capture must be p_capture (phi_capture is not supported by the TwoState models)`,
      );
    nu = cellColumn(capture.value, cfg.nComponents > 1);
  }
  return new PoissonBeta(grid.alpha, grid.beta, grid.rHat, nu, {
    numNodes: cfg.nQuadNodes ?? TWO_STATE_DEFAULT_NODES,
    validateArgs: false,
  });
}

/**
 * The distribution of the `counts` site for a minibatch from the family's per-gene
 * `component` distribution (see `ModelFamily.componentDistribution`): event shape [G]; mixtures are
 * MixtureSameFamily over the component axis with per-cell mixing logits when annotation
 * logits are given (π_c = softmax(log(π + 1e−8) + A_c)).
 */
export function observationDistribution(
  cfg: ModelConfig,
  component: Distribution,
  mixingWeights: Tensor | null,
  annotation: Tensor | null,
): Distribution {
  const comp = component.toEvent(1);
  if (cfg.nComponents <= 1) return comp;
  if (!mixingWeights) throw new Error("mixture model without mixing weights");
  const mixing = annotation
    ? new CategoricalLogits(add(log(add(mixingWeights, 1e-8)), annotation), false)
    : new CategoricalProbs(mixingWeights, false);
  return new MixtureSameFamily(mixing, comp, false);
}
