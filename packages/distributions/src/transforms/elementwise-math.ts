import {
  exp,
  expm1,
  log,
  log1p,
  logSigmoid,
  neg,
  random,
  sigmoid,
  softplus,
  type Tensor,
  tanh,
} from "@scribe/core";

/**
 * The elementwise functions a transform's map is written with, as one bundle, so that the map
 * is written once and evaluated two ways: {@link engineMath} (core's ops, for log-densities and
 * their gradients) or {@link drawMath} (core's portable ops, for draws: their cpu loops give
 * the same bits in every JavaScript engine, where `Math.exp`/`Math.log` differ in the last bit
 * between engines; issue 22, item 6). Both have the same gradient rules.
 */
export interface ElementwiseMath {
  exp(x: Tensor): Tensor;
  log(x: Tensor): Tensor;
  log1p(x: Tensor): Tensor;
  expm1(x: Tensor): Tensor;
  sigmoid(x: Tensor): Tensor;
  softplus(x: Tensor): Tensor;
  logSigmoid(x: Tensor): Tensor;
  tanh(x: Tensor): Tensor;
}

/** Core's ordinary ops (the cpu loops call the engine's `Math`). */
export const engineMath: ElementwiseMath = { exp, log, log1p, expm1, sigmoid, softplus, logSigmoid, tanh };

/** Core's portable ops: the same bits on the cpu backend in every JavaScript engine. */
export const drawMath: ElementwiseMath = {
  exp: random.portableExp,
  log: random.portableLog,
  log1p: random.portableLog1p,
  expm1: random.portableExpm1,
  sigmoid: random.portableSigmoid,
  softplus: random.portableSoftplus,
  // log σ(x) = −softplus(−x), as core's logSigmoid computes it
  logSigmoid: (x) => neg(random.portableSoftplus(neg(x))),
  tanh: random.portableTanh,
};
