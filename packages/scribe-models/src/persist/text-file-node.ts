import { existsSync, readFileSync } from "node:fs";
import { writeTextFileAtomicSync } from "./atomic-file-node.js";

/**
 * Node-only text-file persistence for checkpoints and saved results. Browser-safe modules
 * load it on demand (`import("../persist/text-file-node.js")`) only when asked to touch a file.
 */

/** The file's text, or null when it does not exist. */
export function readTextIfExists(path: string): string | null {
  return existsSync(path) ? readFileSync(path, "utf8") : null;
}

/**
 * Write a text file atomically and verified (temporary name, fsync, read back, rename): a
 * crash or a full disk leaves the old file, never a partial one; failures throw an
 * `AtomicWriteError` naming the path and the cause.
 */
export function writeTextAtomic(path: string, text: string): void {
  writeTextFileAtomicSync(path, text);
}
