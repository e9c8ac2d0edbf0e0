/**
 * Counter-based random keys (Threefry-2x32-20, JAX semantics) and samplers on typed
 * arrays. Every sampler computes element `i` from its own counter stream: draw `m` of
 * element `i` is the Threefry block of the counter `(m, i)` under the key, so results
 * depend only on the key and the element index, never on `n`, threads or backend.
 *
 * @module
 */

export { BINOMIAL_BTRS_THRESHOLD, binomial } from "./binomial.js";
export { bernoulli, categorical } from "./discrete.js";
export { beta, dirichlet, gamma } from "./gamma.js";
export { gammaReparamGrad, gammaReparamGradAt } from "./gamma-grad.js";
export { foldIn, type Key, key, keyData, keyFromData, randomBits, split, splitLegacy } from "./key.js";
export { choice, permutation } from "./permutation.js";
export { POISSON_PTRS_THRESHOLD, poisson } from "./poisson.js";
export { ElementStream, type Param, uniformFromBits } from "./stream.js";
export {
  THREEFRY_PARITY,
  THREEFRY_ROTATIONS,
  THREEFRY_ROUNDS,
  threefry2x32,
  threefry2x32Into,
} from "./threefry.js";
export { truncatedNormal } from "./truncated-normal.js";
export { normal, uniform } from "./uniform-normal.js";
