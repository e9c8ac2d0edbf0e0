/**
 * Read and write AnnData `.h5ad` files (HDF5) with the `h5wasm` package.
 *
 * Node-only: uses `node:fs` and h5wasm's Node build, which accesses the host filesystem
 * directly.
 * @module
 */
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { AnnData } from "./anndata.js";
import { checkAnnData } from "./anndata.js";
import { findMarkers, MARKER_BYTES, PLACEHOLDER_BYTES, patchBoolAttribute } from "./h5-boolattr.js";
import { decodeAnnData } from "./h5ad-read.js";
import { encodeAnnData } from "./h5ad-write.js";

type H5 = typeof import("h5wasm");
let h5Promise: Promise<H5> | undefined;

/** Load (once) and initialise h5wasm's Node build. */
async function h5(): Promise<H5> {
  h5Promise ??= (async () => {
    const mod = (await import("h5wasm/node")) as unknown as H5 & { default?: H5 };
    const lib = (mod.File ? mod : mod.default) as H5;
    await lib.ready;
    return lib;
  })();
  return h5Promise;
}

/** Options for {@link readH5ad}. */
export interface ReadH5adOptions {
  /**
   * Throw on elements that cannot be represented (e.g. data frames inside `uns`). By default
   * such elements are skipped in `uns`, `layers`, `obsm` and `varm`.
   */
  strict?: boolean;
}

/**
 * Read an AnnData `.h5ad` file: `X` (dense or CSR/CSC), `obs`/`var` data frames (numeric,
 * boolean, string and categorical columns), `layers`, `obsm`, `varm` and `uns`.
 * Reads the current encoding scheme and the older anndata 0.7 layout.
 * Integer arrays come back as numbers (int64 via float64); `X` values as Float32Array or
 * Float64Array.
 */
export async function readH5ad(path: string, options: ReadH5adOptions = {}): Promise<AnnData> {
  const full = resolve(path);
  if (!existsSync(full)) throw new Error(`readH5ad: no such file ${full}`);
  if (!statSync(full).isFile()) throw new Error(`readH5ad: ${full} is not a file`);
  const lib = await h5();
  let file: InstanceType<H5["File"]>;
  try {
    file = new lib.File(full, "r");
  } catch (err) {
    throw new Error(`readH5ad: cannot open ${full} as HDF5 (${String(err)})`);
  }
  if (!file.file_id || file.file_id < 0n) throw new Error(`readH5ad: cannot open ${full} as HDF5`);
  try {
    return decodeAnnData(file, options.strict ?? false);
  } catch (err) {
    throw new Error(`readH5ad: ${full}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    file.close();
  }
}

/** Options for {@link writeH5ad}. */
export interface WriteH5adOptions {
  /** gzip level 1–9 for numeric datasets (default: no compression). */
  compression?: number;
}

/**
 * Write an AnnData to an `.h5ad` file that anndata (Python) reads. Atomic: the file is
 * written to a temporary name in the target directory and renamed over `path` only when
 * complete, so a failure leaves any existing file untouched and no partial file behind.
 *
 * Booleans are stored as uint8 arrays tagged with a `scribe-dtype="bool"` attribute (h5wasm
 * cannot create HDF5 enum types); this reader restores them, Python sees uint8.
 */
export async function writeH5ad(path: string, adata: AnnData, options: WriteH5adOptions = {}): Promise<void> {
  checkAnnData(adata);
  const full = resolve(path);
  const dir = dirname(full);
  if (!existsSync(dir)) throw new Error(`writeH5ad: directory ${dir} does not exist`);
  const tmp = join(dir, `.${basename(full)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const lib = await h5();
  let file: InstanceType<H5["File"]> | undefined;
  try {
    // earliest format: version-1 attribute messages, which h5-boolattr.ts can patch in place
    file = new lib.File(tmp, "w", { libver: ["earliest", "latest"] });
    const boolAttrPaths: string[] = [];
    encodeAnnData(file, adata, { compression: options.compression, boolAttrPaths });
    file.close();
    file = undefined;
    if (boolAttrPaths.length > 0 && patchBoolAttributes(tmp) < boolAttrPaths.length) {
      // unexpected file layout: fall back to integer 0/1 attributes (read as bool by anndata ≥ 0.9)
      file = new lib.File(tmp, "a");
      for (const p of boolAttrPaths) {
        const g = file.get(p) as InstanceType<H5["Group"]>;
        const v = g.attrs.ordered?.value;
        if (typeof v !== "string") continue;
        g.delete_attribute("ordered");
        g.create_attribute("ordered", v.charAt(MARKER_BYTES.length) === "1" ? 1 : 0, null, "<b");
      }
      file.close();
      file = undefined;
    }
    renameSync(tmp, full);
  } catch (err) {
    try {
      file?.close();
    } catch {
      // already failing; the original error is what matters
    }
    rmSync(tmp, { force: true });
    throw new Error(`writeH5ad: ${full}: ${err instanceof Error ? err.message : String(err)}`);
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
          writeSync(fd, window, 0, window.length, from + lo);
          patched++;
        }
      }
    }
    return patched;
  } finally {
    closeSync(fd);
  }
}
