/**
 * JSON encoding of tensors and tensor records (typed-array data as base64), used by
 * checkpoints and saved results. Bit-exact for float32, float64 and int32.
 * @module
 */
import { fromTypedArray, loadNodeOnly, type Tensor } from "@scribe/core";

/** A tensor as JSON. */
export interface EncodedTensor {
  readonly shape: number[];
  readonly dtype: "float32" | "float64" | "int32";
  /** Little-endian bytes, base64. */
  readonly data: string;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function toBase64(bytes: Uint8Array): string {
  const g = globalThis as { Buffer?: { from(b: Uint8Array): { toString(enc: string): string } } };
  if (g.Buffer) return g.Buffer.from(bytes).toString("base64");
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out +=
      B64[(n >> 18) & 63]! +
      B64[(n >> 12) & 63]! +
      (i + 1 < bytes.length ? B64[(n >> 6) & 63]! : "=") +
      (i + 2 < bytes.length ? B64[n & 63]! : "=");
  }
  return out;
}

function fromBase64(s: string): Uint8Array {
  const g = globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array } };
  if (g.Buffer) return new Uint8Array(g.Buffer.from(s, "base64"));
  const clean = s.replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let j = 0;
  for (let i = 0; i < clean.length; i += 4) {
    const n = [0, 1, 2, 3].reduce((acc, k) => (acc << 6) | Math.max(0, B64.indexOf(clean[i + k] ?? "A")), 0);
    if (j < out.length) out[j++] = (n >> 16) & 255;
    if (j < out.length) out[j++] = (n >> 8) & 255;
    if (j < out.length) out[j++] = n & 255;
  }
  return out;
}

/** The dtype a tensor is stored as (bool as float32). */
function storedDtype(t: Tensor): EncodedTensor["dtype"] {
  return t.dtype === "float64" ? "float64" : t.dtype === "int32" ? "int32" : "float32";
}

function encodeValues(
  shape: readonly number[],
  dtype: EncodedTensor["dtype"],
  arr: ArrayLike<number>,
): EncodedTensor {
  const copy =
    dtype === "float64"
      ? Float64Array.from(arr)
      : dtype === "int32"
        ? Int32Array.from(arr)
        : Float32Array.from(arr);
  return {
    shape: [...shape],
    dtype,
    data: toBase64(new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength)),
  };
}

/**
 * Encode a tensor, reading it with the one `await` (every backend, WebGPU included).
 * @example
 * const e = await encodeTensorAsync(tensor([1, 2])); // { shape: [2], dtype: "float32", data: "AACAPwAAAEA=" }
 */
export async function encodeTensorAsync(t: Tensor): Promise<EncodedTensor> {
  const dtype = storedDtype(t);
  const cast = t.dtype === dtype ? t : t.astype(dtype);
  try {
    return encodeValues(t.shape, dtype, (await cast.data()) as ArrayLike<number>);
  } finally {
    if (cast !== t) cast.dispose();
  }
}

/**
 * Encode a tensor synchronously: the cpu's fast path (a tensor on WebGPU throws, naming
 * {@link encodeTensorAsync}).
 */
export function encodeTensor(t: Tensor): EncodedTensor {
  if (!t.backend.readSync)
    throw new Error(
      `encodeTensor: a tensor of shape [${t.shape.join(", ")}] on the ${t.backend.name} backend cannot be read synchronously; use 'await encodeTensorAsync(t)' (or encodeRecordAsync)`,
    );
  const dtype = storedDtype(t);
  return encodeValues(
    t.shape,
    dtype,
    (t.dtype === dtype ? t : t.astype(dtype)).dataSync() as ArrayLike<number>,
  );
}

/** Encode a record of tensors with one `await` per tensor, all reads in flight together (every backend). */
export async function encodeRecordAsync(
  r: Readonly<Record<string, Tensor>>,
): Promise<Record<string, EncodedTensor>> {
  const entries = Object.entries(r);
  const encoded = await Promise.all(entries.map(([, v]) => encodeTensorAsync(v)));
  return Object.fromEntries(entries.map(([k], i) => [k, encoded[i]!]));
}

/** Decode a tensor written by {@link encodeTensor}. */
export function decodeTensor(e: EncodedTensor): Tensor {
  const bytes = fromBase64(e.data);
  const buf = bytes.slice().buffer;
  const arr =
    e.dtype === "float64"
      ? new Float64Array(buf)
      : e.dtype === "int32"
        ? new Int32Array(buf)
        : new Float32Array(buf);
  const n = e.shape.reduce((a, b) => a * b, 1);
  if (arr.length !== n) throw new Error(`corrupt tensor: ${arr.length} values for shape [${e.shape}]`);
  return fromTypedArray(arr, e.shape);
}

/** Encode a record of tensors synchronously (the cpu's fast path; see {@link encodeRecordAsync}). */
export function encodeRecord(r: Readonly<Record<string, Tensor>>): Record<string, EncodedTensor> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, encodeTensor(v)]));
}

/** Decode a record of tensors. */
export function decodeRecord(r: Readonly<Record<string, EncodedTensor>>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, decodeTensor(v)]));
}

/** Write a text file atomically (Node only; see persist/text-file-node.ts). */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  const { writeTextAtomic: write } = await loadNodeOnly(
    `writing ${path}`,
    () => import("../persist/text-file-node.js"),
    "writeTextAtomic",
    "in the browser, serialise with toJSONAsync() and offer the text as a download",
  );
  write(path, text);
}
