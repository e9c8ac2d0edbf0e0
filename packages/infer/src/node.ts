/**
 * `@scribe/infer/node`: everything in `@scribe/infer`, plus what only Node can do — SVI
 * checkpoints in files.
 * @packageDocumentation
 */
export * from "./index.js";
export { checkpointEvery, loadCheckpoint, saveCheckpoint } from "./svi/checkpoint-node.js";
