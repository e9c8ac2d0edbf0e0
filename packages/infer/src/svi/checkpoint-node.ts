/**
 * Node-only checkpoint files for SVI: `saveCheckpoint` writes atomically and verified (a
 * temporary file in the same folder, fsync, read back and compared, then a rename: the one
 * implementation in persist/atomic-file-node.ts), `loadCheckpoint` reads it back, and
 * `checkpointEvery` plugs both into `svi.run`. Import this file directly; the package
 * index does not (it must load in browsers).
 * @module
 */
import { readFileSync } from "node:fs";
import { type AtomicWriter, bytesWriter, replaceFileAtomic } from "../persist/atomic-file-node.js";
import { deserializeSVIState, type LoadedCheckpoint, serializeSVIState } from "./checkpoint.js";
import type { SVICheckpointOptions, SVISnapshot, SVIState } from "./svi-types.js";

/**
 * Write `state` or a run's snapshot (and JSON-able `meta`) to `path` atomically: a reader
 * never sees a half-written file, and a crash, a full disk or a write that does not read back
 * as written leaves the previous checkpoint intact (an `AtomicWriteError` naming the path and
 * the cause).
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
  await replaceFileAtomic(path, checkpointWriter(bytes));
}

/**
 * How a checkpoint's bytes reach the temporary file and are checked there before the rename:
 * written and fsynced, then read back and compared byte for byte. Exported for tests, which wrap
 * it to inject failures.
 * @internal
 */
export function checkpointWriter(bytes: Uint8Array): AtomicWriter {
  return bytesWriter(bytes);
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
