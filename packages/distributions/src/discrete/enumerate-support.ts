/**
 * The finite support of a discrete distribution as a tensor, NumPyro's
 * `enumerate_support(expand)`: the K values stacked on a new leading axis, followed by the
 * batch axes (size 1 unless `expand`) and the event axes.
 * @module
 */
import { arange, broadcastTo, type DType, reshape, type Shape, type Tensor, tensor } from "@scribe/core";

/**
 * Lay `values` (shape [K, ...eventShape]) out as [K, 1 × batchRank, ...eventShape], or
 * broadcast to [K, ...batchShape, ...eventShape] when `expand`.
 * @internal
 */
export function layoutSupport(values: Tensor, batchShape: Shape, eventShape: Shape, expand: boolean): Tensor {
  const k = values.shape[0] ?? 0;
  const laid = reshape(values, [k, ...batchShape.map(() => 1), ...eventShape]);
  return expand ? broadcastTo(laid, [k, ...batchShape, ...eventShape]) : laid;
}

/** The support {0, 1} of a Bernoulli, in the parameter's float dtype. @internal */
export function booleanSupport(batchShape: Shape, dtype: DType, expand: boolean): Tensor {
  return layoutSupport(tensor([0, 1], { dtype }), batchShape, [], expand);
}

/** The support {low, …, high} as int32 values. @internal */
export function integerRangeSupport(low: number, high: number, batchShape: Shape, expand: boolean): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high < low)
    throw new Error(
      `enumerateSupport: the integer range [${low}, ${high}] is not a non-empty range of integers`,
    );
  return layoutSupport(arange(low, high + 1, 1, "int32"), batchShape, [], expand);
}
