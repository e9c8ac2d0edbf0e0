/**
 * Node-only checkpoint files for SVI: `saveCheckpoint` writes atomically (a temporary file
 * in the same folder, then a rename), `loadCheckpoint` reads it back, and
 * `checkpointEvery` plugs both into `svi.run`. Import this file directly; the package
 * index does not (it must load in browsers).
 * @module
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { deserializeSVIState, type LoadedCheckpoint, serializeSVIState } from "./checkpoint.js";
import type { SVICheckpointOptions, SVISnapshot, SVIState } from "./svi-types.js";

/**
 * Write `state` or a run's snapshot (and JSON-able `meta`) to `path` atomically: a reader
 * never sees a half-written file, and a crash leaves the previous checkpoint intact.
 * @example
 * // fragment: not run, as it writes fit.ckpt to disk (model, guide and y as in the SVI example)
 * import { saveCheckpoint } from "@scribe/infer/node";
 * const result = await new SVI(model, guide, adam(0.05), new TraceELBO()).run(key(0), 10_000, [y]);
 * await saveCheckpoint("fit.ckpt", result.state, { note: "after 10k steps" });
 */
export async function saveCheckpoint(
  path: string,
  state: SVIState | SVISnapshot,
  meta: unknown = null,
): Promise<void> {
  const bytes = await serializeSVIState(state, meta);
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
 * Read a checkpoint written by {@link saveCheckpoint}; pass `state` as `initState` (and
 * `history`, when the checkpoint came from `svi.run`) to `svi.run` to continue exactly.
 * @example
 * // fragment: not run, as it reads fit.ckpt from disk (model, guide and y as in the SVI example)
 * import { loadCheckpoint } from "@scribe/infer/node";
 * const { state, history, meta } = loadCheckpoint("fit.ckpt"); // meta: { note: "after 10k steps" }
 * const svi = new SVI(model, guide, adam(0.05), new TraceELBO());
 * await svi.run(key(0), 1000, [y], { initState: state, history }); // 1000 more steps, continuing exactly
 */
export function loadCheckpoint(path: string): LoadedCheckpoint {
  const buf = readFileSync(path);
  return deserializeSVIState(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
}

/**
 * The `checkpoint` option of `svi.run` that saves the run's snapshot to `path` every
 * `every` steps (and at the end of the run, on interrupt, and on a non-finite stop).
 * @example
 * // fragment: not run, as it writes fit.ckpt to disk (svi and y as in the SVI example)
 * import { checkpointEvery } from "@scribe/infer/node";
 * await svi.run(key(0), 50_000, [y], { checkpoint: checkpointEvery("fit.ckpt", 5000) });
 */
export function checkpointEvery(path: string, every: number, meta: unknown = null): SVICheckpointOptions {
  return { every, save: (snapshot) => saveCheckpoint(path, snapshot, meta) };
}
