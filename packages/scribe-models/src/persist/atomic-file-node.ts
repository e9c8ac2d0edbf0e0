/**
 * Safe file replacement for the models' outputs (params.json, CSVs, `.h5ad`): the one
 * implementation lives in `@scribe/infer/node` (infer/src/persist/atomic-file-node.ts), which
 * SVI checkpoints use too; this module re-exports it under its old path.
 * @module
 */
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
} from "@scribe/infer/node";
