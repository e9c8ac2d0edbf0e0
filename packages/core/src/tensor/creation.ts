import { currentBackend } from "../backend/registry.js";
import { allocStorage, type DType, dtypeOfArray, type TypedArray } from "./dtype.js";
import { assertValidShape, formatShape, type Shape, sizeOf } from "./shape.js";
import { Tensor } from "./tensor.js";

/** Nested arrays of numbers or booleans, as accepted by `tensor()`. */
export type NestedArray = number | boolean | readonly NestedArray[];

function inferShape(v: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0] as NestedArray;
    if (cur === undefined) break;
  }
  return shape;
}

function flattenInto(
  v: NestedArray,
  shape: number[],
  depth: number,
  out: TypedArray,
  pos: { i: number },
): void {
  if (depth === shape.length) {
    if (Array.isArray(v))
      throw new Error(`tensor(): ragged nested array (expected a number at depth ${depth})`);
    out[pos.i++] = typeof v === "boolean" ? (v ? 1 : 0) : (v as number);
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[depth])
    throw new Error(
      `tensor(): ragged nested array: expected length ${shape[depth]} at depth ${depth}, got ${Array.isArray(v) ? v.length : "a scalar"}`,
    );
  for (const x of v) flattenInto(x, shape, depth + 1, out, pos);
}

function checkDtypeOnBackend(dtype: DType): void {
  const b = currentBackend();
  if (dtype === "float64" && !b.supportsFloat64)
    throw new Error(
      `the ${b.name} backend has no float64: use float32 there, or the cpu backend for float64`,
    );
}

/** Wrap a typed array (not copied) as a tensor of `shape`. */
export function fromTypedArray(data: TypedArray, shape?: Shape): Tensor {
  const s = shape ?? [data.length];
  assertValidShape(s, "fromTypedArray");
  if (sizeOf(s) !== data.length)
    throw new Error(
      `fromTypedArray: ${data.length} values do not fill shape ${formatShape(s)} (${sizeOf(s)} elements)`,
    );
  const dtype = dtypeOfArray(data);
  checkDtypeOnBackend(dtype);
  const b = currentBackend();
  return new Tensor(b, s, dtype, b.upload(data), null);
}

/**
 * Create a tensor from a number, a boolean, nested arrays or a typed array.
 * @example
 * const x = tensor([[1, 2], [3, 4]]);            // float32, shape [2, 2]
 * const y = tensor([1, 2, 3], { dtype: "int32" });
 */
export function tensor(
  values: NestedArray | TypedArray,
  opts: { dtype?: DType; shape?: Shape } = {},
): Tensor {
  if (ArrayBuffer.isView(values)) {
    const src = values as TypedArray;
    const dtype = opts.dtype ?? dtypeOfArray(src);
    const out = allocStorage(dtype, src.length);
    out.set(src);
    return fromTypedArray(out, opts.shape ?? [src.length]);
  }
  const shape = inferShape(values as NestedArray);
  const isBool =
    typeof values === "boolean" ||
    (Array.isArray(values) && typeof (values as unknown[]).flat(Infinity)[0] === "boolean");
  const dtype = opts.dtype ?? (isBool ? "bool" : "float32");
  const out = allocStorage(dtype, sizeOf(shape));
  flattenInto(values as NestedArray, shape, 0, out, { i: 0 });
  return fromTypedArray(out, opts.shape ?? shape);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: Shape, value: number, dtype: DType = "float32"): Tensor {
  assertValidShape(shape, "full");
  const data = allocStorage(dtype, sizeOf(shape));
  if (value !== 0) data.fill(value);
  return fromTypedArray(data, shape);
}

export function zeros(shape: Shape, dtype: DType = "float32"): Tensor {
  return full(shape, 0, dtype);
}

export function ones(shape: Shape, dtype: DType = "float32"): Tensor {
  return full(shape, 1, dtype);
}

export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape, t.dtype);
}

export function onesLike(t: Tensor): Tensor {
  return ones(t.shape, t.dtype);
}

export function fullLike(t: Tensor, value: number): Tensor {
  return full(t.shape, value, t.dtype);
}

/** A scalar (rank-0) tensor. */
export function scalar(value: number, dtype: DType = "float32"): Tensor {
  return full([], value, dtype);
}

/** Evenly spaced values in [start, stop) with `step`, as NumPy's arange. */
export function arange(start: number, stop?: number, step = 1, dtype?: DType): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0) throw new Error("arange: step must not be 0");
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const dt = dtype ?? (Number.isInteger(start) && Number.isInteger(step) ? "int32" : "float32");
  const data = allocStorage(dt, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return fromTypedArray(data, [n]);
}

/** `num` evenly spaced values from start to stop inclusive. */
export function linspace(start: number, stop: number, num: number, dtype: DType = "float32"): Tensor {
  const data = allocStorage(dtype, num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) data[i] = i === num - 1 && num > 1 ? stop : start + i * step;
  return fromTypedArray(data, [num]);
}

/** The n × m identity matrix (m defaults to n). */
export function eye(n: number, m = n, dtype: DType = "float32"): Tensor {
  const data = allocStorage(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return fromTypedArray(data, [n, m]);
}
