/**
 * The one h5wasm instance this package uses, made safe for hostile files.
 *
 * - HDF5 errors throw instead of printing pages of `HDF5-DIAG` text to stderr: the library's
 *   throwing error handler is switched on in every instance, and {@link hdf5Cause} boils the
 *   error stack down to its innermost description ("truncated file: eof = …").
 * - A native `abort()` inside the wasm module (a corrupt file can trigger one) leaves that
 *   instance unusable. {@link withH5} catches it and drops the instance; the next call loads a
 *   fresh one (the module file imported again under a new query string is a new ES module
 *   instance with its own wasm memory), so one bad file never kills the process or later reads.
 *
 * Node-only.
 * @module
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** The h5wasm module namespace. */
export type H5 = typeof import("h5wasm");

let current: Promise<H5> | undefined;
let live: H5 | undefined;
let generation = 0;

/**
 * URL of h5wasm's Node build (the `h5wasm/node` export). A worker run through tsx imports it
 * before registering tsx: through tsx's loader the 4 MB module (its wasm inlined) costs about
 * 600 MiB of resident memory per thread, loaded by Node itself about 40 MiB.
 */
export function h5wasmUrl(): string {
  const meta = import.meta as ImportMeta & { resolve?: (s: string) => string };
  try {
    if (typeof meta.resolve === "function") return meta.resolve("h5wasm/node");
  } catch {
    // fall through to the node_modules search
  }
  for (const dir of createRequire(import.meta.url).resolve.paths("h5wasm") ?? []) {
    const file = join(dir, "h5wasm", "dist", "node", "hdf5_hl.js");
    if (existsSync(file)) return pathToFileURL(file).href;
  }
  throw new Error("cannot locate the h5wasm package (npm install h5wasm)");
}

async function load(gen: number): Promise<H5> {
  // The first instance is the package's own; later ones (after an abort) are fresh copies.
  const mod = (
    gen === 0 ? await import("h5wasm/node") : await import(`${h5wasmUrl()}?instance=${gen}`)
  ) as H5 & {
    default?: H5;
  };
  const lib = (mod.File ? mod : mod.default) as H5;
  await lib.ready;
  const m = lib.Module as unknown as { activate_throwing_error_handler?: () => number };
  m.activate_throwing_error_handler?.();
  live = lib;
  return lib;
}

/** The live h5wasm instance (loaded on first use). */
export function h5(): Promise<H5> {
  current ??= load(generation);
  return current;
}

/** The loaded h5wasm instance, for code running inside {@link withH5}; throws when none is loaded. */
export function loadedH5(): H5 {
  if (!live) throw new Error("h5wasm is not loaded");
  return live;
}

/**
 * The raw bytes of a whole dataset as stored (its own type, native byte order), for types
 * h5wasm cannot decode itself (float16). Only valid while an instance is loaded ({@link h5}).
 */
export function datasetBytes(fileId: bigint, path: string, nbytes: number): Uint8Array {
  if (!live) throw new Error("h5wasm is not loaded");
  const m = live.Module as unknown as {
    _malloc(n: number): number;
    _free(p: number): void;
    HEAPU8: Uint8Array;
    get_dataset_data(id: bigint, path: string, count: null, offset: null, strides: null, ptr: bigint): number;
  };
  const ptr = m._malloc(Math.max(1, nbytes));
  if (!ptr) throw new Error(`${path}: cannot allocate ${nbytes} bytes`);
  try {
    m.get_dataset_data(fileId, path, null, null, null, BigInt(ptr));
    return m.HEAPU8.slice(ptr, ptr + nbytes);
  } finally {
    m._free(ptr);
  }
}

/** Whether `err` is a native abort of the wasm module (the instance is then unusable). */
export function isNativeAbort(err: unknown): boolean {
  return err instanceof WebAssembly.RuntimeError || (err instanceof Error && /^Aborted\(/.test(err.message));
}

/** Forget the live instance; the next {@link h5} loads a fresh one. */
export function discardH5(): void {
  current = undefined;
  live = undefined;
  generation++;
}

/**
 * The cause of an h5wasm/HDF5 error in one line: the innermost description of an HDF5 error
 * stack (e.g. `truncated file: eof = 700000, sblock->base_addr = 0, stored_eof = 800496`), the
 * errno text of a failed system call when there is one, or the error's own message.
 */
export function hdf5Cause(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  if (isNativeAbort(err)) return "the HDF5 library aborted on this file";
  const sys = /error message = '([^']+)'/.exec(text);
  const frames = [...text.matchAll(/#\d+: .*? in [\w.]+\(\): (.*)$/gm)].map((m) => m[1]!.trim());
  if (frames.length === 0) return text.split("\n")[0]!.trim();
  const inner = frames[frames.length - 1]!;
  // a failed system call: its errno text is the cause ("No space left on device"); HDF5's
  // description of it carries times and descriptors, so keep only its head
  return sys ? `${sys[1]} (HDF5: ${inner.split(":")[0]})` : inner;
}

/**
 * Run `fn` with the live h5wasm instance. A native abort discards the instance (so later calls
 * work) and is rethrown as an ordinary `Error`; other errors pass through unchanged.
 */
export async function withH5<T>(fn: (lib: H5) => T | Promise<T>): Promise<T> {
  const lib = await h5();
  try {
    return await fn(lib);
  } catch (err) {
    if (isNativeAbort(err)) {
      discardH5();
      throw new Error(hdf5Cause(err), { cause: err });
    }
    throw err;
  }
}
