/**
 * Reparameterization gradient of gamma draws.
 *
 * @module
 */
import { gammaincGradA, lgamma } from "../special/scalar/index.js";

/**
 * dx/dalpha of a unit-rate gamma draw x ~ Gamma(alpha, 1), holding its uniform fixed
 * (the implicit reparameterization gradient of M. Figurnov, S. Mohamed and A. Mnih,
 * "Implicit reparameterization gradients", NeurIPS 2018): differentiating
 * P(alpha, x(alpha)) = u gives dx/dalpha = -(dP/dalpha)(alpha, x) / p(x; alpha), with
 * P the regularized lower incomplete gamma function and p the Gamma(alpha, 1) density
 * x^(alpha-1) e^(-x) / Gamma(alpha). dP/dalpha comes from `gammaincGradA`. For a draw
 * with rate beta, y = x / beta, dy/dalpha = (dx/dalpha) / beta.
 *
 * @param x - the draw (> 0; 0 gives 0)
 * @param alpha - the concentration (> 0)
 * @returns dx/dalpha (positive: larger concentrations give larger draws)
 *
 * @example
 * ```ts
 * gammaReparamGradAt(1.5, 2); // ~ 0.9366
 * ```
 */
export function gammaReparamGradAt(x: number, alpha: number): number {
  if (!(alpha > 0) || !(x >= 0)) {
    throw new RangeError(`gammaReparamGrad: need alpha > 0 and x >= 0, got alpha=${alpha}, x=${x}`);
  }
  if (x === 0 || x === Infinity) return 0;
  const logPdf = (alpha - 1) * Math.log(x) - x - lgamma(alpha);
  return -gammaincGradA(alpha, x) * Math.exp(-logPdf);
}

/**
 * Elementwise {@link gammaReparamGradAt}: dx/dalpha for each draw `x[i]` of
 * Gamma(alpha[i], 1) (alpha may be one number for all).
 *
 * @param x - the draws
 * @param alpha - concentration(s), one number or one per draw
 *
 * @example
 * ```ts
 * const x = gamma(key(0), 100, 2);
 * const dx = gammaReparamGrad(x, 2); // pathwise derivative of each draw in alpha
 * ```
 */
export function gammaReparamGrad(x: ArrayLike<number>, alpha: number | ArrayLike<number>): Float64Array {
  const n = x.length;
  if (typeof alpha !== "number" && alpha.length !== 1 && alpha.length !== n) {
    throw new RangeError(`gammaReparamGrad: alpha has length ${alpha.length}, x has length ${n}`);
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = typeof alpha === "number" ? alpha : alpha.length === 1 ? alpha[0]! : alpha[i]!;
    out[i] = gammaReparamGradAt(x[i]!, a);
  }
  return out;
}
