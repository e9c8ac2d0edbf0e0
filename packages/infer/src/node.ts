/**
 * `@scribe/infer/node`: everything in `@scribe/infer`, plus what only Node can do — SVI
 * checkpoints in files, and the atomic, verified file replacement they (and `@scribe/models`'
 * outputs) are written with.
 * @packageDocumentation
 */
export * from "./index.js";
export {
  closeIdleWorkers as closeMcmcWorkers,
  prewarmWorkers as prewarmMcmcWorkers,
} from "./mcmc/parallel-node.js";
export {
  AtomicWriteError,
  type AtomicWriter,
  bytesWriter,
  commitAll,
  describeFsError,
  type PreparedFile,
  prepareFileAtomic,
  replaceFileAtomic,
  temporaryPathFor,
  textWriter,
  writeTextFileAtomic,
  writeTextFileAtomicSync,
} from "./persist/atomic-file-node.js";
export { checkpointEvery, loadCheckpoint, saveCheckpoint } from "./svi/checkpoint-node.js";
