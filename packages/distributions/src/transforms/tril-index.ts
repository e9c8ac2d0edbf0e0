import { gather, reshape, type Tensor, tensor, zeros } from "@scribe/core";
import { concatSafe, trilPairs } from "../linalg-utils.js";

/**
 * Pack / unpack the lower triangle of [..., n, n] matrices into [..., m] vectors (row-major
 * order of the (i, j) pairs given), via gathers (differentiable both ways).
 * @internal
 */
export function vecToMatrix(v: Tensor, n: number, pairs: [number, number][]): Tensor {
  const m = pairs.length;
  const pos = new Int32Array(n * n).fill(m);
  pairs.forEach(([i, j], k) => {
    pos[i * n + j] = k;
  });
  const padded = concatSafe([v, zeros([...v.shape.slice(0, -1), 1], v.dtype)], -1);
  const flat = gather(padded, tensor(pos, { dtype: "int32" }), -1);
  return reshape(flat, [...v.shape.slice(0, -1), n, n]);
}

/** @internal */
export function matrixToVec(x: Tensor, pairs: [number, number][]): Tensor {
  const n = x.shape[x.rank - 1]!;
  const idx = Int32Array.from(pairs, ([i, j]) => i * n + j);
  const flat = reshape(x, [...x.shape.slice(0, -2), n * n]);
  return gather(flat, tensor(idx, { dtype: "int32" }), -1);
}

/** n from the packed length m = n(n+1)/2 (or n(n−1)/2 when strict). @internal */
export function sideFromPacked(m: number, strict: boolean, where: string): number {
  const n = strict ? (1 + Math.sqrt(1 + 8 * m)) / 2 : (Math.sqrt(1 + 8 * m) - 1) / 2;
  if (!Number.isInteger(n))
    throw new Error(
      `${where}: a vector of length ${m} is not a packed ${strict ? "strict " : ""}lower triangle`,
    );
  return n;
}

export { trilPairs };
