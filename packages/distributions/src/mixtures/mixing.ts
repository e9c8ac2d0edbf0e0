import { eq, type Key, log, logsumexp, type Shape, sum, type Tensor, unsqueeze, where } from "@scribe/core";
import { CategoricalLogits } from "../discrete/categorical-logits.js";
import { type CategoricalProbs, oneHot } from "../discrete/categorical-probs.js";

/** A mixing distribution: a categorical over the K components. */
export type Mixing = CategoricalProbs | CategoricalLogits;

/** Normalized log mixing weights, shape batchShape + [K]. @internal */
export function logMixingWeights(mixing: Mixing): Tensor {
  if (mixing instanceof CategoricalLogits) return mixing.normalizedLogits;
  return log(mixing.probs);
}

/** Mixing probabilities, shape batchShape + [K]. @internal */
export function mixingProbs(mixing: Mixing): Tensor {
  return mixing.probs;
}

/** Number of components of a mixing distribution. @internal */
export function numComponents(mixing: Mixing): number {
  return mixing.numCategories;
}

/**
 * Choose per element among component draws stacked at axis −(eventDim + 1) with the indices
 * `idx` (shape sampleShape + batchShape).
 * @internal
 */
export function selectComponent(stacked: Tensor, idx: Tensor, K: number, eventDim: number): Tensor {
  let hot = oneHot(idx, K, stacked.dtype === "float64" ? "float64" : "float32");
  for (let i = 0; i < eventDim; i++) hot = unsqueeze(hot, hot.rank);
  return sum(where(eq(hot, 1), stacked, 0), stacked.rank - eventDim - 1);
}

/** logsumexp over the component axis of component log-densities plus log weights. @internal */
export function mixtureLogProb(componentLp: Tensor, logW: Tensor): Tensor {
  return logsumexp(componentLp.add(logW), -1);
}

/** Draw component indices of shape sampleShape + batchShape. @internal */
export function sampleIndices(mixing: Mixing, key: Key, shape: Shape): Tensor {
  return mixing.sample(key, shape.slice(0, shape.length - mixing.batchShape.length));
}
