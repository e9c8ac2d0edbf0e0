import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/**
 * Node-only text-file persistence for checkpoints and saved results. Browser-safe modules
 * load it on demand (`import("../persist/text-file-node.js")`) only when asked to touch a file.
 */

/** The file's text, or null when it does not exist. */
export function readTextIfExists(path: string): string | null {
  return existsSync(path) ? readFileSync(path, "utf8") : null;
}

/**
 * Write a text file atomically (temporary name + rename): a crash leaves either the old
 * file or the new one, never a partial file.
 */
export function writeTextAtomic(path: string, text: string): void {
  const full = resolve(path);
  const tmp = join(dirname(full), `.${basename(full)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, full);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
