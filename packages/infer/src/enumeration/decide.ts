/**
 * One decision of `inferDiscrete`: the value of an enumerated variable from its log
 * max-marginal (argmax) or log marginal (a Gumbel-max draw), and the holding of a factor at
 * the decided value. Shared by the plain sites, the scans and the `markov` loops.
 * @module
 */
import {
  arange,
  argmax,
  broadcastTo,
  eq,
  type Key,
  neg,
  random,
  reshape,
  sum,
  type Tensor,
  where,
} from "@scribe/core";

/**
 * Standard Gumbel noise: argmax(logits + noise) is a draw from softmax(logits). Through the
 * portable log, so that one key gives the same noise in every JavaScript engine.
 */
export function gumbel(k: Key, shape: readonly number[], dtype: Tensor["dtype"]): Tensor {
  const u = random.uniform(k, [...shape], 1e-12, 1, { dtype: dtype === "float64" ? "float64" : "float32" });
  return neg(random.portableLog(neg(random.portableLog(u))));
}

/**
 * The decided index along `axis` (kept as a unit dim): argmax of `scores` at temperature 0,
 * a draw from their softmax at temperature 1. A variable the scores do not depend on (size
 * 1 there) is spread over its `size` values first.
 */
export function decideIndex(scores: Tensor, axis: number, size: number, temperature: 0 | 1, k: Key): Tensor {
  const noisy = temperature === 0 ? scores : scores.add(gumbel(k, scores.shape, scores.dtype));
  return argmax(
    broadcastTo(
      noisy,
      noisy.shape.map((n, a) => (a === axis ? size : n)),
    ),
    axis,
    true,
  );
}

/** Mask of the decided value along enumeration dim `dim` (negative) of a rank-`rank` layout. */
export function chosenMask(idx: Tensor, dim: number, size: number): Tensor {
  return eq(reshape(arange(0, size, 1, "int32"), [size, ...new Array<number>(-dim - 1).fill(1)]), idx);
}

/** `t` at the decided value along `axis` (a unit dim there), or `t` itself if it does not vary there. */
export function holdAt(t: Tensor, axis: number, mask: Tensor): Tensor {
  return (t.shape[axis] ?? 1) > 1 ? sum(where(mask, t, 0), axis, true) : t;
}
