import { record } from "../autodiff/tape.js";
import * as rng from "../random/index.js";
import type { Key } from "../random/index.js";
import type { SamplerKind, SamplerParam } from "../backend/backend.js";
import { currentBackend } from "../backend/registry.js";
import type { DType } from "../tensor/dtype.js";
import { fromTypedArray } from "../tensor/creation.js";
import { realize } from "../tensor/realize.js";
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

/** A parameter as per-element values over `shape` (a number stays a number), realized on its backend. */
function param(p: TensorLike, shape: Shape): SamplerParam {
  if (typeof p === "number") return p;
  return realize(broadcastTo(p, shape));
}

function floatDtype(params: readonly TensorLike[], dtype?: DType): DType {
  if (dtype) return dtype;
  return params.some((p) => p instanceof Tensor && p.dtype === "float64") ? "float64" : "float32";
}

/**
 * Run the backend's sampler kernel. The cpu backend runs the typed-array samplers of
 * random/; WebGPU runs the same algorithms as shaders on the same Threefry bits (float32, so
 * a rare draw differs where rounding flips a rejection test; invalid parameters give NaN
 * there instead of the cpu's RangeError, since checking them would need a readback).
 */
function draw(kind: SamplerKind, k: Key, s: Shape, params: readonly TensorLike[], dtype: DType, categories?: number): Tensor {
  const ts = params.filter((p): p is Tensor => p instanceof Tensor);
  const backend = ts[0]?.backend ?? currentBackend();
  const n = sizeOf(s);
  const ps = params.map((p) => param(p, kind === "categorical" ? [...s, categories!] : s));
  const buf = backend.alloc(dtype, n);
  try {
    if (n > 0) backend.sample(kind, k, n, ps, buf, categories);
  } catch (e) {
    backend.free(buf);
    throw e;
  }
  return new Tensor(backend, s, dtype, buf, null);
}

export interface SampleOptions {
  dtype?: DType;
}

/** Uniform draws on [low, high). */
export function uniform(k: Key, shape: Shape = [], low: TensorLike = 0, high: TensorLike = 1, opts: SampleOptions = {}): Tensor {
  const s = outShape(shape, [low, high]);
  return draw("uniform", k, s, [low, high], floatDtype([low, high], opts.dtype));
}

/** Standard normal draws (scale and shift them for other normals). */
export function normal(k: Key, shape: Shape = [], opts: SampleOptions = {}): Tensor {
  return draw("normal", k, [...shape], [], opts.dtype ?? "float32");
}

/**
 * Gamma(concentration, rate 1) draws, differentiable in the concentration by implicit
 * reparameterization: dx/dα = −(∂F/∂α)/p(x) with F the gamma CDF.
 */
export function gamma(k: Key, concentration: TensorLike, shape?: Shape, opts: SampleOptions = {}): Tensor {
  const s = outShape(shape, [concentration]);
  const out = draw("gamma", k, s, [concentration], floatDtype([concentration], opts.dtype));
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
  return draw("poisson", k, s, [rate], opts.dtype ?? floatDtype([rate]));
}

/** Binomial(totalCount, probs) draws (exact: inversion for small means, BTRS otherwise). */
export function binomial(k: Key, totalCount: TensorLike, probs: TensorLike, shape?: Shape, opts: SampleOptions = {}): Tensor {
  const s = outShape(shape, [totalCount, probs]);
  return draw("binomial", k, s, [totalCount, probs], opts.dtype ?? floatDtype([probs]));
}

/** Bernoulli(probs) draws as 0/1. */
export function bernoulli(k: Key, probs: TensorLike, shape?: Shape, opts: SampleOptions = {}): Tensor {
  const s = outShape(shape, [probs]);
  return draw("bernoulli", k, s, [probs], opts.dtype ?? floatDtype([probs]));
}

/** Category indices (int32) from unnormalized `logits` with the categories on the last axis. */
export function categorical(k: Key, logits: Tensor, shape?: Shape): Tensor {
  const K = logits.shape[logits.rank - 1]!;
  const batch = logits.shape.slice(0, -1);
  const s = shape ? [...shape] : batch;
  return draw("categorical", k, s, [logits], "int32", K);
}

/** Standard normal draws truncated to [lower, upper]; accurate deep in the tails. */
export function truncatedNormal(k: Key, lower: TensorLike, upper: TensorLike, shape?: Shape, opts: SampleOptions = {}): Tensor {
  const s = outShape(shape, [lower, upper]);
  return draw("truncatedNormal", k, s, [lower, upper], floatDtype([lower, upper], opts.dtype));
}

/** A random permutation of 0..n−1 (int32). */
export function permutation(k: Key, n: number): Tensor {
  return fromTypedArray(rng.permutation(k, n), [n]);
}

/** `count` distinct indices from 0..populationSize−1, in random order (int32). */
export function choice(k: Key, populationSize: number, count: number): Tensor {
  return fromTypedArray(rng.choice(k, populationSize, count), [count]);
}
