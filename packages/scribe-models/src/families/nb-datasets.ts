/**
 * The NB family's draws with a multi-dataset design (`models/datasets.ts`): every cell's
 * parameters are taken at its dataset, then the model's own per-gene distribution
 * (`nbComponentDistribution`, capture thinning and gate included) gives log-likelihoods and
 * predictive counts, so these agree with the model by construction.
 * @module
 */
import { eq, fromTypedArray, type Key, random, splitKey, type Tensor } from "@scribe/core";
import type { LogLikelihoodOptions } from "../likelihood/nb-family.js";
import { reduceLogLikelihood } from "../likelihood/nb-family.js";
import type { ModelConfig } from "../models/config.js";
import { cellMixingWeights, datasetIndexTensor, perCellValues } from "../models/datasets.js";
import { type CaptureValue, nbComponentDistribution } from "../models/observation.js";
import { gridParams } from "../models/parameterization.js";

/** The capture of all cells from a draw (p_capture or phi_capture [C]), or null. */
function drawCapture(draw: Readonly<Record<string, Tensor>>): CaptureValue | null {
  if (draw.p_capture) return { kind: "p_capture", value: draw.p_capture };
  if (draw.phi_capture) return { kind: "phi_capture", value: draw.phi_capture };
  return null;
}

/**
 * Per-cell log-likelihood [C] (or per gene [G]) of one draw of a dataset model. Per-gene values
 * of a mixture with per-dataset mixing weights are refused (a gene's cells span datasets with
 * different weights, so SCRIBE's per-gene mixture marginal is not defined).
 */
export function datasetDrawLogLikelihood(
  cfg: ModelConfig,
  counts: Tensor,
  draw: Readonly<Record<string, Tensor>>,
  opts: LogLikelihoodOptions,
): Tensor {
  const [C, G] = counts.shape as [number, number];
  const mix = cfg.nComponents > 1;
  const ds = datasetIndexTensor(cfg);
  const grid = gridParams(cfg, perCellValues(cfg, draw, ds));
  const dist = nbComponentDistribution(cfg, grid, drawCapture(draw));
  const lp = dist.logProb(mix ? counts.reshape([C, 1, G]) : counts);
  const weights = mix ? cellMixingWeights(cfg, draw.mixing_weights!, ds) : undefined;
  if (mix && cfg.datasets?.mixing && (opts.returnBy ?? "cell") === "gene")
    throw new Error(
      'log-likelihood by gene is not defined for a mixture with per-dataset mixing weights (datasetMixing); use returnBy: "cell"',
    );
  return reduceLogLikelihood(
    mix ? lp.expand([C, cfg.nComponents, G]) : lp.expand([C, G]),
    counts,
    weights,
    opts,
  );
}

/** One predictive count matrix [C, G] of a dataset model (capture and gate stripped with `biological`). */
export function datasetPredictiveDraw(
  cfg: ModelConfig,
  draw: Readonly<Record<string, Tensor>>,
  k: Key,
  biological: boolean,
): Tensor {
  const C = cfg.nCells;
  const G = cfg.nGenes;
  const mix = cfg.nComponents > 1;
  const [kz, ku] = splitKey(k, 2) as [Key, Key];
  const ds = datasetIndexTensor(cfg);
  const grid = gridParams(cfg, perCellValues(cfg, draw, ds));
  if (biological) delete grid.gate;
  const dist = nbComponentDistribution(cfg, grid, biological ? null : drawCapture(draw));
  const shape = mix ? [C, cfg.nComponents, G] : [C, G];
  const u = dist.sample(ku).expand(shape);
  if (!mix) return u;
  const w = cellMixingWeights(cfg, draw.mixing_weights!, ds);
  const K = cfg.nComponents;
  const z = w.rank === 2 ? random.categorical(kz, w.log()) : random.categorical(kz, w.log(), [C]);
  // each cell's draw from its component: a one-hot mask over K
  const ks = fromTypedArray(
    Int32Array.from({ length: K }, (_, i) => i),
    [1, K, 1],
  );
  const pick = eq(z.astype("int32").reshape([C, 1, 1]), ks).astype(u.dtype);
  return u.mul(pick).sum(1);
}
