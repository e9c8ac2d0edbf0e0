import {
  broadcastTo,
  clamp,
  div,
  type Key,
  le,
  random,
  type Shape,
  slice,
  splitKey,
  squeeze,
  stack,
  sub,
  type Tensor,
  where,
} from "@scribe/core";

/** The k-th entry of the last axis, with that axis dropped. @internal */
export function lastAxisAt(x: Tensor, k: number): Tensor {
  const begin = x.shape.map((_, i) => (i === x.rank - 1 ? k : 0));
  const end = x.shape.map((d, i) => (i === x.rank - 1 ? k + 1 : d));
  return squeeze(slice(x, begin, end), x.rank - 1);
}

/**
 * Multinomial draws of shape `shape` + [K] by sequential conditional binomials:
 * x_k ~ Binomial(n − Σ_{j<k} x_j, p_k / (1 − Σ_{j<k} p_j)), the last category taking the rest.
 * `probs` has the categories on its last axis and broadcasts to `shape` + [K].
 * @internal
 */
export function sampleMultinomial(key: Key, totalCount: Tensor, probs: Tensor, shape: Shape): Tensor {
  const K = probs.shape[probs.rank - 1]!;
  const p = broadcastTo(probs, [...shape, K]);
  let left: Tensor = broadcastTo(totalCount, [...shape]);
  let mass: Tensor = broadcastTo(totalCount.mul(0).add(1), [...shape]);
  const keys = splitKey(key, Math.max(1, K - 1));
  const parts: Tensor[] = [];
  for (let k = 0; k < K - 1; k++) {
    const pk = lastAxisAt(p, k);
    const cond = where(le(mass, 0), 0, clamp(div(pk, mass), 0, 1));
    const xk = random.binomial(keys[k]!, left, cond, [...shape], { dtype: probs.dtype });
    parts.push(xk);
    left = sub(left, xk);
    mass = sub(mass, pk);
  }
  parts.push(left);
  return stack(parts, -1);
}
