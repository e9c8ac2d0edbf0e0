/**
 * JSON encoding of tensors and tensor records (typed-array data as base64), used by
 * checkpoints and saved results. Bit-exact for float32, float64 and int32.
 * @module
 */
import { fromTypedArray, type Tensor } from "@scribe/core";

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

/** Encode a tensor (reads it back synchronously). */
export function encodeTensor(t: Tensor): EncodedTensor {
  const dtype = t.dtype === "float64" ? "float64" : t.dtype === "int32" ? "int32" : "float32";
  const arr = (t.dtype === dtype ? t : t.astype(dtype)).dataSync() as
    | Float32Array
    | Float64Array
    | Int32Array;
  const copy = arr.slice();
  return {
    shape: [...t.shape],
    dtype,
    data: toBase64(new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength)),
  };
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

/** Encode a record of tensors. */
export function encodeRecord(r: Readonly<Record<string, Tensor>>): Record<string, EncodedTensor> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, encodeTensor(v)]));
}

/** Decode a record of tensors. */
export function decodeRecord(r: Readonly<Record<string, EncodedTensor>>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, decodeTensor(v)]));
}

/** Write a text file atomically (Node only; see persist/text-file-node.ts). */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  const { writeTextAtomic: write } = await import("../persist/text-file-node.js");
  write(path, text);
}
