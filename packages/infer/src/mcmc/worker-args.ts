/**
 * Model arguments across the worker boundary of parallel chains: structured cloning keeps
 * a Tensor's fields but not its class (so `t.assertAlive is not a function` in the worker),
 * so tensors are sent as plain `{ dtype, shape, data }` records and rebuilt there, on the
 * worker's cpu backend. Arrays and plain objects are walked; other values pass as they are.
 * @module
 */
import { type DType, Tensor, type TypedArray, tensor } from "@scribe/core";

/** A tensor as plain structured-cloneable data. */
interface PackedTensor {
  readonly __scribeTensor: 1;
  readonly dtype: DType;
  readonly shape: number[];
  readonly data: TypedArray;
}

const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && Object.getPrototypeOf(x) === Object.prototype;

/** Replace every tensor in `args` by its values (one `await` per tensor, before the run). */
export async function packArgs(args: readonly unknown[]): Promise<unknown[]> {
  const pack = async (x: unknown): Promise<unknown> => {
    if (x instanceof Tensor) {
      const data = await x.data();
      return { __scribeTensor: 1, dtype: x.dtype, shape: [...x.shape], data } satisfies PackedTensor;
    }
    if (Array.isArray(x)) return Promise.all(x.map(pack));
    if (isPlainObject(x))
      return Object.fromEntries(
        await Promise.all(Object.entries(x).map(async ([k, v]) => [k, await pack(v)])),
      );
    return x;
  };
  return Promise.all(args.map(pack));
}

/** Rebuild the tensors {@link packArgs} packed (in the worker). */
export function unpackArgs(args: readonly unknown[]): unknown[] {
  const unpack = (x: unknown): unknown => {
    if (isPlainObject(x) && x.__scribeTensor === 1) {
      const p = x as unknown as PackedTensor;
      return tensor(p.data, { dtype: p.dtype, shape: p.shape });
    }
    if (Array.isArray(x)) return x.map(unpack);
    if (isPlainObject(x)) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, unpack(v)]));
    return x;
  };
  return args.map(unpack);
}
