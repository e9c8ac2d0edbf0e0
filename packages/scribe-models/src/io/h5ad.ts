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
import { checkWritten } from "./h5ad-verify.js";
import { encodeAnnData } from "./h5ad-write.js";

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
  /**
   * Leave `X` out of the file (anndata reads it as `X = None`; `readH5ad` throws a
   * `MissingXError`): the results of a backed fit, whose counts stay in their own file.
   * `adata.X` then only has to have the right shape.
   */
  omitX?: boolean;
}

/**
 * Write an AnnData to an `.h5ad` file that anndata (Python) reads. Atomic and verified: the
 * file is written to a temporary name in the target folder with every HDF5 status checked,
 * flushed to disk, re-opened and its `X`, indexes and keys compared with `adata` as stored
 * bytes (`h5ad-verify.ts`), and only then renamed over `path`. Any failure (a full disk, a read-only folder) throws an `AtomicWriteError` naming
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
          checkWritten(file, adata, options.omitX ?? false);
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
    encodeAnnData(file, adata, { compression: options.compression, boolAttrPaths, omitX: options.omitX });
    // an object reference is the address of the object's header, where its attributes live
    const headers = boolAttrPaths.map((p) =>
      addressOf((file!.get(p) as InstanceType<H5["Group"]>).create_reference().ref_data),
    );
    checkStatus(mod.flush(file.file_id), "flushing the HDF5 file");
    const id = file.file_id;
    file = undefined;
    checkStatus(mod.close_file(id), "closing the HDF5 file");
    if (boolAttrPaths.length > 0 && patchBoolAttributes(tmp, headers) < boolAttrPaths.length) {
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

/** A little-endian object reference (HDF5's `hobj_ref_t`, 8 bytes) as a file address. */
function addressOf(ref: ArrayLike<number>): number {
  let a = 0;
  for (let i = 7; i >= 0; i--) a = a * 256 + (ref[i] ?? 0);
  return a;
}

/** Read `n` bytes of `fd` at `pos` (fewer at the end of the file). */
function readAt(fd: number, pos: number, n: number): Uint8Array {
  const buf = new Uint8Array(n);
  return buf.subarray(0, readSync(fd, buf, 0, n, pos));
}

const MAX_HEADER_BLOCKS = 64;
const CONTINUATION_MESSAGE = 0x10;

/**
 * The message blocks (file position and bytes) of the version-1 object header at `addr`: the
 * first chunk and every continuation chunk; null when the bytes there are not such a header.
 */
function headerBlocks(fd: number, addr: number): { pos: number; bytes: Uint8Array }[] | null {
  const prefix = readAt(fd, addr, 16);
  if (prefix.length < 16 || prefix[0] !== 1) return null;
  const view = new DataView(prefix.buffer);
  const pending: [number, number][] = [[addr + 16, view.getUint32(8, true)]];
  const blocks: { pos: number; bytes: Uint8Array }[] = [];
  while (pending.length > 0 && blocks.length < MAX_HEADER_BLOCKS) {
    const [pos, len] = pending.shift()!; // length checked
    const bytes = readAt(fd, pos, len);
    if (bytes.length < len) return null;
    blocks.push({ pos, bytes });
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let p = 0; p + 8 <= len; p += 8 + v.getUint16(p + 2, true)) {
      if (v.getUint16(p, true) === CONTINUATION_MESSAGE && p + 24 <= len)
        pending.push([Number(v.getBigUint64(p + 8, true)), Number(v.getBigUint64(p + 16, true))]);
    }
  }
  return blocks;
}

/** Patch the placeholders in `bytes` (a window of the file at `pos`), writing back what changed. */
function patchWindow(fd: number, pos: number, bytes: Uint8Array): number {
  let patched = 0;
  for (const hit of findMarkers(bytes)) {
    if (hit + PLACEHOLDER_BYTES > bytes.length) continue;
    const lo = Math.max(0, hit - PATCH_MARGIN);
    const window = bytes.slice(lo, hit + PLACEHOLDER_BYTES);
    if (patchBoolAttribute(window, hit - lo)) {
      if (writeSync(fd, window, 0, window.length, pos + lo) !== window.length)
        throw new Error("short write while patching boolean attributes");
      patched++;
    }
  }
  return patched;
}

/** Bytes before a placeholder that hold the rest of its attribute message. */
const PATCH_MARGIN = 128;

/**
 * Patch every boolean placeholder attribute in the file at `path`; returns how many were
 * patched. The object headers at `headers` (the objects that got a placeholder) are read first;
 * only when a placeholder is not found there is the whole file scanned.
 */
function patchBoolAttributes(path: string, headers: readonly number[]): number {
  const fd = openSync(path, "r+");
  try {
    let patched = 0;
    for (const addr of headers)
      for (const b of headerBlocks(fd, addr) ?? []) patched += patchWindow(fd, b.pos, b.bytes);
    if (patched >= headers.length) return patched;
    const size = statSync(path).size;
    const chunk = 1 << 22;
    // windows overlap by the margin; a patched placeholder is gone when the next one is read
    for (let base = 0; base < size; base += chunk) {
      const from = Math.max(0, base - PATCH_MARGIN);
      patched += patchWindow(fd, from, readAt(fd, from, Math.min(chunk + 2 * PATCH_MARGIN, size - from)));
    }
    return patched;
  } finally {
    closeSync(fd);
  }
}
