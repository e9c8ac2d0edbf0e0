import { betaln as betalnScalar } from "../../special/scalar/betaln.js";
import { digamma as digammaScalar } from "../../special/scalar/digamma.js";
import { lfactorial as lfactorialScalar } from "../../special/scalar/lfactorial.js";
import { lgamma as lgammaScalar } from "../../special/scalar/lgamma.js";
import {
  digammaShiftDiff as digammaShiftDiffScalar,
  lgammaShiftDiff as lgammaShiftDiffScalar,
  trigammaShiftDiff as trigammaShiftDiffScalar,
} from "../../special/scalar/shift-diff.js";
import { trigamma as trigammaScalar } from "../../special/scalar/trigamma.js";
import { binaryFn, unaryFn } from "../apply-op.js";
import { defineOp, type TensorLike, type TestDomain } from "../define-op.js";
import { add, mul, sub } from "./arithmetic.js";

/**
 * The gamma family: log Γ, ψ, ψ', log y!, log B(a, b), and the count-aware differences
 * log Γ(θ+y) − log Γ(θ), ψ(θ+y) − ψ(θ), ψ'(θ+y) − ψ'(θ). Scalar bodies in special/scalar, WGSL
 * bodies (from the same coefficient tables) in backend/webgpu/wgsl-lib/gamma.ts.
 */

const M = import.meta.url;
const R = (lo: number, hi: number): TestDomain => ({ lo, hi });
const COUNT: TestDomain = { lo: 0, hi: 30, integer: true };
const x0 = (a: readonly TensorLike[]) => a[0]!;
const x1 = (a: readonly TensorLike[]) => a[1]!;

export const lgammaOp = defineOp({
  name: "lgamma",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 40,
  testDomain: [R(0.1, 12)],
  cpu: { fn: lgammaScalar },
  wgsl: ([a]) => `sp_lgamma(${a})`,
  vjp: (g, a) => [mul(g, digamma(x0(a)))],
});
export const digammaOp = defineOp({
  name: "digamma",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 40,
  testDomain: [R(0.1, 12)],
  cpu: { fn: digammaScalar },
  wgsl: ([a]) => `sp_digamma(${a})`,
  vjp: (g, a) => [mul(g, trigamma(x0(a)))],
});
export const trigammaOp = defineOp({
  name: "trigamma",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 40,
  testDomain: [R(0.1, 12)],
  cpu: { fn: trigammaScalar },
  wgsl: ([a]) => `sp_trigamma(${a})`,
  vjp: null,
});
/** log(y!) = lgamma(y + 1), from a table for integers below 1024. */
export const lfactorialOp = defineOp({
  name: "lfactorial",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 3,
  testDomain: [R(0.5, 10)],
  cpu: { fn: lfactorialScalar },
  wgsl: ([a]) => `sp_lfactorial(${a})`,
  vjp: (g, a) => [mul(g, digamma(add(x0(a), 1)))],
});
export const betalnOp = defineOp({
  name: "betaln",
  module: M,
  arity: 2,
  dtype: "float",
  cost: 80,
  testDomain: [R(0.2, 8), R(0.2, 8)],
  cpu: { fn: betalnScalar },
  wgsl: ([a, b]) => `sp_betaln(${a}, ${b})`,
  vjp: (g, a) => {
    const dab = digamma(add(x0(a), x1(a)));
    return [mul(g, sub(digamma(x0(a)), dab)), mul(g, sub(digamma(x1(a)), dab))];
  },
});
/** lgamma(y + θ) − lgamma(θ) for counts y ≥ 0, count-aware. Arguments (θ, y); y is not differentiated. */
export const lgammaShiftDiffOp = defineOp({
  name: "lgammaShiftDiff",
  module: M,
  arity: 2,
  dtype: "float",
  cost: 30,
  testDomain: [R(0.1, 20), COUNT],
  cpu: { fn: lgammaShiftDiffScalar },
  wgsl: ([a, b]) => `sp_lgammaShiftDiff(${a}, ${b})`,
  vjp: (g, a) => [mul(g, digammaShiftDiff(x0(a), x1(a))), null],
});
/** ψ(y + θ) − ψ(θ) for counts y ≥ 0. Arguments (θ, y). */
export const digammaShiftDiffOp = defineOp({
  name: "digammaShiftDiff",
  module: M,
  arity: 2,
  dtype: "float",
  cost: 30,
  testDomain: [R(0.1, 20), COUNT],
  cpu: { fn: digammaShiftDiffScalar },
  wgsl: ([a, b]) => `sp_digammaShiftDiff(${a}, ${b})`,
  vjp: (g, a) => [mul(g, trigammaShiftDiff(x0(a), x1(a))), null],
});
/** ψ'(y + θ) − ψ'(θ) for counts y ≥ 0. Arguments (θ, y). */
export const trigammaShiftDiffOp = defineOp({
  name: "trigammaShiftDiff",
  module: M,
  arity: 2,
  dtype: "float",
  cost: 30,
  testDomain: [R(0.1, 20), COUNT],
  cpu: { fn: trigammaShiftDiffScalar },
  wgsl: ([a, b]) => `sp_trigammaShiftDiff(${a}, ${b})`,
  vjp: null,
});

export const lgamma = unaryFn(lgammaOp);
export const digamma = unaryFn(digammaOp);
export const trigamma = unaryFn(trigammaOp);
export const lfactorial = unaryFn(lfactorialOp);
export const betaln = binaryFn(betalnOp);
/** lgamma(y + θ) − lgamma(θ) for integer counts y ≥ 0, count-aware. Arguments (θ, y). */
export const lgammaShiftDiff = binaryFn(lgammaShiftDiffOp);
/** ψ(y + θ) − ψ(θ) for integer counts y ≥ 0. Arguments (θ, y). */
export const digammaShiftDiff = binaryFn(digammaShiftDiffOp);
/** ψ'(y + θ) − ψ'(θ) for integer counts y ≥ 0. Arguments (θ, y). */
export const trigammaShiftDiff = binaryFn(trigammaShiftDiffOp);
