/**
 * Read and write AnnData `.h5ad` files (HDF5) with the `h5wasm` package.
 *
 * Node-only: uses `node:fs` and h5wasm's Node build, which accesses the host filesystem
 * directly.
 * @module
 */
import { closeSync, existsSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  AtomicWriteError,
  describeFsError,
  type PreparedFile,
  prepareFileAtomic,
} from "../persist/atomic-file-node.js";
import type { AnnData } from "./anndata.js";
import { checkAnnData } from "./anndata.js";
import { findMarkers, MARKER_BYTES, PLACEHOLDER_BYTES, patchBoolAttribute } from "./h5-boolattr.js";
import { type H5, hdf5Cause, isNativeAbort, withH5 } from "./h5-runtime.js";
import { decodeAnnData, MissingXError, rawShape, type XSource } from "./h5ad-read.js";
import { encodeAnnData } from "./h5ad-write.js";
import type { Matrix } from "./matrix.js";

export { MissingXError, type XSource } from "./h5ad-read.js";

/** Options for {@link readH5ad}. */
export interface ReadH5adOptions {
  /**
   * Throw on elements that cannot be represented (e.g. data frames inside `uns`). By default
   * such elements are skipped in `uns`, `layers`, `obsm` and `varm`.
   */
  strict?: boolean;
  /**
   * Where `X` comes from: the file's `X` (default; a file without one throws a
   * {@link MissingXError} listing its layers and `.raw`), `"raw"` (`raw/X` with `raw/var`), or
   * `{ layer }`.
   */
  xSource?: XSource;
}

/** Whether an error came from the HDF5 library (its error stack, or a native abort). */
function isHdf5Error(err: unknown): boolean {
  return isNativeAbort(err) || (err instanceof Error && /#\d+: .* in \w+\(\)/.test(err.message));
}

/**
 * Read an AnnData `.h5ad` file: `X` (dense or CSR/CSC), `obs`/`var` data frames (numeric,
 * boolean, string and categorical columns), `layers`, `obsm`, `varm` and `uns`.
 * Reads the current encoding scheme and the older anndata 0.7 layout.
 * Integer arrays come back as numbers (int64 via float64); `X` values as Float32Array or
 * Float64Array (float16 is widened to float32).
 *
 * A damaged file (truncated, bit flips, wrong types) is one `Error` line naming the file and
 * "truncated or corrupt" with HDF5's innermost reason; HDF5 never prints to stderr and a native
 * abort in the library does not end the process (see `h5-runtime.ts`).
 */
export async function readH5ad(path: string, options: ReadH5adOptions = {}): Promise<AnnData> {
  const full = resolve(path);
  if (!existsSync(full)) throw new Error(`readH5ad: no such file ${full}`);
  if (!statSync(full).isFile()) throw new Error(`readH5ad: ${full} is not a file`);
  try {
    return await withH5((lib) => {
      const file = new lib.File(full, "r");
      if (!file.file_id || file.file_id < 0n) throw new Error("H5Fopen failed");
      try {
        return decodeAnnData(file, options.strict ?? false, options.xSource ?? "X");
      } finally {
        try {
          file.close();
        } catch {
          // closing a damaged file can fail too; the first error is the one to report
        }
      }
    });
  } catch (err) {
    if (err instanceof MissingXError) {
      const e = new MissingXError(err.layers, err.raw);
      e.message = `readH5ad: ${full}: ${err.message}`;
      throw e;
    }
    if (isHdf5Error(err) || (err instanceof Error && err.cause !== undefined && isNativeAbort(err.cause)))
      throw new Error(
        `readH5ad: ${full}: truncated or corrupt HDF5 file (${hdf5Cause(err instanceof Error && err.cause ? err.cause : err)})`,
        { cause: err },
      );
    const msg = err instanceof Error ? err.message : String(err);
    // a wrong type or shape deep in a damaged file surfaces as a decoding error: say so
    throw new Error(`readH5ad: ${full}: ${msg}`, { cause: err });
  }
}

/**
 * The shape of an `.h5ad` file's `.raw` matrix (`raw/X`), or null when it has none; reads no
 * values (for messages that offer `--raw` only where it exists).
 */
export async function h5adRawShape(path: string): Promise<[number, number] | null> {
  const full = resolve(path);
  return withH5((lib) => {
    const file = new lib.File(full, "r");
    try {
      return rawShape(file);
    } finally {
      file.close();
    }
  });
}

/** Options for {@link writeH5ad}. */
export interface WriteH5adOptions {
  /** gzip level 1–9 for numeric datasets (default: no compression). */
  compression?: number;
}

/** Equal matrices (format, shape and stored values). */
function sameMatrix(a: Matrix, b: Matrix): boolean {
  if (a.format !== b.format || a.shape[0] !== b.shape[0] || a.shape[1] !== b.shape[1]) return false;
  const eq = (x: ArrayLike<number>, y: ArrayLike<number>, n: number) => {
    if (x.length < n || y.length < n) return false;
    for (let i = 0; i < n; i++)
      if (x[i] !== y[i] && !(Number.isNaN(x[i]) && Number.isNaN(y[i]))) return false;
    return true;
  };
  if (a.format === "dense" || b.format === "dense") return eq(a.data, b.data, a.shape[0] * a.shape[1]);
  const nnz = a.indptr[a.indptr.length - 1]!;
  return eq(a.indptr, b.indptr, a.indptr.length) && eq(a.indices, b.indices, nnz) && eq(a.data, b.data, nnz);
}

/** Throw when the decoded file `back` does not hold what `adata` says. */
function checkWritten(adata: AnnData, back: AnnData): void {
  const diff: string[] = [];
  if (!sameMatrix(adata.X, back.X)) diff.push("X");
  const sameList = (x: readonly string[], y: readonly string[]) =>
    x.length === y.length && x.every((v, i) => v === y[i]);
  if (
    !sameList(adata.obs.index, back.obs.index) ||
    !sameList(Object.keys(adata.obs.columns), Object.keys(back.obs.columns))
  )
    diff.push("obs");
  if (
    !sameList(adata.var.index, back.var.index) ||
    !sameList(Object.keys(adata.var.columns), Object.keys(back.var.columns))
  )
    diff.push("var");
  // HDF5 lists group members by name, not in insertion order
  const sameKeys = (x: object, y: object) => sameList(Object.keys(x).sort(), Object.keys(y).sort());
  if (!sameKeys(adata.layers, back.layers)) diff.push("layers");
  if (!sameKeys(adata.uns, back.uns)) diff.push("uns");
  if (diff.length) throw new Error(`the file read back differs from what was written (${diff.join(", ")})`);
}

/**
 * Write an AnnData to an `.h5ad` file that anndata (Python) reads. Atomic and verified: the
 * file is written to a temporary name in the target folder with every HDF5 status checked,
 * flushed to disk, re-opened and decoded, compared with `adata`, and only then renamed over
 * `path`. Any failure (a full disk, a read-only folder) throws an `AtomicWriteError` naming
 * `path` and the cause, leaving any existing file untouched and no partial file behind.
 *
 * Booleans are stored as uint8 arrays tagged with a `scribe-dtype="bool"` attribute (h5wasm
 * cannot create HDF5 enum types); this reader restores them, Python sees uint8.
 */
export async function writeH5ad(path: string, adata: AnnData, options: WriteH5adOptions = {}): Promise<void> {
  (await prepareH5ad(path, adata, options)).commit();
}

/**
 * The first half of {@link writeH5ad}: the verified temporary file, not yet renamed over
 * `path` (commit or discard it; see `commitAll` in persist/atomic-file-node.ts).
 */
export async function prepareH5ad(
  path: string,
  adata: AnnData,
  options: WriteH5adOptions = {},
): Promise<PreparedFile> {
  checkAnnData(adata);
  const full = resolve(path);
  const dir = dirname(full);
  if (!existsSync(dir)) throw new AtomicWriteError(path, `directory ${dir} does not exist`);
  return prepareFileAtomic(path, {
    write: (tmp) => withH5((lib) => writeEncoded(lib, tmp, adata, options)),
    verify: (tmp) =>
      withH5((lib) => {
        const file = new lib.File(tmp, "r");
        try {
          checkWritten(adata, decodeAnnData(file, false));
        } finally {
          file.close();
        }
      }),
    describe: (err) => (isHdf5Error(err) ? hdf5Cause(err) : describeFsError(err)),
  });
}

/** Status check of an h5wasm call that reports failure by a negative number. */
function checkStatus(status: number | bigint, what: string): void {
  if (Number(status) < 0) throw new Error(`${what} failed (HDF5 status ${status})`);
}

/** Encode `adata` into a new HDF5 file at `tmp`, checking the flush and close statuses. */
function writeEncoded(lib: H5, tmp: string, adata: AnnData, options: WriteH5adOptions): void {
  const mod = lib.Module as unknown as { flush(id: bigint): number; close_file(id: bigint): number };
  // earliest format: version-1 attribute messages, which h5-boolattr.ts can patch in place
  let file: InstanceType<H5["File"]> | undefined = new lib.File(tmp, "w", { libver: ["earliest", "latest"] });
  try {
    if (!file.file_id || file.file_id < 0n) throw new Error(`cannot create ${tmp}`);
    const boolAttrPaths: string[] = [];
    encodeAnnData(file, adata, { compression: options.compression, boolAttrPaths });
    checkStatus(mod.flush(file.file_id), "flushing the HDF5 file");
    const id = file.file_id;
    file = undefined;
    checkStatus(mod.close_file(id), "closing the HDF5 file");
    if (boolAttrPaths.length > 0 && patchBoolAttributes(tmp) < boolAttrPaths.length) {
      // unexpected file layout: fall back to integer 0/1 attributes (read as bool by anndata ≥ 0.9)
      const f = new lib.File(tmp, "a");
      for (const p of boolAttrPaths) {
        const g = f.get(p) as InstanceType<H5["Group"]>;
        const v = g.attrs.ordered?.value;
        if (typeof v !== "string") continue;
        g.delete_attribute("ordered");
        g.create_attribute("ordered", v.charAt(MARKER_BYTES.length) === "1" ? 1 : 0, null, "<b");
      }
      checkStatus(mod.flush(f.file_id), "flushing the HDF5 file");
      checkStatus(mod.close_file(f.file_id), "closing the HDF5 file");
    }
  } finally {
    if (file) {
      try {
        file.close();
      } catch {
        // already failing; the original error is what matters
      }
    }
  }
}

/** Patch every boolean placeholder attribute in the file at `path`; returns how many were patched. */
function patchBoolAttributes(path: string): number {
  const fd = openSync(path, "r+");
  try {
    const size = statSync(path).size;
    const chunk = 1 << 22;
    const margin = 128;
    const buf = new Uint8Array(chunk + 2 * margin);
    let patched = 0;
    for (let base = 0; base < size; base += chunk) {
      const from = Math.max(0, base - margin);
      const n = readSync(fd, buf, 0, Math.min(buf.length, size - from), from);
      const view = buf.subarray(0, n);
      for (const hit of findMarkers(view)) {
        const abs = from + hit;
        if (abs < base || abs >= base + chunk || hit + PLACEHOLDER_BYTES > n) continue;
        const lo = Math.max(0, hit - margin);
        const window = view.slice(lo, hit + PLACEHOLDER_BYTES);
        if (patchBoolAttribute(window, hit - lo)) {
          if (writeSync(fd, window, 0, window.length, from + lo) !== window.length)
            throw new Error("short write while patching boolean attributes");
          patched++;
        }
      }
    }
    return patched;
  } finally {
    closeSync(fd);
  }
}
