import { add, le, lfactorial, lgammaShiftDiff, sub, type Tensor, where } from "@scribe/core";

/**
 * log C(n, k) for integer 0 ≤ k ≤ n, written as lgamma(n+1) − lgamma(m+1) − lgamma(n−m+1)
 * with m = min(k, n−k) and the first difference taken by the count-aware
 * `lgammaShiftDiff(n − m + 1, m)`, so the large lgamma terms never cancel.
 * @internal
 */
export function logBinomialCoefficient(n: Tensor, k: Tensor): Tensor {
  const rest = sub(n, k);
  const small = where(le(k, rest), k, rest);
  const big = where(le(k, rest), rest, k);
  return sub(lgammaShiftDiff(add(big, 1), small), lfactorial(small));
}
