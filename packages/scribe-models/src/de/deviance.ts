/**
 * Negative-binomial unit deviance and log-likelihood (glmGamPoi NB deviance), written to
 * keep precision for large counts and small overdispersion.
 * @module
 */

/**
 * Unit deviance 2[ℓ(y; y) − ℓ(y; μ)] of one count under NB with overdispersion θ
 * (variance μ + θμ²); Poisson when θ < 1e-6. Floored at 0.
 */
export function unitDeviance(y: number, mu: number, theta: number): number {
  if (theta < 1e-6) {
    if (y === 0) return 2 * mu;
    const d = 2 * (y * Math.log(y / mu) - (y - mu));
    return Math.max(d, 0);
  }
  if (y === 0) return (2 / theta) * Math.log1p(mu * theta);
  const d =
    -2 *
    (y * Math.log((mu + y * mu * theta) / (y + y * mu * theta)) -
      (1 / theta) * Math.log((1 + mu * theta) / (1 + y * theta)));
  return Math.max(d, 0);
}

/** Sum of unit deviances of one gene: y and mu are n-vectors at `off`. */
export function geneDeviance(
  y: Float64Array,
  mu: Float64Array,
  off: number,
  n: number,
  theta: number,
): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += unitDeviance(y[off + i]!, mu[i]!, theta);
  return s;
}

/**
 * NB log-likelihood of one count up to the θ- and μ-free −lgamma(y + 1) term,
 * given lgammaDiff = lgamma(y + 1/θ) − lgamma(1/θ). Poisson (θ = 0) when
 * `theta` is 0: y log μ − μ.
 */
export function nbLogLikTerm(y: number, mu: number, theta: number, lgammaDiff: number): number {
  if (theta === 0) return y === 0 ? -mu : y * Math.log(mu) - mu;
  const r = 1 / theta;
  // lgamma(y+r) − lgamma(r) − r log θ − (y + r) log(μ + r) + y log μ
  //   = lgammaDiff − y log r − (y + r) log1p(μθ) + y log μ
  return lgammaDiff - y * Math.log(r) - (y + r) * Math.log1p(mu * theta) + (y === 0 ? 0 : y * Math.log(mu));
}
