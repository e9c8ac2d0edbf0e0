import { record } from "../autodiff/tape.js";
import * as rng from "../random/index.js";
import type { Key } from "../random/index.js";
import { allocStorage, type DType } from "../tensor/dtype.js";
import { fromTypedArray } from "../tensor/creation.js";
import { dataSync } from "../tensor/realize.js";
import { broadcastShapes, type Shape, sizeOf } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { add, broadcastTo, div, elementwise, mul, type TensorLike } from "./elementwise.js";
import { sum } from "./reduce.js";

/**
 * Tensor-level samplers over the counter-based key streams of `random/`: every element is a
 * function of (key, element index), so draws are reproducible across backends and threads.
 */

export { foldIn, key, split, randomBits, type Key } from "../random/index.js";

function outShape(shape: Shape | undefined, params: readonly TensorLike[]): number[] {
  const ps = params.filter((p): p is Tensor => p instanceof Tensor).map((p) => p.shape);
  const base = broadcastShapes(...ps);
  if (!shape) return base;
  const full = broadcastShapes(shape, base);
  if (full.length !== shape.length || full.some((d, i) => d !== shape[i]))
    throw new Error(`random: parameter shape [${base}] does not broadcast to the requested shape [${shape}]`);
  return [...shape];
}

/** A parameter as per-element values over `shape` (a number stays a number). */
function param(p: TensorLike, shape: Shape): number | ArrayLike<number> {
  if (typeof p === "number") return p;
  return dataSync(broadcastTo(p, shape));
}

function floatDtype(params: readonly TensorLike[], dtype?: DType): DType {
  if (dtype) return dtype;
  return params.some((p) => p instanceof Tensor && p.dtype === "float64") ? "float64" : "float32";
}

function wrap(values: ArrayLike<number>, shape: Shape, dtype: DType): Tensor {
  const out = allocStorage(dtype, values.length);
  out.set(values as ArrayLike<number>);
  return fromTypedArray(out, shape);
}

export interface SampleOptions {
  dtype?: DType;
}

/** Uniform draws on [low, high). */
export function uniform(k: Key, shape: Shape = [], low: TensorLike = 0, high: TensorLike = 1, opts: SampleOptions = {}): Tensor {
  const s = outShape(shape, [low, high]);
  return wrap(rng.uniform(k, sizeOf(s), param(low, s), param(high, s)), s, floatDtype([low, high], opts.dtype));
}

/** Standard normal draws (scale and shift them for other normals). */
export function normal(k: Key, shape: Shape = [], opts: SampleOptions = {}): Tensor {
  return wrap(rng.normal(k, sizeOf(shape)), shape, opts.dtype ?? "float32");
}

/**
 * Gamma(concentration, rate 1) draws, differentiable in the concentration by implicit
 * reparameterization: dx/dα = −(∂F/∂α)/p(x) with F the gamma CDF.
 */
export function gamma(k: Key, concentration: TensorLike, shape?: Shape, opts: SampleOptions = {}): Tensor {
  const s = outShape(shape, [concentration]);
  const out = wrap(rng.gamma(k, sizeOf(s), param(concentration, s)), s, floatDtype([concentration], opts.dtype));
  if (concentration instanceof Tensor)
    record(out, [concentration], "gamma", (g) => [mul(g, elementwise("gammaSampleGrad", [concentration, out]))]);
  return out;
}

/** Beta(a, b) draws as G_a / (G_a + G_b); differentiable in a and b. */
export function beta(k: Key, a: TensorLike, b: TensorLike, shape?: Shape, opts: SampleOptions = {}): Tensor {
  const s = outShape(shape, [a, b]);
  const [ka, kb] = rng.split(k, 2) as [Key, Key];
  const ga = gamma(ka, a, s, opts);
  const gb = gamma(kb, b, s, opts);
  return div(ga, add(ga, gb));
}

/** Dirichlet draws; `concentration` has the categories on its last axis. Differentiable. */
export function dirichlet(k: Key, concentration: Tensor, shape?: Shape, opts: SampleOptions = {}): Tensor {
  const K = concentration.shape[concentration.rank - 1]!;
  const s = shape ? [...shape, K] : [...concentration.shape];
  const g = gamma(k, concentration, s, opts);
  return div(g, sum(g, -1, true));
}

/** Poisson draws, exact for rates up to 1e8 (PTRS transformed rejection above small rates). */
export function poisson(k: Key, rate: TensorLike, shape?: Shape, opts: SampleOptions = {}): Tensor {
  const s = outShape(shape, [rate]);
  return wrap(rng.poisson(k, sizeOf(s), param(rate, s)), s, opts.dtype ?? floatDtype([rate]));
}

/** Binomial(totalCount, probs) draws (exact: inversion for small means, BTRS otherwise). */
export function binomial(k: Key, totalCount: TensorLike, probs: TensorLike, shape?: Shape, opts: SampleOptions = {}): Tensor {
  const s = outShape(shape, [totalCount, probs]);
  return wrap(rng.binomial(k, sizeOf(s), param(totalCount, s), param(probs, s)), s, opts.dtype ?? floatDtype([probs]));
}

/** Bernoulli(probs) draws as 0/1. */
export function bernoulli(k: Key, probs: TensorLike, shape?: Shape, opts: SampleOptions = {}): Tensor {
  const s = outShape(shape, [probs]);
  return wrap(rng.bernoulli(k, sizeOf(s), param(probs, s)), s, opts.dtype ?? floatDtype([probs]));
}

/** Category indices (int32) from unnormalized `logits` with the categories on the last axis. */
export function categorical(k: Key, logits: Tensor, shape?: Shape): Tensor {
  const K = logits.shape[logits.rank - 1]!;
  const batch = logits.shape.slice(0, -1);
  const s = shape ? [...shape] : batch;
  const full = broadcastTo(logits, [...s, K]);
  return wrap(rng.categorical(k, sizeOf(s), dataSync(full), K), s, "int32");
}

/** Standard normal draws truncated to [lower, upper]; accurate deep in the tails. */
export function truncatedNormal(k: Key, lower: TensorLike, upper: TensorLike, shape?: Shape, opts: SampleOptions = {}): Tensor {
  const s = outShape(shape, [lower, upper]);
  return wrap(rng.truncatedNormal(k, sizeOf(s), param(lower, s), param(upper, s)), s, floatDtype([lower, upper], opts.dtype));
}

/** A random permutation of 0..n−1 (int32). */
export function permutation(k: Key, n: number): Tensor {
  return fromTypedArray(rng.permutation(k, n), [n]);
}

/** `count` distinct indices from 0..populationSize−1, in random order (int32). */
export function choice(k: Key, populationSize: number, count: number): Tensor {
  return fromTypedArray(rng.choice(k, populationSize, count), [count]);
}
