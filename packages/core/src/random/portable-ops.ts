/**
 * Elementwise exp, log, log1p, expm1, the logistic function, softplus, tanh and tan(πt)
 * whose CPU loop bodies are {@link pexp}/{@link plog}/{@link plog1p} of portable-math
 * instead of `Math.*`, for the transforms that turn Threefry bits into draws (Beta's
 * σ(log G_a − log G_b), Dirichlet's normalisation, LogNormal's e^x, Exponential's −log U,
 * Cauchy's tan(π(U − ½)), and the draw maps of the distributions' transforms,
 * `Transform.drawForward`). With them a draw under one key has the same bits on the cpu
 * backend in every JavaScript engine (issue 22, item 6): the engines' `Math.exp`/`Math.log`
 * differ in the last bit (Node 20 against Deno 2.9, say).
 *
 * On WebGPU the bodies are the same WGSL as core's `exp`, `log`, `log1p`, `expm1`,
 * `sigmoid`, `softplus` and `tanh`, so GPU draws are unchanged: float32 and driver-defined,
 * equal to the cpu's within the float32 tolerance that ops/random.ts documents for WebGPU
 * draws, not bit for bit.
 *
 * Gradients are the same as those of the ordinary ops (the rules are not part of a draw).
 * @module
 */
import { defineOp, type TensorLike, type TestDomain } from "../ops/define-op.js";
import { add, div, elementwise, mul, sub } from "../ops/elementwise.js";
import type { Tensor } from "../tensor/tensor.js";
import { pcos2pi, pexp, pexpm1, plog, plog1p } from "./portable-math.js";

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
 * softplus(x) = ln(1 + eˣ) through {@link pexp}/{@link plog1p}: x + ln(1 + e⁻ˣ) for x > 0 and
 * ln(1 + eˣ) otherwise, so it neither overflows nor loses a tiny value (core's softplus split).
 */
export function psoftplus(x: number): number {
  if (x > 0) return x + plog1p(pexp(-x));
  return plog1p(pexp(x));
}

/**
 * tanh x through {@link pexpm1}: with t = e^(−2|x|) − 1, tanh|x| = −t/(t + 2) (no cancellation
 * near 0); ±1 beyond |x| = 22, where 1 − tanh|x| < 2⁻⁶³.
 */
export function ptanh(x: number): number {
  if (Number.isNaN(x)) return x;
  const a = Math.abs(x);
  if (a > 22) return x > 0 ? 1 : -1;
  if (a < 3.725290298461914e-9) return x; // |x| < 2^-28: tanh x = x to double precision
  const t = pexpm1(-2 * a);
  const r = -t / (t + 2);
  return x < 0 ? -r : r;
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

/** The op of {@link portableExpm1}: eˣ − 1, cpu loop through portable-math. */
export const portableExpm1Op = defineOp({
  name: "portableExpm1",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 10,
  testDomain: [STD],
  cpu: { fn: pexpm1 },
  wgsl: ([a]) => `sp_expm1(${a})`,
  vjp: (g, _a, [out]) => [mul(g, add(out!, 1))],
});

/** The op of {@link portableSoftplus}: ln(1 + eˣ), cpu loop through {@link psoftplus}. */
export const portableSoftplusOp = defineOp({
  name: "portableSoftplus",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 12,
  testDomain: [{ lo: -5, hi: 5 }],
  cpu: { fn: psoftplus },
  wgsl: ([a]) => `sp_softplus(${a})`,
  vjp: (g, a) => [mul(g, portableSigmoid(a[0]!))],
});

/** The op of {@link portableTanh}: tanh x, cpu loop through {@link ptanh}. */
export const portableTanhOp = defineOp({
  name: "portableTanh",
  module: M,
  arity: 1,
  dtype: "float",
  cost: 12,
  testDomain: [STD],
  cpu: { fn: ptanh },
  wgsl: ([a]) => `sp_tanh(${a})`,
  vjp: (g, _a, [out]) => [mul(g, sub(1, mul(out!, out!)))],
});

/** eˣ − 1 with the same bits in every JavaScript engine on the cpu backend (see the module comment). */
export function portableExpm1(x: TensorLike): Tensor {
  return elementwise(portableExpm1Op, [x]);
}

/** ln(1 + eˣ) with the same bits in every JavaScript engine on the cpu backend (see the module comment). */
export function portableSoftplus(x: TensorLike): Tensor {
  return elementwise(portableSoftplusOp, [x]);
}

/** tanh x with the same bits in every JavaScript engine on the cpu backend (see the module comment). */
export function portableTanh(x: TensorLike): Tensor {
  return elementwise(portableTanhOp, [x]);
}

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
