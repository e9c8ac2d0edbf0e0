/**
 * How SLURM jobs start `scribe`: this Node binary on this package's launcher
 * (`bin/scribe.js`), with the job's CPU allocation as the thread count.
 *
 * Node-only.
 * @module
 */
import { fileURLToPath } from "node:url";

/** The launcher of this package (`bin/scribe.js`), for job scripts. */
export const SCRIBE_BIN = fileURLToPath(new URL("../../bin/scribe.js", import.meta.url));

/** The command words that start `scribe` in a job (the node running this process, the launcher). */
export function scribeCommand(): string[] {
  return [process.execPath, SCRIBE_BIN];
}

/**
 * Job script lines before the command: use the CPUs SLURM allotted to the task
 * (`SLURM_CPUS_PER_TASK`, 1 when unset) rather than every core of the node.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
export const JOB_PRELUDE = 'export SCRIBE_THREADS="${SCRIBE_THREADS:-${SLURM_CPUS_PER_TASK:-1}}"';
