/**
 * The distribution base class with its wrappers connected: `expand`, `toEvent` and `mask`
 * return the wrapper classes of wrappers/, which extend the base and so cannot be imported by
 * it (distribution-base.ts; the wrappers import the base directly, so there is no import cycle).
 * Every distribution imports `Distribution` from here, so importing any one of them alone gives
 * working wrappers.
 * @module
 */
import { installWrappers } from "./distribution-base.js";
import { expandDistribution } from "./wrappers/expanded.js";
import { toEventDistribution } from "./wrappers/independent.js";
import { maskDistribution } from "./wrappers/masked.js";

export {
  batchShapeOf,
  Distribution,
  type DistributionClass,
  enableValidation,
  validationEnabled,
} from "./distribution-base.js";

installWrappers({
  expand: (d, batchShape) => expandDistribution(d, batchShape),
  toEvent: (d, n) => toEventDistribution(d, n),
  mask: (d, mask) => maskDistribution(d, mask),
});
