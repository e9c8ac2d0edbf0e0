import { arange, concat, eq, realize, reshape, slice, sum, type Tensor, where } from "@scribe/core";

/**
 * Small shape and matrix helpers shared by the multivariate distributions and transforms.
 * @internal
 */

/** `x[..., lo:hi]` on the last axis. @internal */
export function sliceLast(x: Tensor, lo: number, hi?: number): Tensor {
  const begin = x.shape.map(() => 0);
  begin[x.rank - 1] = lo;
  const end: (number | null)[] = x.shape.map(() => null);
  end[x.rank - 1] = hi ?? null;
  return slice(x, begin, end);
}

/** A bool [n, n] identity mask. @internal */
export function eyeMask(n: number): Tensor {
  return eq(reshape(arange(n), [n, 1]), reshape(arange(n), [1, n]));
}

/** The diagonal of the last two (square) axes: shape [..., n]. @internal */
export function diagonal(x: Tensor): Tensor {
  const n = x.shape[x.rank - 1]!;
  return sum(where(eyeMask(n), x, 0), -1);
}

/** Place a [..., n] vector on the diagonal of a [..., n, n] matrix. @internal */
export function diagEmbed(v: Tensor): Tensor {
  const n = v.shape[v.rank - 1]!;
  return where(eyeMask(n), reshape(v, [...v.shape, 1]), 0);
}

/** Row-major (i, j) pairs with j < i (strict lower triangle) or j ≤ i. @internal */
export function trilPairs(n: number, strict: boolean): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < (strict ? i : i + 1); j++) out.push([i, j]);
  return out;
}

/** Whether every matrix in a batch of symmetric matrices has a Cholesky factor (CPU check). @internal */
export function choleskyOk(values: ArrayLike<number>, n: number, batch: number): boolean[] {
  const out: boolean[] = [];
  const L = new Float64Array(n * n);
  for (let t = 0; t < batch; t++) {
    const o = t * n * n;
    let ok = true;
    L.fill(0);
    for (let j = 0; j < n && ok; j++) {
      let d = values[o + j * n + j]!;
      for (let p = 0; p < j; p++) d -= L[j * n + p]! ** 2;
      if (!(d > 0)) {
        ok = false;
        break;
      }
      const ljj = Math.sqrt(d);
      L[j * n + j] = ljj;
      for (let i = j + 1; i < n; i++) {
        let s = values[o + i * n + j]!;
        for (let p = 0; p < j; p++) s -= L[i * n + p]! * L[j * n + p]!;
        L[i * n + j] = s / ljj;
      }
    }
    out.push(ok);
  }
  return out;
}

/**
 * `concat` that first materializes its inputs. Works around a core bug: concat of a tensor whose
 * expression contains a deferred reduction throws "internal: fused kernel leaf is not realized".
 * @internal
 */
export function concatSafe(xs: readonly Tensor[], axis = -1): Tensor {
  for (const x of xs) realize(x);
  return concat(xs, axis);
}
