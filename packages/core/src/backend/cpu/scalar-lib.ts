import * as special from "../../special/scalar/index.js";
import * as nb from "../../special/negative-binomial.js";
import { gammaReparamGradAt } from "../../random/gamma-grad.js";

/** Round half to even, as NumPy's `round`. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The functions generated CPU loops call as `L.name(...)`. */
export const scalarLib = {
  ...special,
  sigmoid: (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  maximum: (a: number, b: number) => (a > b || a !== a ? a : b),
  minimum: (a: number, b: number) => (a < b || a !== a ? a : b),
  roundHalfEven,
  ...nb,
  gammaSampleGrad: (alpha: number, x: number) => gammaReparamGradAt(x, alpha),
};
