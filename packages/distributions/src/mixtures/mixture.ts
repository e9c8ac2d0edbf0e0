import type { Distribution } from "../distribution.js";
import type { Mixing } from "./mixing.js";
import { MixtureGeneral } from "./mixture-general.js";
import { MixtureSameFamily } from "./mixture-same-family.js";

/**
 * Mixture factory: a single batched component distribution gives a
 * {@link MixtureSameFamily}, a list of distributions a {@link MixtureGeneral}.
 * @example
 * Mixture(new CategoricalProbs(tensor([0.3, 0.7])), new Poisson(tensor([1, 10])));
 */
export function Mixture(
  mixing: Mixing,
  components: Distribution | readonly Distribution[],
  validateArgs?: boolean,
): MixtureSameFamily | MixtureGeneral {
  return Array.isArray(components)
    ? new MixtureGeneral(mixing, components as readonly Distribution[], validateArgs)
    : new MixtureSameFamily(mixing, components as Distribution, validateArgs);
}
