import { existsSync } from "node:fs";
import type { LoadedCheckpoint } from "@scribe/infer";
import { loadCheckpoint } from "@scribe/infer/node";

/** Reads `fit()`'s binary checkpoint at `path`, or `null` when there is none (Node only). */
export function readFitCheckpointFile(path: string): LoadedCheckpoint | null {
  if (!existsSync(path)) return null;
  try {
    return loadCheckpoint(path);
  } catch (e) {
    throw new Error(`fit: cannot read checkpoint ${path}: ${(e as Error).message}`);
  }
}
