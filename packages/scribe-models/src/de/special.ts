/**
 * The scalar float64 special functions the DE code uses, from `@scribe/core`'s scalar
 * special-function module (single import point).
 * @module
 */
import { specialScalar } from "@scribe/core";

export const {
  betainc,
  digamma,
  digammaShiftDiff,
  gammaincc,
  lgamma,
  lgammaShiftDiff,
  trigamma,
  trigammaShiftDiff,
} = specialScalar;
