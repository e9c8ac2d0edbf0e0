/**
 * The scalar float64 special functions the DE code uses, re-exported from the
 * core package's scalar special-function module (single import point).
 * @module
 */
export {
  betainc,
  digamma,
  digammaShiftDiff,
  gammaincc,
  lgamma,
  lgammaShiftDiff,
  trigamma,
  trigammaShiftDiff,
} from "../../../core/src/special/scalar/index.js";
