/**
 * A small nbvcp data set with known parameters, and results concentrated at those
 * parameters (variational parameters set by hand: a near-point-mass guide), so the
 * predictive plots are checked against a model that generated the data, with no fitting.
 */
import { key, type Tensor, tensor } from "@scribe/core";
import { NegativeBinomialProbs } from "@scribe/distributions";
import { fit, ScribeResults } from "@scribe/models";

/** Cells and genes. */
export const C = 300;
export const G = 12;
/** True per-gene r, shared p and per-cell capture ν. */
export const R_TRUE = Array.from({ length: G }, (_, g) => 0.5 + 0.6 * g);
export const P_TRUE = 0.6;
export const NU_TRUE = Array.from({ length: C }, (_, c) => 0.3 + (0.5 * ((c * 37) % C)) / C);
/** p̂ = pν / (1 − p(1 − ν)) (SCRIBE variable-capture models). */
export const P_HAT = NU_TRUE.map((nu) => (P_TRUE * nu) / (1 - P_TRUE * (1 - nu)));

/** Counts [C, G] drawn from NB(r_g, p̂_c). */
export function simulatedCounts(seed = 3): Tensor {
  const r = tensor(R_TRUE).reshape([1, G]).expand([C, G]);
  const p = tensor(P_HAT).reshape([C, 1]).expand([C, G]);
  return new NegativeBinomialProbs(r, p).sample(key(seed));
}

/** nbvcp results whose guide is a near point mass at the true parameters (gene names g0..). */
export async function trueResults(counts: Tensor): Promise<ScribeResults> {
  const { results } = await fit(counts, { model: "nbvcp", nSteps: 0 });
  const k = 1e4;
  return new ScribeResults({
    modelType: results.modelType,
    options: results.options,
    params: {
      p_alpha: tensor(k * P_TRUE),
      p_beta: tensor(k * (1 - P_TRUE)),
      r_loc: tensor(R_TRUE.map(Math.log)),
      r_scale: tensor(R_TRUE.map(() => 0.01)),
      p_capture_alpha: tensor(NU_TRUE.map((v) => k * v)),
      p_capture_beta: tensor(NU_TRUE.map((v) => k * (1 - v))),
    },
    lossHistory: new Float64Array(0),
    varNames: R_TRUE.map((_, g) => `g${g}`),
  });
}
