/**
 * Checkpoints of `fit()`'s SVI loops (the SCRIBE families and the VAE): resuming from a
 * checkpoint file when asked, refusing one written for other data or settings, and saving
 * snapshots. The file access is Node-only and loaded on demand (fit-checkpoint-node.ts).
 * @module
 */
import { loadNodeOnly } from "@scribe/core";
import type { LoadedCheckpoint, SVISnapshot } from "@scribe/infer";

/** What a fit loop needs to resume and to save. */
export interface FitCheckpointing {
  /** The checkpoint resumed from, or null for a fresh run. */
  resumed: LoadedCheckpoint | null;
  /** SVI steps already done by the resumed run (0 for a fresh one). */
  stepsDone: number;
  /** Saves a snapshot to the checkpoint file, or null without `checkpointPath`. */
  save: ((snapshot: SVISnapshot) => Promise<void>) | null;
}

const FEATURE = "checkpoints to a file (checkpointPath, resume)";
const INSTEAD = "in the browser, fit without checkpointPath";

/**
 * Prepares checkpointing for one fit.
 * @param label The caller in messages ("fit", "fit (vae)").
 * @param fingerprint What the checkpoint must have been written for (data and settings).
 * @param disposeOptimState Frees a refused checkpoint's optimizer state.
 * @throws Error when `resume` finds a checkpoint written for different data or settings.
 */
export async function prepareFitCheckpointing(
  label: string,
  options: { checkpointPath?: string; resume?: boolean },
  fingerprint: string,
  disposeOptimState: (state: LoadedCheckpoint["state"]["optimState"]) => void,
): Promise<FitCheckpointing> {
  const path = options.checkpointPath;
  let resumed: LoadedCheckpoint | null = null;
  if (options.resume && path) {
    const { readFitCheckpointFile } = await loadNodeOnly(
      `${label}: ${FEATURE}`,
      () => import("./fit-checkpoint-node.js"),
      "readFitCheckpointFile",
      INSTEAD,
    );
    resumed = readFitCheckpointFile(path);
    const meta = resumed?.meta as { fingerprint?: string } | undefined;
    if (resumed && (meta?.fingerprint !== fingerprint || !resumed.history)) {
      disposeOptimState(resumed.state.optimState);
      throw new Error(
        `${label}: checkpoint ${path} was written for different data or settings; remove it or drop --resume`,
      );
    }
  }
  const save = path
    ? async (snapshot: SVISnapshot) => {
        const { saveCheckpoint } = await loadNodeOnly(
          `${label}: ${FEATURE}`,
          () => import("@scribe/infer/node"),
          "saveCheckpoint",
          INSTEAD,
        );
        await saveCheckpoint(path, snapshot, { format: "scribe-fit", fingerprint });
      }
    : null;
  return { resumed, stepsDone: resumed?.history?.losses.length ?? 0, save };
}
