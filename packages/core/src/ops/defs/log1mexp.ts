import { f32Lit } from "../../backend/webgpu/wgsl-lib/format.js";
import { unaryFn } from "../apply-op.js";
import { defineOp } from "../define-op.js";
import { div } from "./arithmetic.js";
import { expm1 } from "./transcendental.js";

/**
 * log(1 − e^(−x)) for x ≥ 0, accurate at both ends (Mächler 2012, "Accurately computing
 * log(1 − exp(−|a|))", the Rmpfx vignette): log(−expm1(−x)) up to x = ln 2, where 1 − e^(−x) is
 * small, and log1p(−e^(−x)) above, where e^(−x) is. −∞ at 0, NaN below. The whole op — scalar
 * body, WGSL body, gradient d/dx = 1/expm1(x) and test domain — is this one file.
 */

/** Where the two forms hand over (Mächler's a₀ = log 2). */
const LOG1MEXP_SWITCH = Math.LN2;

/** Scalar log(1 − e^(−x)). */
export function log1mexpScalar(x: number): number {
  return x <= LOG1MEXP_SWITCH ? Math.log(-Math.expm1(-x)) : Math.log1p(-Math.exp(-x));
}

export const log1mexpOp = defineOp({
  name: "log1mexp",
  module: import.meta.url,
  arity: 1,
  dtype: "float",
  cost: 8,
  testDomain: [{ lo: 0.05, hi: 5 }],
  cpu: { fn: log1mexpScalar },
  wgsl: ([x]) => `sp_log1mexp(${x})`,
  wgslLib: {
    sp_log1mexp: `fn sp_log1mexp(x: f32) -> f32 {
  if (x <= ${f32Lit(LOG1MEXP_SWITCH)}) { return sp_log(-sp_expm1(-x)); }
  return sp_log1p(-exp(-x));
}`,
  },
  vjp: (g, [x]) => [div(g, expm1(x!))],
});

/**
 * log(1 − e^(−x)), elementwise, accurate for x near 0 and for large x.
 * @example
 * log1mexp(tensor([1e-8, 1, 40])); // ≈ [−18.42, −0.4587, −4.2e-18]
 */
export const log1mexp = unaryFn(log1mexpOp);
