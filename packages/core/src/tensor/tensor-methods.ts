import type { TensorLike } from "../ops/elementwise.js";
import * as ew from "../ops/elementwise.js";
import * as ix from "../ops/indexing.js";
import { matmul } from "../ops/linalg.js";
import * as mv from "../ops/movement.js";
import type { Axes } from "../ops/reduce.js";
import * as red from "../ops/reduce.js";
import type { DType, TypedArray } from "./dtype.js";
import { data, dataSync } from "./realize.js";
import type { Shape } from "./shape.js";
import type { Tensor } from "./tensor.js";

/** Nested number arrays as returned by `toArray()`. */
export type NestedNumbers = number | NestedNumbers[];

declare module "./tensor.js" {
  interface Tensor {
    add(b: TensorLike): Tensor;
    sub(b: TensorLike): Tensor;
    mul(b: TensorLike): Tensor;
    div(b: TensorLike): Tensor;
    pow(b: TensorLike): Tensor;
    maximum(b: TensorLike): Tensor;
    minimum(b: TensorLike): Tensor;
    eq(b: TensorLike): Tensor;
    ne(b: TensorLike): Tensor;
    lt(b: TensorLike): Tensor;
    le(b: TensorLike): Tensor;
    gt(b: TensorLike): Tensor;
    ge(b: TensorLike): Tensor;
    neg(): Tensor;
    abs(): Tensor;
    square(): Tensor;
    sqrt(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    log1p(): Tensor;
    expm1(): Tensor;
    sigmoid(): Tensor;
    softplus(): Tensor;
    tanh(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    reciprocal(): Tensor;
    clamp(lo?: TensorLike, hi?: TensorLike): Tensor;
    astype(dtype: DType): Tensor;
    sum(axes?: Axes, keepdims?: boolean): Tensor;
    mean(axes?: Axes, keepdims?: boolean): Tensor;
    /**
     * Variance over `axes` (all by default), dividing by `n − ddof` (default ddof 0, the
     * population variance, as `jnp.var`).
     */
    var(axes?: Axes, opts?: { ddof?: number; keepdims?: boolean }): Tensor;
    /** Standard deviation over `axes`: the square root of {@link Tensor.var}. */
    std(axes?: Axes, opts?: { ddof?: number; keepdims?: boolean }): Tensor;
    prod(axes?: Axes, keepdims?: boolean): Tensor;
    max(axes?: Axes, keepdims?: boolean): Tensor;
    min(axes?: Axes, keepdims?: boolean): Tensor;
    logsumexp(axes?: Axes, keepdims?: boolean): Tensor;
    argmax(axis?: number, keepdims?: boolean): Tensor;
    reshape(shape: Shape): Tensor;
    transpose(perm?: readonly number[]): Tensor;
    /** Transpose of the last two axes. */
    readonly mT: Tensor;
    expand(shape: Shape): Tensor;
    squeeze(axes?: number | readonly number[]): Tensor;
    unsqueeze(axis: number): Tensor;
    slice(begin: readonly number[], end?: readonly (number | null)[]): Tensor;
    gather(indices: Tensor, axis?: number): Tensor;
    /** Rows (axis 0) at `indices`: shorthand for `gather(indices, 0)`. */
    index(indices: Tensor): Tensor;
    matmul(b: Tensor): Tensor;
    /** Values as a typed array (cpu backend). */
    dataSync(): TypedArray;
    /** Values as a typed array, from any backend. */
    data(): Promise<TypedArray>;
    /** Values as nested arrays (cpu backend); a number for a scalar. */
    toArray(): NestedNumbers;
    /** The single value of a one-element tensor (cpu backend). */
    item(): number;
  }
}

/**
 * Give `Tensor.prototype` its methods (`x.add(y)`, `x.sum()`, ...), each a thin call into the ops.
 * Idempotent. tensor.ts calls it right after defining the class (passing it, since this module
 * may still be loading then), so every module that can make a tensor sees the methods; they live
 * here because the ops import the Tensor class. No module state: the prototype says if it is done.
 */
export function installTensorMethods(tensorClass: typeof Tensor): void {
  const P = tensorClass.prototype;
  if (Object.hasOwn(P, "add")) return;
  P.add = function (b) {
    return ew.add(this, b);
  };
  P.sub = function (b) {
    return ew.sub(this, b);
  };
  P.mul = function (b) {
    return ew.mul(this, b);
  };
  P.div = function (b) {
    return ew.div(this, b);
  };
  P.pow = function (b) {
    return ew.pow(this, b);
  };
  P.maximum = function (b) {
    return ew.maximum(this, b);
  };
  P.minimum = function (b) {
    return ew.minimum(this, b);
  };
  P.eq = function (b) {
    return ew.eq(this, b);
  };
  P.ne = function (b) {
    return ew.ne(this, b);
  };
  P.lt = function (b) {
    return ew.lt(this, b);
  };
  P.le = function (b) {
    return ew.le(this, b);
  };
  P.gt = function (b) {
    return ew.gt(this, b);
  };
  P.ge = function (b) {
    return ew.ge(this, b);
  };
  P.neg = function () {
    return ew.neg(this);
  };
  P.abs = function () {
    return ew.abs(this);
  };
  P.square = function () {
    return ew.square(this);
  };
  P.sqrt = function () {
    return ew.sqrt(this);
  };
  P.exp = function () {
    return ew.exp(this);
  };
  P.log = function () {
    return ew.log(this);
  };
  P.log1p = function () {
    return ew.log1p(this);
  };
  P.expm1 = function () {
    return ew.expm1(this);
  };
  P.sigmoid = function () {
    return ew.sigmoid(this);
  };
  P.softplus = function () {
    return ew.softplus(this);
  };
  P.tanh = function () {
    return ew.tanh(this);
  };
  P.sin = function () {
    return ew.sin(this);
  };
  P.cos = function () {
    return ew.cos(this);
  };
  P.reciprocal = function () {
    return ew.reciprocal(this);
  };
  P.clamp = function (lo, hi) {
    return ew.clamp(this, lo, hi);
  };
  P.astype = function (dtype) {
    return ew.astype(this, dtype);
  };
  P.sum = function (axes, keepdims) {
    return red.sum(this, axes, keepdims);
  };
  P.mean = function (axes, keepdims) {
    return red.mean(this, axes, keepdims);
  };
  P.prod = function (axes, keepdims) {
    return red.prod(this, axes, keepdims);
  };
  P.max = function (axes, keepdims) {
    return red.max(this, axes, keepdims);
  };
  P.min = function (axes, keepdims) {
    return red.min(this, axes, keepdims);
  };
  P.var = function (axes, opts) {
    return red.variance(this, axes, opts);
  };
  P.std = function (axes, opts) {
    return red.std(this, axes, opts);
  };
  P.logsumexp = function (axes, keepdims) {
    return red.logsumexp(this, axes, keepdims);
  };
  P.argmax = function (axis, keepdims) {
    return red.argmax(this, axis, keepdims);
  };
  P.reshape = function (shape) {
    return mv.reshape(this, shape);
  };
  P.transpose = function (perm) {
    return mv.transpose(this, perm);
  };
  Object.defineProperty(P, "mT", {
    get(this: Tensor) {
      return mv.mT(this);
    },
  });
  P.expand = function (shape) {
    return ew.broadcastTo(this, shape);
  };
  P.squeeze = function (axes) {
    return mv.squeeze(this, axes);
  };
  P.unsqueeze = function (axis) {
    return mv.unsqueeze(this, axis);
  };
  P.slice = function (begin, end) {
    return mv.slice(this, begin, end);
  };
  P.gather = function (indices, axis) {
    return ix.gather(this, indices, axis);
  };
  P.index = function (indices) {
    return ix.gather(this, indices, 0);
  };
  P.matmul = function (b) {
    return matmul(this, b);
  };
  P.dataSync = function () {
    return dataSync(this);
  };
  P.data = function () {
    return data(this);
  };
  P.item = function () {
    if (this.size !== 1)
      throw new Error(`item(): tensor of shape [${this.shape}] has ${this.size} elements, not 1`);
    return dataSync(this)[0]!;
  };
  P.toArray = function () {
    const d = dataSync(this);
    const shape = this.shape;
    if (shape.length === 0) return d[0]!;
    const build = (dim: number, off: number): NestedNumbers[] => {
      const n = shape[dim]!;
      let stride = 1;
      for (let i = dim + 1; i < shape.length; i++) stride *= shape[i]!;
      const out: NestedNumbers[] = [];
      for (let i = 0; i < n; i++)
        out.push(dim === shape.length - 1 ? d[off + i]! : build(dim + 1, off + i * stride));
      return out;
    };
    return build(0, 0);
  };
}
