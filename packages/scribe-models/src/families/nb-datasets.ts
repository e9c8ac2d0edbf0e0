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
import {
  cellMixingWeights,
  datasetIndexTensor,
  isDatasetParam,
  moveAxis,
  perCellValues,
} from "../models/datasets.js";
import { type CaptureValue, nbComponentDistribution } from "../models/observation.js";
import { gridParams, paramAxes } from "../models/parameterization.js";
import {
  type DenoiseMethod,
  type DenoiseResult,
  denoiseGrid,
  drawCaptureProbability,
} from "../results/denoise-nb.js";

/** The capture of all cells from a draw (p_capture or phi_capture [C]), or null. */
function drawCapture(draw: Readonly<Record<string, Tensor>>): CaptureValue | null {
  if (draw.p_capture) return { kind: "p_capture", value: draw.p_capture };
  if (draw.phi_capture) return { kind: "phi_capture", value: draw.phi_capture };
  return null;
}

/**
 * Per-cell log-likelihood [C] (or per gene [G]) of one draw of a dataset model. Per cell, a
 * mixture with per-dataset mixing weights (datasetMixing) uses each cell's dataset's weights:
 * logsumexp_k(log π_{d(c),k} + Σ_g log f_k). Per gene, SCRIBE's per-gene mixture marginal
 * logsumexp_k(log π_k + Σ_c log f_k) is taken within each dataset (its cells share its weights)
 * and summed over datasets: Σ_d logsumexp_k(log π_{d,k} + Σ_{c∈d} log f_k), which is SCRIBE's
 * value with one dataset. Its component split has no single [G, K] form and is refused.
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
    return perDatasetGeneLogLikelihood(cfg, lp.expand([C, cfg.nComponents, G]), draw.mixing_weights!, opts);
  return reduceLogLikelihood(
    mix ? lp.expand([C, cfg.nComponents, G]) : lp.expand([C, G]),
    counts,
    weights,
    opts,
  );
}

/** Per-gene log-likelihood [G] of a mixture with per-dataset mixing weights π [D, K] (see above). */
function perDatasetGeneLogLikelihood(
  cfg: ModelConfig,
  lpElem: Tensor,
  weights: Tensor,
  opts: LogLikelihoodOptions,
): Tensor {
  if (opts.splitComponents)
    throw new Error(
      'log-likelihood by gene with splitComponents is not defined for per-dataset mixing weights (datasetMixing): each dataset has its own weights; use returnBy: "cell"',
    );
  const [C, K, G] = lpElem.shape as [number, number, number];
  const D = cfg.datasets!.n;
  let lp = lpElem;
  if (opts.weights) {
    const w = opts.weights.reshape([C, 1, 1]);
    lp = opts.weightType === "additive" ? lp.add(w) : lp.mul(w);
  }
  // Σ_{c∈d} through a one-hot [D, C] matrix: [D, C] @ [C, K·G] → [D, K, G]
  const onehot = eq(
    fromTypedArray(
      Int32Array.from({ length: D }, (_, d) => d),
      [D, 1],
    ),
    datasetIndexTensor(cfg).reshape([1, C]),
  ).astype(lp.dtype);
  const perDataset = onehot.matmul(lp.reshape([C, K * G])).reshape([D, K, G]);
  const logPi = weights.log().reshape([D, K, 1]);
  return perDataset.add(logPi).logsumexp(1).sum(0);
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

/**
 * A natural parameter of a dataset draw (`datasetNaturalParams` shapes: [K?, D?, G?]) for every
 * cell, on the [C, G|1] grid: the dataset axis (present on dataset parameters and everything
 * derived from one) gathered at each cell's dataset, then the component chosen by `pick` (one
 * index, per-cell indices [C], or null without a mixture).
 */
function cellParam(
  cfg: ModelConfig,
  name: "r" | "p" | "gate",
  x: Tensor,
  cellDatasets: Tensor,
  pick: Tensor | number | null,
): Tensor {
  const C = cfg.nCells;
  const hasK = cfg.nComponents > 1 && paramAxes(cfg)[name].hasK;
  const core: readonly string[] = cfg.zeroInflated ? [...cfg.sampledCore, "gate"] : cfg.sampledCore;
  const hasD = !core.includes(name) || isDatasetParam(cfg, name);
  const dAxis = hasK ? 1 : 0;
  // [C|1, K?, G?]
  let y = hasD ? moveAxis(x.gather(cellDatasets, dAxis), dAxis, 0) : x.unsqueeze(0);
  if (hasK) {
    const K = cfg.nComponents;
    const tail = y.rank - 2;
    if (typeof pick === "number")
      y = y.slice([0, pick, ...Array(tail).fill(0)], [y.shape[0]!, pick + 1, ...y.shape.slice(2)]).squeeze(1);
    else if (pick) {
      const ks = fromTypedArray(
        Int32Array.from({ length: K }, (_, i) => i),
        [1, K, ...Array(tail).fill(1)],
      );
      const mask = eq(pick.astype("int32").reshape([C, 1, ...Array(tail).fill(1)]), ks).astype(y.dtype);
      y = y.mul(mask).sum(1);
    } else throw new Error(`denoise: '${name}' has a component axis but no component was picked`);
  }
  return y.rank === 1 ? y.reshape([y.shape[0]!, 1]) : y;
}

/**
 * Denoised counts and variances [C, G] of one draw of a dataset model: every cell's parameters
 * taken at its dataset, then the NB (or BNB) denoising formulas of `results/denoise-nb.ts`.
 */
export function datasetDenoiseCells(
  cfg: ModelConfig,
  counts: Tensor,
  draw: Readonly<Record<string, Tensor>>,
  pick: Tensor | number | null,
  methods: [DenoiseMethod, DenoiseMethod],
  k: Key,
): DenoiseResult {
  const C = counts.shape[0]!;
  if (C !== cfg.nCells)
    throw new Error(`denoise: a dataset model denoises its own ${cfg.nCells} cells, got counts for ${C}`);
  const ds = datasetIndexTensor(cfg);
  return denoiseGrid(
    counts,
    {
      r: cellParam(cfg, "r", draw.r!, ds, pick),
      p: cellParam(cfg, "p", draw.p!, ds, pick),
      nu: drawCaptureProbability(draw, C),
      gate: draw.gate ? cellParam(cfg, "gate", draw.gate, ds, pick) : null,
      omega: draw.bnb_concentration ? draw.bnb_concentration.reshape([1, cfg.nGenes]) : null,
    },
    methods,
    k,
  );
}
