/**
 * The browser stand-in for `@scribe/models`' Node-only `io/h5-runtime.ts`, which the h5ad
 * decoder (`io/h5ad-read.ts`, `io/h5-strings.ts`) imports for two things: the loaded h5wasm
 * instance and a dataset's raw bytes (float16 `X`, which h5wasm cannot decode). The page's
 * vite.config.ts swaps this module in; it reads through h5wasm's browser build, the instance
 * load-data.ts opens files with.
 * @module
 */
import * as h5wasm from "h5wasm";

/** The h5wasm module namespace. */
export type H5 = typeof h5wasm;

/** The h5wasm instance (its browser build); load-data.ts awaits `ready` before any read. */
export function loadedH5(): H5 {
  if (h5wasm.Module === undefined) throw new Error("h5wasm is not loaded");
  return h5wasm;
}

interface RawModule {
  _malloc(n: number): number;
  _free(p: number): void;
  HEAPU8: Uint8Array;
  get_dataset_data(id: bigint, path: string, count: null, offset: null, strides: null, ptr: bigint): number;
}

/** The raw bytes of a whole dataset as stored (its own type, native byte order). */
export function datasetBytes(fileId: bigint, path: string, nbytes: number): Uint8Array {
  const m = h5wasm.Module as unknown as RawModule | undefined;
  if (m === undefined) throw new Error(`${path}: h5wasm is not loaded`);
  const ptr = m._malloc(Math.max(1, nbytes));
  if (!ptr) throw new Error(`${path}: cannot allocate ${nbytes} bytes`);
  try {
    m.get_dataset_data(fileId, path, null, null, null, BigInt(ptr));
    return m.HEAPU8.slice(ptr, ptr + nbytes);
  } finally {
    m._free(ptr);
  }
}
