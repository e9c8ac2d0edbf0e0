/** Softplus and log-sigmoid, stable for every float64 input. */

/**
 * softplus(x) = log(1 + eˣ), evaluated as x + log1p(e⁻ˣ) for x > 0 and log1p(eˣ) otherwise,
 * so it neither overflows for large x nor loses the tiny value for very negative x.
 */
export function softplus(x: number): number {
  if (x > 0) return x + Math.log1p(Math.exp(-x));
  return Math.log1p(Math.exp(x));
}

/** log σ(x) = -softplus(-x) (log of the logistic sigmoid); -0 for large positive x. */
export function logSigmoid(x: number): number {
  return -softplus(-x);
}
