/**
 * Node-only checkpoint files for SVI: `saveCheckpoint` writes atomically (a temporary file
 * in the same folder, then a rename), `loadCheckpoint` reads it back, and
 * `checkpointEvery` plugs both into `svi.run`. Import this file directly; the package
 * index does not (it must load in browsers).
 * @module
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { deserializeSVIState, type LoadedCheckpoint, serializeSVIState } from "./checkpoint.js";
import type { SVICheckpointOptions, SVIState } from "./svi.js";

/**
 * Write `state` (and JSON-able `meta`) to `path` atomically: a reader never sees a
 * half-written file, and a crash leaves the previous checkpoint intact.
 * @example
 * // fragment: continues code that defines its inputs (a model, data, ...)
 * saveCheckpoint("fit.ckpt", result.state, { note: "after 10k steps" });
 */
export function saveCheckpoint(path: string, state: SVIState, meta: unknown = null): void {
  const bytes = serializeSVIState(state, meta);
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fd = openSync(tmp, "w");
  try {
    let off = 0;
    while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/**
 * Read a checkpoint written by {@link saveCheckpoint}; pass `state` as `initState` to
 * `svi.run` to continue the run exactly.
 * @example
 * // fragment: continues code that defines its inputs (a model, data, ...)
 * const { state } = loadCheckpoint("fit.ckpt");
 * svi.run(key(0), 1000, [data], { initState: state });
 */
export function loadCheckpoint(path: string): LoadedCheckpoint {
  const buf = readFileSync(path);
  return deserializeSVIState(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
}

/**
 * The `checkpoint` option of `svi.run` that saves to `path` every `every` steps (and at
 * the end of the run).
 * @example
 * // fragment: continues code that defines its inputs (a model, data, ...)
 * svi.run(key(0), 50_000, [data], { checkpoint: checkpointEvery("fit.ckpt", 5000) });
 */
export function checkpointEvery(path: string, every: number, meta: unknown = null): SVICheckpointOptions {
  return { every, save: (state) => saveCheckpoint(path, state, meta) };
}
