/** Element types a tensor can hold. `bool` is stored as bytes (0 or 1). */
export type DType = "float32" | "float64" | "int32" | "bool";

/** The typed array that backs each dtype on the CPU. */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];

/** Allocate CPU storage of `size` elements for `dtype`. */
export function allocStorage(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "float64":
      return new Float64Array(size);
    case "int32":
      return new Int32Array(size);
    case "bool":
      return new Uint8Array(size);
  }
}

/** Allocate storage backed by a SharedArrayBuffer, so worker threads can fill it in place. */
export function allocSharedStorage(dtype: DType, size: number): TypedArray {
  const bytes = size * bytesPerElement(dtype);
  const sab = new SharedArrayBuffer(bytes);
  switch (dtype) {
    case "float32":
      return new Float32Array(sab);
    case "float64":
      return new Float64Array(sab);
    case "int32":
      return new Int32Array(sab);
    case "bool":
      return new Uint8Array(sab);
  }
}

export function bytesPerElement(dtype: DType): number {
  return dtype === "float64" ? 8 : dtype === "bool" ? 1 : 4;
}

/** The dtype a typed array holds. */
export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  return "bool";
}

export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** NumPy-like promotion restricted to our four dtypes. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The float dtype an op with float output produces for an input of `dtype`. */
export function toFloat(dtype: DType): DType {
  return isFloat(dtype) ? dtype : "float32";
}

/** Machine epsilon of a float dtype. */
export function finfoEps(dtype: DType): number {
  return dtype === "float64" ? 2.220446049250313e-16 : 1.1920928955078125e-7;
}
