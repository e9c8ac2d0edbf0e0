import { record } from "../autodiff/tape.js";
import type { ReduceKind } from "../backend/backend.js";
import { full } from "../tensor/creation.js";
import type { DType } from "../tensor/dtype.js";
import { deferReduction, exprOf, realize } from "../tensor/realize.js";
import { normalizeAxes, normalizeAxis, reducedShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import {
  add,
  broadcastTo,
  div,
  eq,
  exp,
  isfinite,
  log,
  log1p,
  mul,
  sqrt,
  square,
  sub,
  where,
} from "./elementwise.js";
import { reshape, stopGradient } from "./movement.js";

export type Axes = number | readonly number[];

function reduceDtype(kind: ReduceKind, dtype: DType): DType {
  if ((kind === "sum" || kind === "prod") && dtype === "bool") return "int32";
  return dtype;
}

/**
 * One fused pass: the input's pending expression is evaluated inside the reduction loop,
 * accumulating in float64 whatever the storage dtype.
 */
function reduceRaw(x: Tensor, kind: ReduceKind, axes: readonly number[], keepdims: boolean): Tensor {
  const shape = reducedShape(x.shape, axes, keepdims);
  const dtype = reduceDtype(kind, x.dtype);
  if (x.size === 0) {
    const fill = { sum: 0, prod: 1, max: -Infinity, min: Infinity }[kind];
    return full(shape, fill, dtype);
  }
  const out = new Tensor(x.backend, shape, dtype, null, null);
  return deferReduction(out, { expr: exprOf(x, true), outDtype: dtype, reduce: { kind, axes } });
}

/** Reshape a reduced cotangent back to rank of `x` so it broadcasts over the reduced axes. */
function expandBack(g: Tensor, x: Tensor, axes: readonly number[], keepdims: boolean): Tensor {
  const kept = reducedShape(x.shape, axes, true);
  const gk = keepdims ? g : reshape(g, kept);
  return broadcastTo(gk, x.shape);
}

/** Sum over `axes` (all by default). */
export function sum(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const ax = normalizeAxes(axes, x.rank);
  if (ax.length === 0) return x;
  const out = reduceRaw(x, "sum", ax, keepdims);
  return record(out, [x], "sum", (g) => [expandBack(g, x, ax, keepdims)]);
}

/** Arithmetic mean over `axes`. */
export function mean(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const ax = normalizeAxes(axes, x.rank);
  let n = 1;
  for (const a of ax) n *= x.shape[a]!;
  return div(sum(x, ax, keepdims), n);
}

/** Product over `axes`. The gradient divides by the input, so it is not defined at zeros. */
export function prod(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const ax = normalizeAxes(axes, x.rank);
  if (ax.length === 0) return x;
  const out = reduceRaw(x, "prod", ax, keepdims);
  return record(out, [x], "prod", (g) => [
    div(mul(expandBack(g, x, ax, keepdims), expandBack(out, x, ax, keepdims)), x),
  ]);
}

function extremum(kind: "max" | "min", x: Tensor, axes: Axes | undefined, keepdims: boolean): Tensor {
  const ax = normalizeAxes(axes, x.rank);
  if (ax.length === 0) return x;
  const out = reduceRaw(x, kind, ax, keepdims);
  return record(out, [x], kind, (g) => {
    // Ties share the cotangent equally, as in JAX.
    const hit = eq(x, expandBack(out, x, ax, keepdims));
    const count = sum(hit, ax, true);
    return [div(mul(expandBack(g, x, ax, keepdims), hit), count)];
  });
}

export function max(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  return extremum("max", x, axes, keepdims);
}

export function min(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  return extremum("min", x, axes, keepdims);
}

/**
 * log Σ exp(x) over `axes`, stable for large values and accurate when one term dominates:
 * m + log1p(Σ_{x<m} e^{x−m} + (#maxima − 1)), so log(1 + e^{−40}) keeps its digits.
 * All −∞ gives −∞; the gradient is the softmax.
 */
export function logsumexp(x: Tensor, axes?: Axes, keepdims = false): Tensor {
  const ax = normalizeAxes(axes, x.rank);
  const xs = stopGradient(x);
  const m = max(xs, ax, true);
  const shift = where(isfinite(m), m, 0);
  const atMax = eq(xs, m);
  const rest = sum(where(atMax, 0, exp(sub(xs, shift))), ax, true);
  const ties = sub(sum(atMax, ax, true), 1);
  // finite max: m + log1p(rest + ties); ±∞ max or all −∞: the plain form handles it
  const plain = add(log(sum(exp(sub(xs, shift)), ax, true)), shift);
  const outK = where(isfinite(m), add(m, log1p(add(rest, ties))), plain);
  const out = keepdims ? outK : reshape(outK, reducedShape(x.shape, ax, false));
  return record(out, [x], "logsumexp", (g) => [mul(expandBack(g, x, ax, keepdims), exp(sub(x, outK)))]);
}

/** Variance over `axes` with `ddof` delta degrees of freedom (0: population variance). */
export function variance(x: Tensor, axes?: Axes, opts: { ddof?: number; keepdims?: boolean } = {}): Tensor {
  const ax = normalizeAxes(axes, x.rank);
  let n = 1;
  for (const a of ax) n *= x.shape[a]!;
  const mu = mean(x, ax, true);
  return div(sum(square(sub(x, mu)), ax, opts.keepdims ?? false), n - (opts.ddof ?? 0));
}

/** Standard deviation over `axes`. */
export function std(x: Tensor, axes?: Axes, opts: { ddof?: number; keepdims?: boolean } = {}): Tensor {
  return sqrt(variance(x, axes, opts));
}

function argReduce(
  kind: "argmax" | "argmin",
  x: Tensor,
  axis: number | undefined,
  keepdims: boolean,
): Tensor {
  const flat = axis === undefined;
  const src = flat ? reshape(x, [x.size]) : x;
  const a = flat ? 0 : normalizeAxis(axis, x.rank);
  if (src.shape[a] === 0)
    throw new Error(`${kind}: cannot reduce an empty axis (axis ${a} of shape [${x.shape}])`);
  const shape = reducedShape(src.shape, [a], keepdims && !flat);
  const buf = x.backend.alloc(
    "int32",
    shape.reduce((p, d) => p * d, 1),
  );
  x.backend.argReduce(realize(src), src.shape, a, kind, buf);
  return new Tensor(x.backend, shape, "int32", buf, null);
}

/** Index of the largest value along `axis` (of the flattened tensor by default); NaN wins. */
export function argmax(x: Tensor, axis?: number, keepdims = false): Tensor {
  return argReduce("argmax", x, axis, keepdims);
}

export function argmin(x: Tensor, axis?: number, keepdims = false): Tensor {
  return argReduce("argmin", x, axis, keepdims);
}
