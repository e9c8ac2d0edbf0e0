/**
 * Elementwise exp, log, log1p, the logistic function and tan(πt) whose CPU loop bodies are
 * {@link pexp}/{@link plog}/{@link plog1p} of portable-math instead of `Math.*`, for the
 * transforms that turn Threefry bits into draws (Beta's σ(log G_a − log G_b), Dirichlet's
 * normalisation, LogNormal's e^x, Exponential's −log U, Cauchy's tan(π(U − ½))). With them a draw under one key has
 * the same bits on the cpu backend in every JavaScript engine (issue 22, item 6): the
 * engines' `Math.exp`/`Math.log` differ in the last bit (Node 20 against Deno 2.9, say).
 *
 * On WebGPU the bodies are the same WGSL as core's `exp`, `log`, `log1p` and `sigmoid`, so
 * GPU draws are unchanged: float32 and driver-defined, equal to the cpu's within the float32
 * tolerance that ops/random.ts documents for WebGPU draws, not bit for bit.
 *
 * Gradients are the same as those of the ordinary ops (the rules are not part of a draw).
 * @module
 */
import { defineOp, type TensorLike, type TestDomain } from "../ops/define-op.js";
import { add, div, elementwise, mul, sub } from "../ops/elementwise.js";
import type { Tensor } from "../tensor/tensor.js";
import { pcos2pi, pexp, plog, plog1p } from "./portable-math.js";

const M = import.meta.url;
const STD: TestDomain = { lo: -2, hi: 2 };
const POS: TestDomain = { lo: 0.2, hi: 4 };

/** The logistic function through {@link pexp}, without overflow for either sign. */
export function psigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + pexp(-x));
  const e = pexp(x);
  return e / (1 + e);
}

/**
 * tan(πt) through {@link pcos2pi}: sin(πt)/cos(πt) with sin(πt) = cos(2π(t/2 − 1/4)); for
 * Cauchy draws tan(π(u − ½)), whose argument lies in (−½, ½).
 */
export function ptanpi(t: number): number {
  const half = t / 2; // exact
  return pcos2pi(half - 0.25) / pcos2pi(half);
}

/** The op of {@link portableExp}: e^x, cpu loop through portable-math. */
export const portableExpOp = defineOp({
  name: "portableExp",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 8,
  testDomain: [STD],
  cpu: { fn: pexp },
  wgsl: ([a]) => `exp(${a})`,
  vjp: (g, _a, [out]) => [mul(g, out!)],
});

/** The op of {@link portableLog}: ln x, cpu loop through portable-math. */
export const portableLogOp = defineOp({
  name: "portableLog",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 8,
  testDomain: [POS],
  cpu: { fn: plog },
  wgsl: ([a]) => `sp_log(${a})`,
  vjp: (g, a) => [div(g, a[0]!)],
});

/** The op of {@link portableLog1p}: ln(1 + x), cpu loop through portable-math. */
export const portableLog1pOp = defineOp({
  name: "portableLog1p",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 10,
  testDomain: [{ lo: -0.5, hi: 3 }],
  cpu: { fn: plog1p },
  wgsl: ([a]) => `sp_log1p(${a})`,
  vjp: (g, a) => [div(g, add(a[0]!, 1))],
});

/** The op of {@link portableSigmoid}: 1/(1 + e^−x), cpu loop through portable-math. */
export const portableSigmoidOp = defineOp({
  name: "portableSigmoid",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 10,
  testDomain: [{ lo: -5, hi: 5 }],
  cpu: { fn: psigmoid },
  wgsl: ([a]) => `sp_sigmoid(${a})`,
  vjp: (g, _a, [out]) => [mul(g, mul(out!, sub(1, out!)))],
});

/** The op of {@link portableTanPi}: tan(πt), cpu loop through portable-math. */
export const portableTanPiOp = defineOp({
  name: "portableTanPi",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 20,
  testDomain: [{ lo: -0.45, hi: 0.45 }],
  cpu: { fn: ptanpi },
  wgsl: ([a]) => `sp_tan(3.141592653589793 * ${a})`,
  vjp: (g, _a, [out]) => [mul(g, mul(add(mul(out!, out!), 1), Math.PI))],
});

/** tan(πt) with the same bits in every JavaScript engine on the cpu backend (see the module comment). */
export function portableTanPi(x: TensorLike): Tensor {
  return elementwise(portableTanPiOp, [x]);
}

/** e^x with the same bits in every JavaScript engine on the cpu backend (see the module comment). */
export function portableExp(x: TensorLike): Tensor {
  return elementwise(portableExpOp, [x]);
}

/** ln x with the same bits in every JavaScript engine on the cpu backend (see the module comment). */
export function portableLog(x: TensorLike): Tensor {
  return elementwise(portableLogOp, [x]);
}

/** ln(1 + x) with the same bits in every JavaScript engine on the cpu backend (see the module comment). */
export function portableLog1p(x: TensorLike): Tensor {
  return elementwise(portableLog1pOp, [x]);
}

/** 1/(1 + e^−x) with the same bits in every JavaScript engine on the cpu backend (see the module comment). */
export function portableSigmoid(x: TensorLike): Tensor {
  return elementwise(portableSigmoidOp, [x]);
}
