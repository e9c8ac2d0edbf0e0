/**
 * String datasets in bulk. h5wasm decodes a variable-length string array one string at a
 * time (a wasm-heap scan and a decoder call per element) and encodes one through embind's
 * vector<string> (a conversion per element): for the 16,000 gene names of a typical file
 * that was most of the read and write time. Here the bytes of all strings cross the
 * wasm/JS boundary at once: one `TextDecoder` call over the NUL-joined strings when reading,
 * one `TextEncoder` call and one heap copy when writing.
 *
 * Node-only through its callers (the live h5wasm instance of `h5-runtime.ts`).
 * @module
 */
import type { Dataset, Group } from "h5wasm";
import { type H5, loadedH5 } from "./h5-runtime.js";

/** The part of h5wasm's emscripten module used here. */
interface RawModule {
  _malloc(n: number): number;
  _free(p: number): void;
  HEAPU8: Uint8Array;
  get_dataset_data(id: bigint, path: string, count: null, offset: null, strides: null, ptr: bigint): number;
  reclaim_vlen_memory(id: bigint, path: string, attr: string, ptr: bigint): number;
  create_dataset(id: bigint, path: string, ptr: bigint, metadata: object): number;
}

/** h5wasm's dataset metadata fields read here. */
interface StringMetadata {
  type: number;
  vlen: boolean;
  size: number;
  cset: number;
  total_size: number;
}

const STRING_CLASS = 3; // H5T_STRING

function raw(lib: H5): RawModule {
  return lib.Module as unknown as RawModule;
}

function malloc(m: RawModule, n: number, what: string): number {
  const p = m._malloc(Math.max(1, n));
  if (!p) throw new Error(`${what}: cannot allocate ${n} bytes in the HDF5 heap`);
  return p;
}

/** Decode `n` NUL-free byte runs laid end to end (`ends[i]` is where run i stops). */
function splitDecoded(bytes: Uint8Array, n: number, utf8: boolean): string[] {
  if (n === 0) return [];
  const text = new TextDecoder(utf8 ? "utf-8" : "latin1").decode(bytes);
  const out = text.split("\0");
  // the joined buffer ends with a separator, so split gives one empty tail
  out.length = n;
  return out;
}

/**
 * The strings of a string dataset (variable- or fixed-length), or `null` when `ds` holds no
 * strings. Fixed-length strings end at their first NUL (h5py's and anndata's reading).
 */
export function readStrings(ds: Dataset): string[] | null {
  const lib = loadedH5();
  const md = ds.metadata as unknown as StringMetadata;
  if (md.type !== STRING_CLASS) return null;
  const m = raw(lib);
  const n = md.total_size;
  const utf8 = md.cset === 1;
  if (!md.vlen) {
    const size = md.size;
    const p = malloc(m, n * size, ds.path);
    try {
      m.get_dataset_data(ds.file_id, ds.path, null, null, null, BigInt(p));
      const heap = m.HEAPU8;
      let total = 0;
      const lens = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const start = p + i * size;
        const z = heap.subarray(start, start + size).indexOf(0);
        lens[i] = z < 0 ? size : z;
        total += lens[i]! + 1; // i < n = lens.length
      }
      const joined = new Uint8Array(total);
      let at = 0;
      for (let i = 0; i < n; i++) {
        const start = p + i * size;
        const len = lens[i]!; // i < n
        joined.set(heap.subarray(start, start + len), at);
        at += len + 1; // the zero byte left in place separates
      }
      return splitDecoded(joined, n, utf8);
    } finally {
      m._free(p);
    }
  }
  const p = malloc(m, n * 4, ds.path);
  let filled = false;
  try {
    if (m.get_dataset_data(ds.file_id, ds.path, null, null, null, BigInt(p)) < 0)
      throw new Error(`${ds.path}: reading the strings failed`);
    filled = true;
    const heap = m.HEAPU8;
    // wasm32 pointers, little-endian; copied out since the heap may grow below
    const ptrs = new Uint32Array(heap.buffer.slice(p, p + 4 * n));
    const starts = new Int32Array(n);
    const lens = new Int32Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const s = ptrs[i]!; // i < n = ptrs.length
      const e = s === 0 ? s : heap.indexOf(0, s);
      starts[i] = s;
      lens[i] = e - s;
      total += e - s + 1;
    }
    const joined = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const s = starts[i]!;
      const len = lens[i]!; // i < n
      joined.set(heap.subarray(s, s + len), at);
      at += len + 1;
    }
    return splitDecoded(joined, n, utf8);
  } finally {
    if (filled) m.reclaim_vlen_memory(ds.file_id, ds.path, "", BigInt(p));
    m._free(p);
  }
}

/**
 * Write `values` as a one-dimensional variable-length UTF-8 string dataset `name` under `g`
 * (what h5py writes for `str` arrays, and anndata reads as strings). Returns the dataset.
 * A string holding a NUL character is refused (HDF5 strings end at the first NUL).
 */
export function writeStrings(g: Group, name: string, values: readonly string[]): Dataset {
  const lib = loadedH5();
  const m = raw(lib);
  const n = values.length;
  const path = `${g.path === "/" ? "" : g.path}/${name}`;
  for (let i = 0; i < n; i++) {
    if (values[i]!.includes("\0"))
      throw new Error(`${path}: string ${i} contains a NUL character, which HDF5 strings cannot hold`);
  }
  const bytes = new TextEncoder().encode(n === 0 ? "" : `${values.join("\0")}\0`);
  const dataPtr = malloc(m, bytes.length, path);
  const ptrsPtr = malloc(m, 4 * n, path);
  try {
    m.HEAPU8.set(bytes, dataPtr);
    // string i starts after the i-th NUL separator
    const ptrs = new Uint32Array(n);
    if (n > 0) ptrs[0] = dataPtr;
    for (let i = 1, k = 0; i < n; k++) {
      if (bytes[k] === 0) ptrs[i++] = dataPtr + k + 1;
    }
    m.HEAPU8.set(new Uint8Array(ptrs.buffer), ptrsPtr);
    const md = {
      ...lib.dtype_to_metadata("S"),
      shape: [BigInt(n)],
      maxshape: [BigInt(n)],
      chunks: null,
      compression: 0,
      compression_opts: [],
      track_order: false,
    };
    if (m.create_dataset(g.file_id, path, BigInt(ptrsPtr), md) < 0)
      throw new Error(`${path}: creating the string dataset failed`);
  } finally {
    m._free(ptrsPtr);
    m._free(dataPtr);
  }
  return g.get(name) as Dataset;
}
