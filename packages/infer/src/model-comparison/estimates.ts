/**
 * The summary every criterion reports: a total over observations with its standard error
 * √(n · var(pointwise)) (divisor n − 1), as `loo`'s `table_of_estimates`.
 * @module
 */
import { variance } from "./log-lik-matrix.js";

/** A total over observations and its standard error. */
export interface Estimate {
  /** Σ_i of the pointwise values. */
  readonly estimate: number;
  /** √(n · var_i) with the sample variance (divisor n − 1); 0 for one observation. */
  readonly se: number;
}

/**
 * Total and standard error of pointwise values.
 * @example
 * estimate([1, 2, 3]); // { estimate: 6, se: √3 }
 */
export function estimate(pointwise: ArrayLike<number>): Estimate {
  const n = pointwise.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += pointwise[i]!;
  return { estimate: sum, se: n > 1 ? Math.sqrt(n * variance(pointwise)) : 0 };
}
